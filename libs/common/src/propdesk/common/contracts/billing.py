"""Events produced by billing."""

from __future__ import annotations

import uuid

from propdesk.common.events import EventPayload, Field, event


@event(
    "billing.estate.provisioned",
    summary="billing has its projection of a newly registered estate and set up its billing ledger for the estate (chart of accounts) opened.",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "billing"
    detail: dict[str, str | int | bool] = {}


@event(
    "billing.deposit.held",
    summary="billing holds a deposit it was asked for (for example a renovation deposit, once paid).",
)
class DepositHeld(EventPayload):
    deposit_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    purpose: str = "renovation"
    source_id: uuid.UUID = Field(description="the requesting record, e.g. the renovation id")
    amount_fen: int
