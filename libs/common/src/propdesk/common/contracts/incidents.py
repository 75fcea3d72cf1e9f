"""Events produced by incidents."""

from __future__ import annotations

import uuid

from propdesk.common.events import EventPayload, event


@event(
    "incidents.estate.provisioned",
    summary="incidents has its projection of a newly registered estate and set up its standard emergency playbooks made available to the estate.",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "incidents"
    detail: dict[str, str | int | bool] = {}
