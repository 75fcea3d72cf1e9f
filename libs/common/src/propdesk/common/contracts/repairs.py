"""Events produced by repairs."""

from __future__ import annotations

import uuid

from propdesk.common.events import EventPayload, event


@event(
    "repairs.estate.provisioned",
    summary="repairs has its projection of a newly registered estate and set up its default SLA policy (emergency on site 30 min, urgent response 15 min, normal accepted 2 h, done in 3 business days).",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "repairs"
    detail: dict[str, str | int | bool] = {}
