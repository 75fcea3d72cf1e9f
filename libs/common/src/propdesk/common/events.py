"""Event contracts: one envelope, a catalog of typed, versioned payloads that producers and consumers
both import. Type `<service>.<aggregate>.<event>`; subject `<namespace>.<type>` (namespace `propdesk`)."""

from __future__ import annotations

import contextvars
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from propdesk.common.ids import uuid7
from propdesk.common.timeutil import utcnow

SERVICES = ("intake", "repairs", "billing", "incidents", "notify", "identity")


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["user", "system", "service"] = "system"
    id: str = "system"
    role: str | None = None


class EventContext(BaseModel):
    """What the current request or handled event contributes to every event recorded under it."""

    correlation_id: str
    causation_id: str | None = None
    actor: Actor = Actor()


_context: contextvars.ContextVar[EventContext | None] = contextvars.ContextVar(
    "propdesk_event_ctx", default=None
)


def current_context() -> EventContext:
    ctx = _context.get()
    return ctx if ctx is not None else EventContext(correlation_id=str(uuid7()))


def bind_context(ctx: EventContext) -> contextvars.Token:
    return _context.set(ctx)


def reset_context(token: contextvars.Token) -> None:
    _context.reset(token)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    type: str
    version: int
    occurred_at: dt.datetime
    producer: str
    aggregate_id: str
    estate_id: uuid.UUID | None = None
    correlation_id: str
    causation_id: str | None = None
    actor: Actor = Actor()
    payload: dict[str, Any]


PERSONAL = "x-personal"  # in a field's JSON schema: a name, a phone number, an e-mail of a person


def personal(**kwargs: Any) -> Any:
    """A payload field that holds a person's data (masked for outside subscribers not allowed to see it)."""
    return Field(**kwargs, json_schema_extra={PERSONAL: True})


def redact(payload: dict, model: type[BaseModel]) -> dict:
    """`payload` (as JSON) with every personal field of `model`, nested models included, masked."""
    out = dict(payload)
    for name, field in model.model_fields.items():
        if name not in out:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get(PERSONAL) and out[name] is not None:
            out[name] = "***"
            continue
        nested = field.annotation if isinstance(field.annotation, type) else None
        if nested is not None and issubclass(nested, BaseModel) and isinstance(out[name], dict):
            out[name] = redact(out[name], nested)
    return out


class EventPayload(BaseModel):
    """Base of every payload in the catalog. Subclasses are registered with `@event(...)`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    spec: ClassVar[EventSpec]


@dataclass(frozen=True)
class EventSpec:
    type: str
    version: int
    summary: str
    model: type[EventPayload]
    notifies: bool = False  # notify renders a message for it (templates must exist in both languages)

    @property
    def producer(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def aggregate(self) -> str:
        return self.type.split(".")[1]

    def subject(self, namespace: str = "propdesk") -> str:
        return f"{namespace}.{self.type}"


class Catalog:
    def __init__(self) -> None:
        self._specs: dict[tuple[str, int], EventSpec] = {}

    def register(self, spec: EventSpec) -> None:
        parts = spec.type.split(".")
        if (
            len(parts) != 3
            or parts[0] not in SERVICES
            or not all(p.replace("_", "").isalnum() for p in parts)
        ):
            raise ValueError(f"event type must be <service>.<aggregate>.<event>: {spec.type!r}")
        key = (spec.type, spec.version)
        if key in self._specs and self._specs[key].model is not spec.model:
            raise ValueError(f"event {spec.type} v{spec.version} registered twice")
        self._specs[key] = spec

    def get(self, type_: str, version: int) -> EventSpec:
        try:
            return self._specs[(type_, version)]
        except KeyError:
            raise KeyError(f"unknown event {type_} v{version}") from None

    def __iter__(self):
        return iter(sorted(self._specs.values(), key=lambda s: (s.type, s.version)))

    def parse(self, envelope: Envelope) -> EventPayload:
        return self.get(envelope.type, envelope.version).model.model_validate(envelope.payload)


CATALOG = Catalog()


def event(type_: str, *, version: int = 1, summary: str, notifies: bool = False):
    def decorate(cls: type[EventPayload]) -> type[EventPayload]:
        cls.spec = EventSpec(type_, version, summary, cls, notifies)
        CATALOG.register(cls.spec)
        return cls

    return decorate


def build_envelope(
    payload: EventPayload,
    *,
    aggregate_id: uuid.UUID | str,
    estate_id: uuid.UUID | None = None,
    actor: Actor | None = None,
) -> Envelope:
    ctx = current_context()
    spec = type(payload).spec
    return Envelope(
        id=uuid7(),
        type=spec.type,
        version=spec.version,
        occurred_at=utcnow(),
        producer=spec.producer,
        aggregate_id=str(aggregate_id),
        estate_id=estate_id,
        correlation_id=ctx.correlation_id,
        causation_id=ctx.causation_id,
        actor=actor or ctx.actor,
        payload=payload.model_dump(mode="json"),
    )


def stream_name(producer: str, namespace: str = "propdesk") -> str:
    return f"{namespace}_{producer}".upper()


def stream_subjects(producer: str, namespace: str = "propdesk") -> list[str]:
    return [f"{namespace}.{producer}.>"]


__all__ = [
    "CATALOG",
    "Actor",
    "Catalog",
    "Envelope",
    "EventContext",
    "EventPayload",
    "EventSpec",
    "Field",
    "build_envelope",
    "event",
    "personal",
    "redact",
]
