"""Events produced by notify."""

from __future__ import annotations

import uuid

from propdesk.common.events import EventPayload, event


@event(
    "notify.estate.provisioned",
    summary="notify has its projection of a newly registered estate and set up its default notification settings (quiet hours 22:00-07:00 estate time).",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "notify"
    detail: dict[str, str | int | bool] = {}


@event(
    "notify.critical.acknowledged",
    summary="A recipient acknowledged a critical message; its fallback chain stopped.",
)
class CriticalAlert(EventPayload):
    """A critical message's fate, with what it was about so the service that raised it can act: the event that
    caused it, the record (`source_kind` incident, work_order…, its id and human reference) and, for an
    incident's step, the step."""

    message_id: uuid.UUID
    source_event_id: uuid.UUID
    recipient_id: uuid.UUID
    channels_tried: list[str]
    recipient_name: str | None = None
    source_event_type: str | None = None
    source_kind: str | None = None
    source_id: str | None = None
    source_reference: str | None = None
    step: str | None = None


class CriticalAcknowledged(CriticalAlert):
    pass


@event(
    "notify.critical.unacknowledged",
    summary="A critical message went through its whole fallback chain (push, SMS, voice) without acknowledgement.",
)
class CriticalUnacknowledged(CriticalAlert):
    pass
