"""Shared field types and the base models of every request and response."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

from propdesk.common.inputs import Input  # noqa: F401  (request bodies derive from it)
from propdesk.intake.validation import check_id_number, normalize_phone

UnitKind = Literal["residential", "shop", "parking"]
UnitState = Literal["vacant", "occupied", "renovating"]
Language = Literal["zh-CN", "en"]
OccupancyRole = Literal["owner", "tenant", "household_member"]
Phone = Annotated[
    str, Field(min_length=3, max_length=32, examples=["13812345678"]), AfterValidator(normalize_phone)
]
IdNumber = Annotated[str, Field(min_length=15, max_length=18), AfterValidator(check_id_number)]
Area = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=10, decimal_places=2, examples=["118.37"])]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")]


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Photo = Annotated[str, Field(min_length=1, max_length=500, examples=["photo://2026/11/29/wall-1.jpg"])]
Fen = Annotated[int, Field(gt=0, le=100_000_000_00, description="integer fen (分)")]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class ActivityRead(Output):
    kind: str
    actor: str
    note: str | None
    data: dict
    at: dt.datetime
