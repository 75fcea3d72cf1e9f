from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from propdesk.common.inputs import Input, LocalTime
from propdesk.common.settings import webhook_secret_bytes


class QuietHoursRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    estate_id: uuid.UUID
    starts: LocalTime
    ends: LocalTime
    timezone: str
    applies_to: str


Channel = Literal["inapp", "sms", "email", "push", "voice"]


# What a message is about, from its event's own fields: the first of these ids it carries, with the reference a
# person reads (WO-…, CASE-…, INV-…, RCP-…, INC-…), so that an app can open the record it concerns.
SOURCES = (
    ("incident_id", "incident", ("reference",)),
    ("outage_id", "outage", ("reference",)),
    ("work_order_id", "work_order", ("reference", "work_order_reference")),
    ("case_id", "case", ("reference",)),
    ("payment_id", "payment", ("receipt_number",)),
    ("invoice_id", "invoice", ("number",)),
    ("deposit_id", "deposit", ("reference",)),
    ("renovation_id", "renovation", ("reference",)),
    ("violation_id", "violation", ("reference",)),
    ("follow_up_id", "follow_up", ("reference",)),
    ("message_id", "message", ("reference",)),
)


class Source(BaseModel):
    kind: str = Field(examples=["work_order"])
    id: str
    reference: str | None = Field(None, examples=["WO-202612-000042"])


def source_of(context: dict | None) -> Source | None:
    context = context or {}
    for key, kind, references in SOURCES:
        if context.get(key):
            reference = next((context[r] for r in references if context.get(r)), None)
            return Source(kind=kind, id=str(context[key]), reference=reference)
    return None


class InboxItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    acknowledged_at: dt.datetime | None = None
    event_type: str
    category: str
    critical: bool
    title: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    source: Source | None = Field(None, description="the record the message is about, when it is about one")

    @model_validator(mode="before")
    @classmethod
    def _source(cls, data):
        if not isinstance(data, dict) and hasattr(data, "context"):  # a Message row
            fields = {name: getattr(data, name) for name in cls.model_fields if name != "source"}
            return {**fields, "source": source_of(data.context)}
        return data


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    message_id: uuid.UUID
    recipient_id: uuid.UUID
    channel: str
    state: str
    reason: str | None
    address: str | None
    provider: str | None
    provider_ref: str | None
    attempts: int
    held_until: dt.datetime | None
    override: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TemplateKey(Input):
    estate_id: uuid.UUID | None = Field(
        default=None,
        description="the estate whose residents and staff get it; none: the platform's own version, used by "
        "every estate without one (the platform's admins only)",
    )
    event_type: str = Field(min_length=3, max_length=100)
    channel: Channel
    language: Literal["zh-CN", "en"]


class TemplateWrite(TemplateKey):
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(min_length=1, max_length=10_000)


class TemplateRead(BaseModel):
    estate_id: uuid.UUID | None
    event_type: str
    channel: str
    language: str
    subject: str | None
    body: str
    source: Literal["default", "platform", "estate"]


class PreviewRequest(TemplateKey):
    subject: str | None = None
    body: str | None = Field(
        default=None, description="preview an unsaved template; default: the one in force"
    )
    context: dict | None = Field(default=None, description="placeholder values; default: a sample")


class PreviewResponse(BaseModel):
    subject: str | None
    body: str


class NoticeCreate(Input):
    all_residents: bool = Field(default=False, description="every resident of the estate")
    building_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    floors: list[int] = Field(
        default_factory=list, max_length=300, description="with building_ids: only these floors"
    )
    unit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20_000)
    recipient_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)
    staff_roles: list[str] = Field(default_factory=list)
    title_zh: str = Field(min_length=1, max_length=200)
    body_zh: str = Field(min_length=1, max_length=2000)
    title_en: str = Field(min_length=1, max_length=200)
    body_en: str = Field(min_length=1, max_length=2000)
    category: str = Field(default="notice", pattern=r"^[a-z_]{2,32}$")
    critical: bool = False

    @model_validator(mode="after")
    def _scope(self) -> NoticeCreate:
        if not (
            self.all_residents or self.building_ids or self.unit_ids or self.recipient_ids or self.staff_roles
        ):
            raise ValueError(
                "name a scope: all_residents, building_ids (and floors), unit_ids, recipient_ids "
                "or staff_roles"
            )
        if self.floors and not self.building_ids:
            raise ValueError("floors are floors of building_ids")
        return self


class NoticeResult(BaseModel):
    notice_id: uuid.UUID
    recipients: int


class PreferenceWrite(Input):
    category: str = Field(pattern=r"^([a-z_]{2,32}|\*)$")
    channel: Channel
    enabled: bool


class QuietHoursWrite(Input):
    starts: LocalTime = Field(description="estate-local, e.g. 22:00")
    ends: LocalTime = Field(description="estate-local, e.g. 07:00 (the next morning when before starts)")

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursWrite:
        if self.starts == self.ends:
            raise ValueError("starts and ends must differ")
        return self


class CallbackBody(Input):
    model_config = ConfigDict(extra="ignore")

    reference: str = Field(min_length=1, max_length=128, description="our delivery id or the provider's id")
    status: Literal["delivered", "failed", "bounced"]
    detail: str | None = Field(default=None, max_length=500)


class InboundBody(Input):
    """An SMS a provider received for us (a resident's reply)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sender: str = Field(alias="from", min_length=5, max_length=32, description="the sender's phone number")
    text: str = Field(max_length=500)


class WebhookCreate(Input):
    url: str = Field(pattern=r"^https?://", max_length=500)
    event_types: list[str] = Field(
        min_length=1, max_length=50, description="exact types, or prefixes ending in *"
    )
    estate_id: uuid.UUID | None = Field(
        default=None,
        description="its estate's events only; none: every estate's (the platform's admins only)",
    )
    personal_data: bool = Field(
        default=False, description="receive names, phone numbers and e-mails (otherwise masked as ***)"
    )


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    event_types: list[str]
    estate_id: uuid.UUID | None
    personal_data: bool
    active: bool
    created_at: dt.datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="shown once: verify the webhook-signature header with it")


class ProviderWrite(Input):
    channel: Literal["sms", "push", "voice"]
    url: str = Field(pattern=r"^https?://", max_length=500)
    secret: SecretStr | None = Field(
        default=None,
        description="Standard Webhooks secret (whsec_ + base64 of at least 24 bytes); kept if omitted",
    )

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            webhook_secret_bytes(value.get_secret_value())
        return value

    priority: int = Field(default=100, ge=0, le=10_000)
    active: bool = True
    estate_id: uuid.UUID | None = Field(
        default=None,
        description="the estate whose messages it sends; none: every estate's (the platform's admins only). "
        "Fixed when the provider is added",
    )


class ProviderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    estate_id: uuid.UUID | None
    channel: str
    url: str
    priority: int
    active: bool
    updated_by: str
    updated_at: dt.datetime
