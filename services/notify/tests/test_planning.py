"""notify's delivery rules, as a table: recipient × channel × preference × quiet hours × criticality → the
deliveries planned. Pure functions, no database (service/planning.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from propdesk.notify.service.planning import EVERYTHING, Contact, Preferences, plan, plan_delivery

NOW = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC)
MORNING = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)
PERSON = Contact(uuid.UUID(int=1), phone="13800000000", email="li@example.com")
NO_EMAIL = Contact(uuid.UUID(int=2), phone="13800000001", email=None)
NO_PHONE = Contact(uuid.UUID(int=3), phone=None, email=None)

# (contact, channel, critical, enabled, quiet) -> (state, reason, override, send_at)
RULES = [
    # the inbox is stored at once, quiet or not
    (PERSON, "inapp", False, True, False, ("delivered", None, None, None)),
    (PERSON, "inapp", False, True, True, ("delivered", None, None, None)),
    # SMS and e-mail go now, or at the end of quiet hours
    (PERSON, "sms", False, True, False, ("pending", None, None, NOW)),
    (PERSON, "sms", False, True, True, ("pending", "quiet_hours", None, MORNING)),
    (PERSON, "email", False, True, True, ("pending", "quiet_hours", None, MORNING)),
    # no address: suppressed, whatever else holds
    (NO_EMAIL, "email", False, True, False, ("suppressed", "no_contact_point", None, None)),
    (NO_EMAIL, "email", True, True, True, ("suppressed", "no_contact_point", None, None)),
    # opted out: suppressed (the inbox too)
    (PERSON, "sms", False, False, False, ("suppressed", "opt_out", None, None)),
    (PERSON, "inapp", False, False, False, ("suppressed", "opt_out", None, None)),
    # critical: passes opt-outs and quiet hours, and says so
    (PERSON, "sms", True, True, True, ("pending", None, "quiet_hours", NOW)),
    (PERSON, "sms", True, False, False, ("pending", None, "opt_out", NOW)),
    (PERSON, "sms", True, False, True, ("pending", None, "opt_out, quiet_hours", NOW)),
    (PERSON, "inapp", True, False, True, ("delivered", None, "opt_out", None)),
    (PERSON, "voice", True, True, True, ("pending", None, None, NOW)),  # voice is never held
    (PERSON, "push", True, True, False, ("pending", None, None, NOW)),
]


@pytest.mark.parametrize(("contact", "channel", "critical", "enabled", "quiet", "expected"), RULES)
def test_the_rules_of_one_delivery(contact, channel, critical, enabled, quiet, expected):
    planned = plan_delivery(
        contact, channel, critical=critical, enabled=enabled, quiet_until=MORNING if quiet else None, now=NOW
    )
    assert (planned.state, planned.reason, planned.override, planned.send_at) == expected
    assert planned.held_until == (MORNING if planned.reason == "quiet_hours" else None)


def channels(p) -> list[tuple[str, str]]:
    return [(d.channel, d.state) for d in p.deliveries]


@pytest.mark.parametrize(
    ("contact", "critical", "chain_channels", "expected_channels", "expected_chain"),
    [
        # every message: inbox, SMS, e-mail
        (PERSON, False, ["push", "sms", "voice"], ["inapp", "sms", "email"], []),
        # critical: the chain's first step now (push), its channels not sent twice
        (PERSON, True, ["push", "sms", "voice"], ["inapp", "email", "push"], ["push", "sms", "voice"]),
        # only the steps with a provider and an address
        (PERSON, True, ["sms", "voice"], ["inapp", "email", "sms"], ["sms", "voice"]),
        (NO_PHONE, True, ["push", "sms", "voice"], ["inapp", "sms", "email", "push"], ["push"]),
        (NO_PHONE, True, ["sms", "voice"], ["inapp", "sms", "email"], []),
    ],
)
def test_a_messages_channels_and_its_critical_chain(
    contact, critical, chain_channels, expected_channels, expected_chain
):
    p = plan(
        contact,
        critical=critical,
        preferences=EVERYTHING,
        quiet_until=None,
        chain_channels=chain_channels,
        now=NOW,
    )
    assert [d.channel for d in p.deliveries] == expected_channels
    assert p.chain == expected_chain and p.chain_step == (1 if expected_chain else 0)


@pytest.mark.parametrize(
    ("saved", "category", "expected"),
    [
        ([], "repair", {"inapp": True, "sms": True, "email": True}),
        ([("*", "sms", False)], "repair", {"inapp": True, "sms": False, "email": True}),
        ([("*", "*", False)], "repair", {"inapp": False, "sms": False, "email": False}),
        # the category's own choice wins over the one for every category
        (
            [("*", "sms", False), ("repair", "sms", True)],
            "repair",
            {"inapp": True, "sms": True, "email": True},
        ),
        (
            [("*", "sms", False), ("repair", "sms", True)],
            "billing",
            {"inapp": True, "sms": False, "email": True},
        ),
        # the channel's own choice wins over the one for every channel
        (
            [("repair", "*", False), ("repair", "inapp", True)],
            "repair",
            {"inapp": True, "sms": False, "email": False},
        ),
    ],
)
def test_preferences(saved, category, expected):
    prefs = Preferences(saved, category)
    assert {c: prefs.enabled(c) for c in expected} == expected


def test_an_opted_out_person_still_gets_a_critical_message_on_every_channel():
    prefs = Preferences([("*", "*", False)], "emergency")
    p = plan(PERSON, critical=True, preferences=prefs, quiet_until=MORNING, chain_channels=["sms"], now=NOW)
    assert channels(p) == [("inapp", "delivered"), ("email", "pending"), ("sms", "pending")]
    assert all(d.override and "opt_out" in d.override for d in p.deliveries)
