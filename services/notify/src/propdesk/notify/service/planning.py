"""How notify decides what reaches a person: the one place its delivery rules live.

recipient × channel × preference × quiet hours × criticality → the deliveries to make (and when to send them)
and, for a critical message, the fallback chain it walks until acknowledged. Pure functions: single messages,
critical messages, their chain's later steps and broadcasts all plan here, and the rules are unit-tested as a
table (tests/test_planning.py).

The rules:
- Every message goes to the in-app inbox, by SMS and by e-mail; a critical one also walks the fallback chain
  (push → SMS → voice, the steps the person can be reached on): its first step now, the next when nobody
  acknowledged in time. A channel that is a chain step is sent as that step, not twice.
- The in-app entry is delivered at once (it is stored). The others are sent.
- A channel the person opted out of is suppressed (`opt_out`); a channel without an address is suppressed
  (`no_contact_point`). A preference for the message's category wins over one for every category (`*`); a
  preference for the channel wins over one for every channel.
- Inside the estate's quiet hours, SMS and e-mail wait until they end (`quiet_hours`); the inbox does not.
- A critical message passes opt-outs and quiet hours; each thing it overrides is recorded on its delivery.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

CHANNELS = ("inapp", "sms", "email")  # every message
HELD = frozenset({"sms", "email"})  # wait for the end of quiet hours (the inbox is silent)


@dataclass(frozen=True)
class Contact:
    """A recipient as planning needs them."""

    id: uuid.UUID
    phone: str | None
    email: str | None


def address_for(contact: Contact, channel: str) -> str | None:
    if channel in ("inapp", "push"):
        return str(contact.id)
    if channel in ("sms", "voice"):
        return contact.phone
    if channel == "email":
        return contact.email
    raise ValueError(f"unknown channel {channel}")


@dataclass(frozen=True)
class Planned:
    """One delivery to make (its address is the recipient's for the channel: `address_for`)."""

    channel: str
    state: str  # delivered (in-app) | pending (to send) | suppressed
    reason: str | None = None  # opt_out | staff_routine | no_contact_point | quiet_hours
    override: str | None = None  # what a critical message passed: opt_out, quiet_hours
    send_at: dt.datetime | None = None  # when to send it (pending ones)

    @property
    def held_until(self) -> dt.datetime | None:
        return self.send_at if self.reason == "quiet_hours" else None

    @property
    def detail(self) -> str | None:
        """What its first log line says beside the state: why it waits or was suppressed, what it overrode
        (None: nothing to say; the delivery row itself records that it was made)."""
        parts = [self.reason, self.override and f"critical overrides {self.override}"]
        return "; ".join(p for p in parts if p) or None


@dataclass(frozen=True)
class Plan:
    deliveries: list[Planned]
    chain: list[str]  # the critical fallback chain this person can be reached on ([] if not critical)

    @property
    def chain_step(self) -> int:
        """How far down the chain the message starts (its first step is sent now)."""
        return 1 if self.chain else 0


class Preferences:
    """A person's saved choices for one category: (category, channel, enabled) rows. Equal choices compare
    equal (a fan-out plans once per kind of person)."""

    def __init__(self, saved: Iterable[tuple[str, str, bool]], category: str) -> None:
        chosen: dict[str, bool] = {}
        for wanted in ("*", category):  # the category's own choice over the one for every category
            for saved_category, channel, enabled in saved:
                if saved_category == wanted:
                    chosen[channel] = enabled
        self._chosen = chosen

    def enabled(self, channel: str) -> bool:
        return self._chosen.get(channel, self._chosen.get("*", self._default(channel)))

    def _default(self, channel: str) -> bool:
        return True

    def off_reason(self, channel: str) -> str:
        """Why a channel that is off is off: the person's choice, or the staff default for routine alerts."""
        return "opt_out"

    def routine_for_staff(self) -> Preferences:
        """A staff member's routine alert: the inbox (and the digest) only, unless they chose a channel."""
        return _StaffRoutine(self)

    @property
    def key(self) -> tuple:
        return tuple(sorted(self._chosen.items()))


class _StaffRoutine(Preferences):
    def __init__(self, chosen: Preferences) -> None:
        self._chosen = chosen._chosen

    def _default(self, channel: str) -> bool:
        return channel == "inapp"

    def off_reason(self, channel: str) -> str:
        return "opt_out" if channel in self._chosen or "*" in self._chosen else "staff_routine"

    @property
    def key(self) -> tuple:
        return ("staff_routine", *super().key)


EVERYTHING = Preferences((), "*")


def chain_for(contact: Contact, chain_channels: list[str]) -> list[str]:
    """The steps of the critical chain (those with a provider) this person has an address for."""
    return [c for c in chain_channels if address_for(contact, c)]


def plan(
    contact: Contact,
    *,
    critical: bool,
    preferences: Preferences,
    quiet_until: dt.datetime | None,
    chain_channels: list[str],
    now: dt.datetime,
) -> Plan:
    """A new message's deliveries. `quiet_until`: when the estate's quiet hours end, if now is inside them.
    `chain_channels`: the critical chain's steps that have a provider."""
    chain = chain_for(contact, chain_channels) if critical else []
    channels = [c for c in CHANNELS if c not in chain] + chain[:1]
    return Plan(
        [
            plan_delivery(
                contact,
                channel,
                critical=critical,
                enabled=preferences.enabled(channel),
                off_reason=preferences.off_reason(channel),
                quiet_until=quiet_until,
                now=now,
            )
            for channel in channels
        ],
        chain,
    )


def plan_delivery(
    contact: Contact,
    channel: str,
    *,
    critical: bool,
    enabled: bool,
    quiet_until: dt.datetime | None,
    now: dt.datetime,
    off_reason: str = "opt_out",
) -> Planned:
    """One channel of one message (also a later step of a critical chain)."""
    address = address_for(contact, channel)
    quiet = quiet_until is not None and channel in HELD
    overrides = []
    if critical and address:
        if not enabled:
            overrides.append("opt_out")
        if quiet and channel != "inapp":
            overrides.append("quiet_hours")
    override = ", ".join(overrides) or None
    if not enabled and not critical:
        return Planned(channel, "suppressed", off_reason)
    if not address:
        return Planned(channel, "suppressed", "no_contact_point")
    if channel == "inapp":
        return Planned(channel, "delivered", override=override)
    if quiet and not critical:
        return Planned(channel, "pending", "quiet_hours", send_at=quiet_until)
    return Planned(channel, "pending", override=override, send_at=now)


def shape(contact: Contact, preferences: Preferences) -> tuple:
    """What planning depends on besides the message: which addresses a person has, and their choices. People
    of one shape get the same plan."""
    return (bool(contact.phone), bool(contact.email), preferences.key)
