"""Events produced by notify."""

from __future__ import annotations

import uuid
from typing import Literal

from propdesk.common.events import EventPayload, event, personal


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


@event(
    "notify.reply.received",
    summary="A resident answered an emergency broadcast by SMS (1 = safe, 2 = need help) through the SMS provider's "
    "inbound callback; incidents counts it as the answer the app would give, for the resident's units.",
)
class ReplyReceived(EventPayload):
    incident_id: uuid.UUID
    estate_id: uuid.UUID
    resident_id: uuid.UUID
    unit_ids: list[uuid.UUID]
    status: Literal["safe", "need_help"]
    message_id: uuid.UUID
    channel: str = "sms"
    text: str = personal(default="")
