"""What a request may carry: text without control characters, anywhere.

A NUL character, a lone surrogate or another control character cannot be stored by PostgreSQL (or written to
an Excel cell) and used to end as a 500. One check, applied everywhere input arrives:
- every request body model derives from `Input` (a test checks every route of every service);
- every query and path parameter passes `reject_control_characters` (a dependency of every app);
- files (CSV, XLSX, statements) pass `check_text` field by field.
Tab, line feed and carriage return are allowed (notes and descriptions have lines).
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from functools import cache
from typing import Annotated, Any, ClassVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = "control characters (such as NUL) are not allowed"


def bad_text(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if CONTROL.search(value):
        return MESSAGE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "text must be valid Unicode (a lone surrogate was found)"
    return None


def check_text(value: str) -> str:
    """`value`, or ValueError saying why it cannot be stored."""
    why = bad_text(value)
    if why is not None:
        raise ValueError(why)
    return value


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(k)
            _walk(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _walk(v)
    return value


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_date(value: Any) -> Any:
    """A date as JSON and the OpenAPI schema say: a YYYY-MM-DD string (pydantic would take 0 as 1970-01-01)."""
    if isinstance(value, str) and not ISO_DATE.match(value.strip()):
        raise ValueError("a date is written YYYY-MM-DD")
    if isinstance(value, bool | int | float):
        raise ValueError("a date is a string, YYYY-MM-DD")
    return value


def _iso_moment(value: Any) -> Any:
    """A moment as an RFC 3339 string (pydantic would take a number as a Unix time)."""
    if isinstance(value, str) and not ISO_MOMENT.match(value.strip()):
        raise ValueError("a date-time is written as RFC 3339, e.g. 2026-12-03T09:00:00+08:00")
    if isinstance(value, bool | int | float):
        raise ValueError("a date-time is a string (RFC 3339)")
    return value


Day = Annotated[dt.date, BeforeValidator(_iso_date)]  # a query or path parameter that is a date
Moment = Annotated[dt.datetime, BeforeValidator(_iso_moment)]  # ... a date-time


@cache
def _kinds(annotation: Any) -> frozenset[type]:
    """The scalar types a field's annotation allows (through Optional, unions and Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _kinds(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return frozenset().union(*(_kinds(a) for a in typing.get_args(annotation)))
    if annotation in (bool, int, dt.date, dt.datetime, dt.time, type(None)):
        return frozenset({annotation})
    return frozenset({object})  # anything else: its own validation decides


def _as_typed(kinds: frozenset[type], value: Any) -> Any:
    """Refuse what JSON would not call a value of these kinds but pydantic's lax mode converts: a number or a
    "true" for a boolean, a string or a boolean for an integer, a number for a date."""
    if value is None or not kinds or object in kinds:
        return value
    if kinds & {bool} and isinstance(value, bool):
        return value
    if kinds & {int} and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kinds & {int} and isinstance(value, float) and value.is_integer():
        return value
    if kinds & {dt.datetime} and not (kinds & {int}):
        return _iso_moment(value)
    if kinds & {dt.date} and not (kinds & {int}):
        return _iso_date(value)
    if kinds & {dt.time} and isinstance(value, str | dt.time):
        return value
    wanted = " or ".join(sorted(k.__name__ for k in kinds if k is not type(None)))
    raise ValueError(f"expected {wanted} as JSON writes it, got {type(value).__name__}")


class Input(BaseModel):
    """The base of every request body: unknown fields refused, text stripped and free of control characters
    (at any depth: lists, dicts, nested models), and JSON's types kept (no "1" for 1, no 0 for false or for
    1970-01-01)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    # False for rows read from a file (CSV, XLSX), where every cell is text: "12" is then the number 12
    json_types: ClassVar[bool] = True

    @field_validator("*", mode="before")
    @classmethod
    def _json_types(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is None or not cls.json_types:
            return value
        try:
            kinds = _kinds(field.annotation)
        except TypeError:  # an unhashable annotation: no scalar of ours inside
            kinds = frozenset()
        return _as_typed(kinds, value)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return _walk(value)


async def reject_control_characters(request: Request) -> None:
    """Every query and path parameter, before the route sees it."""
    errors = []
    for name, value in request.query_params.multi_items():
        if (why := bad_text(name) or bad_text(value)) is not None:
            errors.append({"loc": ["query", name], "msg": why, "type": "value_error", "input": None})
    for name, value in request.path_params.items():
        if isinstance(value, str) and (why := bad_text(value)) is not None:
            errors.append({"loc": ["path", name], "msg": why, "type": "value_error", "input": None})
    if errors:
        raise RequestValidationError(errors)


# A wall-clock time in the estate's zone (opening hours, quiet hours, shifts): "HH:MM" or "HH:MM:SS", no offset
# (RFC 3339 `time` would require one).
LocalTime = Annotated[
    dt.time,
    PlainSerializer(lambda t: t.isoformat(), return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "examples": ["08:00", "22:30"]}
    ),
]
