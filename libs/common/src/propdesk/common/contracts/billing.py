"""Events produced by billing."""

from __future__ import annotations

import uuid

from propdesk.common.events import EventPayload, event


@event(
    "billing.estate.provisioned",
    summary="billing has its projection of a newly registered estate and set up its billing ledger for the estate (chart of accounts) opened.",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "billing"
    detail: dict[str, str | int | bool] = {}
