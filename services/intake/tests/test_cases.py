"""Cases: opening (desk and resident), transitions legal and illegal, SLA clocks with pause, warning,
breach and escalation on durable timers, repeat complaints, resident confirm and reject, access."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import token, wait_until
from propdesk.common.testing.timetravel import backdate

from .conftest import building_with_units, events


@pytest.fixture
async def home(intake, estate, manager, desk) -> dict:
    """Two units, a resident who owns the first; tokens for that resident."""
    _, units = await building_with_units(intake, estate, manager, 1, 2)
    resident = (
        await intake.post(
            f"/v1/estates/{estate['id']}/residents",
            headers=desk,
            json={
                "name": "王建国",
                "phone": "13812345678",
                "occupancy": {"unit_id": units[0]["id"], "role": "owner"},
            },
        )
    ).json()
    me = token(
        "resident", estates=[uuid.UUID(estate["id"])], units=[uuid.UUID(units[0]["id"])], sub=resident["id"]
    )
    return {"units": units, "resident": resident, "me": me}


def complaint(unit_id: str, **extra) -> dict:
    return {
        "kind": "complaint",
        "channel": "app",
        "category": "noise",
        "unit_id": unit_id,
        "subject": "楼上装修噪音",
        "description": "晚上十点后仍在施工",
        **extra,
    }


async def act(intake, case_id, headers, action, **extra):
    return await intake.post(
        f"/v1/cases/{case_id}/actions", json={"action": action, **extra}, headers=headers
    )


class TestOpen:
    async def test_resident_opens_for_own_unit_with_running_clocks(self, intake, estate, home, db):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/cases", json=complaint(home["units"][0]["id"]), headers=home["me"]
        )
        assert r.status_code == 201, r.text
        case = r.json()
        assert re.fullmatch(r"CASE-\d{6}-\d{6}", case["reference"])
        assert case["resident_id"] == home["resident"]["id"] and case["state"] == "open"
        clocks = {c["milestone"]: c for c in case["clocks"]}
        assert set(clocks) == {"acknowledge", "first_response", "resolution"}
        assert all(c["state"] == "running" for c in clocks.values())
        assert (clocks["first_response"]["target_minutes"], clocks["first_response"]["calendar"]) == (
            1440,
            "clock",
        )
        assert (clocks["resolution"]["target_minutes"], clocks["resolution"]["calendar"]) == (
            7 * 540,
            "business",
        )
        timers = await db("SELECT key FROM intake.timer ORDER BY key")
        assert len(timers) == 6  # a warning and a breach timer per milestone
        [opened] = await events(db, "intake.case.opened")
        assert opened["reference"] == case["reference"] and opened["is_repeat"] is False

    async def test_resident_cannot_file_or_see_for_other_units(self, intake, estate, home, desk):
        other = home["units"][1]["id"]
        r = await intake.post(f"/v1/estates/{estate['id']}/cases", json=complaint(other), headers=home["me"])
        assert r.status_code == 403
        theirs = (
            await intake.post(f"/v1/estates/{estate['id']}/cases", json=complaint(other), headers=desk)
        ).json()
        assert (await intake.get(f"/v1/cases/{theirs['id']}", headers=home["me"])).status_code == 403
        listed = (await intake.get(f"/v1/estates/{estate['id']}/cases", headers=home["me"])).json()
        assert listed["items"] == []
        assert (await act(intake, theirs["id"], home["me"], "confirm")).status_code == 403

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "complaint", "subject": "x", "description": "y"},  # no category
            {"kind": "inquiry", "severity": "major", "subject": "x", "description": "y"},
            {"kind": "gossip", "subject": "x", "description": "y"},
            {"kind": "inquiry", "subject": "", "description": "y"},
            {"kind": "inquiry", "subject": "x", "description": "y", "reporter_phone": "123"},
        ],
    )
    async def test_bad_input(self, intake, estate, desk, body):
        r = await intake.post(f"/v1/estates/{estate['id']}/cases", json=body, headers=desk)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"

    async def test_repeat_complaint_is_flagged(self, intake, estate, home, desk, db):
        first = (
            await intake.post(
                f"/v1/estates/{estate['id']}/cases", json=complaint(home["units"][0]["id"]), headers=desk
            )
        ).json()
        second = (
            await intake.post(
                f"/v1/estates/{estate['id']}/cases", json=complaint(home["units"][0]["id"]), headers=desk
            )
        ).json()
        other = (
            await intake.post(
                f"/v1/estates/{estate['id']}/cases",
                json=complaint(home["units"][0]["id"], category="parking"),
                headers=desk,
            )
        ).json()
        assert (first["repeat_of"], second["repeat_of"], other["repeat_of"]) == (None, first["id"], None)
        assert [e["is_repeat"] for e in await events(db, "intake.case.opened")] == [False, True, False]


class TestTransitions:
    async def test_illegal_transition_is_409_and_changes_nothing(self, intake, estate, desk):
        case = (
            await intake.post(
                f"/v1/estates/{estate['id']}/cases",
                headers=desk,
                json={"kind": "inquiry", "subject": "停车月卡", "description": "如何办理"},
            )
        ).json()
        r = await act(intake, case["id"], desk, "confirm")
        assert r.status_code == 409 and r.json()["type"].endswith("/illegal-transition")
        assert r.json()["state"] == "open"
        after = (await intake.get(f"/v1/cases/{case['id']}", headers=desk)).json()
        assert after["state"] == "open" and [e["kind"] for e in after["timeline"]] == ["opened"]
        assert (await act(intake, case["id"], desk, "resume")).status_code == 409  # not waiting

    async def test_waiting_for_the_resident_pauses_every_clock(self, intake, estate, desk):
        case = (
            await intake.post(
                f"/v1/estates/{estate['id']}/cases",
                headers=desk,
                json={"kind": "inquiry", "subject": "发票", "description": "需要补开发票"},
            )
        ).json()
        await act(intake, case["id"], desk, "acknowledge")
        paused = (await act(intake, case["id"], desk, "wait", note="等住户提供单据")).json()
        states = {c["milestone"]: c["state"] for c in paused["clocks"]}
        assert states == {"acknowledge": "met", "first_response": "paused", "resolution": "paused"}
        assert all(c["due_at"] is None for c in paused["clocks"] if c["state"] == "paused")
        resumed = (await act(intake, case["id"], desk, "resume")).json()
        assert {c["milestone"]: c["state"] for c in resumed["clocks"]}["resolution"] == "running"
        assert (await act(intake, case["id"], desk, "resume")).status_code == 409


class TestSla:
    async def test_first_response_breach_warns_escalates_then_resident_confirms(
        self, intake, estate, home, desk, platform_env, db
    ):
        case = (
            await intake.post(
                f"/v1/estates/{estate['id']}/cases",
                json=complaint(home["units"][0]["id"]),
                headers=home["me"],
            )
        ).json()
        await act(intake, case["id"], desk, "acknowledge")
        engine = create_async_engine(asyncpg_url(platform_env.database_url))
        await backdate(
            engine,
            schema="intake",
            table="case",
            row_id=case["id"],
            timer_key_prefix=f"case:{case['id']}:",
            by=dt.timedelta(hours=25),
        )
        await engine.dispose()

        async def escalated():
            c = (await intake.get(f"/v1/cases/{case['id']}", headers=desk)).json()
            return c if c["escalation_level"] >= 1 else None

        now = await wait_until(escalated, message="the first-response breach to escalate the case")
        clocks = {c["milestone"]: c for c in now["clocks"]}
        assert clocks["first_response"]["state"] == "breached"
        assert clocks["acknowledge"]["state"] == "met"
        assert clocks["resolution"]["state"] == "running"  # 25 clock hours is < 7 working days
        assert [e["milestone"] for e in await events(db, "intake.case.sla_breached")] == ["first_response"]
        warnings = [e["milestone"] for e in await events(db, "intake.case.sla_warning")]
        assert warnings.count("first_response") == 1, warnings  # a warning is sent once, never again
        [escalation] = await events(db, "intake.case.escalated")
        assert (escalation["level"], escalation["to"]) == (1, "supervisor")
        assert "escalated" in [e["kind"] for e in now["timeline"]]

        resolved = await act(intake, case["id"], desk, "resolve", note="已与楼上住户沟通,22点后停止施工")
        assert resolved.json()["state"] == "resolved"
        rejected = await act(intake, case["id"], home["me"], "reject", note="昨晚仍有噪音")
        assert (rejected.json()["state"], rejected.json()["reopen_count"]) == ("in_progress", 1)
        await act(intake, case["id"], desk, "resolve", note="物业现场巡查并再次告知")
        closed = await act(intake, case["id"], home["me"], "confirm")
        assert closed.json()["state"] == "closed"
        [closed_event] = await events(db, "intake.case.closed")
        assert closed_event["confirmed_by_resident"] is True
        assert len(await events(db, "intake.case.reopened")) == 1
        assert await db("SELECT key FROM intake.timer WHERE key LIKE 'case:%'") == []  # every clock met
        follow_up = await db(
            "SELECT source_kind, state FROM intake.follow_up WHERE source_id = :id", id=case["id"]
        )
        assert follow_up == [("complaint", "pending")]  # a resolved complaint is followed up (回访)

    async def test_estate_override_of_a_target(self, intake, estate, desk, manager):
        r = await intake.put(
            f"/v1/estates/{estate['id']}/case-sla-targets",
            headers=manager,
            json={
                "kind": "complaint",
                "category": "security",
                "severity": "normal",
                "milestone": "first_response",
                "minutes": 60,
                "calendar": "clock",
            },
        )
        assert r.status_code == 200
        case = (
            await intake.post(
                f"/v1/estates/{estate['id']}/cases",
                headers=desk,
                json={
                    "kind": "complaint",
                    "category": "security",
                    "subject": "门禁",
                    "description": "单元门坏了",
                },
            )
        ).json()
        assert {c["milestone"]: c["target_minutes"] for c in case["clocks"]}["first_response"] == 60
        assert (
            await intake.put(
                f"/v1/estates/{estate['id']}/case-sla-targets",
                headers=desk,
                json={"kind": "complaint", "milestone": "first_response", "minutes": 1, "calendar": "clock"},
            )
        ).status_code == 403
