"""Phone desk: calls resolved to residents and units, transfers, messages until acknowledged, callbacks
on durable timers (a missed call creates one), and a reported leak becoming a work-order request."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import token, wait_until

from .conftest import events


@pytest.fixture
async def caller(intake, estate, manager, desk) -> dict:
    b = (
        await intake.post(
            f"/v1/estates/{estate['id']}/buildings",
            headers=manager,
            json={"code": "A1", "name": "A1栋", "floors": 6},
        )
    ).json()
    unit = (
        await intake.post(
            f"/v1/estates/{estate['id']}/units",
            headers=manager,
            json={"building_id": b["id"], "number": "A1-0301", "floor": 3, "area_m2": "120"},
        )
    ).json()
    resident = (
        await intake.post(
            f"/v1/estates/{estate['id']}/residents",
            headers=desk,
            json={
                "name": "李娜",
                "phone": "13912345678",
                "language": "en",
                "occupancy": {"unit_id": unit["id"], "role": "tenant"},
            },
        )
    ).json()
    plumber = (
        await intake.post(
            f"/v1/estates/{estate['id']}/staff",
            headers=manager,
            json={"name": "刘强", "department": "engineering", "roles": ["technician"], "extension": "8012"},
        )
    ).json()
    return {"unit": unit, "building": b, "resident": resident, "plumber": plumber}


class TestCalls:
    async def test_caller_is_resolved_to_resident_and_units(self, intake, estate, desk, caller):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/calls",
            headers=desk,
            json={"phone": "139-1234-5678", "topic": "inquiry", "duration_seconds": 95},
        )
        assert r.status_code == 201
        call = r.json()
        assert (call["resident_id"], call["unit_ids"]) == (caller["resident"]["id"], [caller["unit"]["id"]])
        stranger = (
            await intake.post(
                f"/v1/estates/{estate['id']}/calls", headers=desk, json={"phone": "13000000000"}
            )
        ).json()
        assert (stranger["resident_id"], stranger["unit_ids"]) == (None, [])
        log = (
            await intake.get(
                f"/v1/estates/{estate['id']}/calls", params={"phone": "13912345678"}, headers=desk
            )
        ).json()
        assert [c["id"] for c in log["items"]] == [call["id"]]

    async def test_transfers_are_recorded_and_validated(self, intake, estate, desk, caller):
        bad = await intake.post(
            f"/v1/estates/{estate['id']}/calls",
            headers=desk,
            json={"phone": "13912345678", "outcome": "transferred"},
        )
        assert bad.status_code == 422
        call = (
            await intake.post(
                f"/v1/estates/{estate['id']}/calls", headers=desk, json={"phone": "13912345678"}
            )
        ).json()
        r = await intake.post(
            f"/v1/calls/{call['id']}/transfer",
            headers=desk,
            json={"staff_id": caller["plumber"]["id"], "note": "转工程部刘师傅"},
        )
        assert (r.json()["outcome"], r.json()["transferred_to_staff_id"]) == (
            "transferred",
            caller["plumber"]["id"],
        )
        foreign = await intake.post(
            f"/v1/calls/{call['id']}/transfer", headers=desk, json={"staff_id": str(uuid.uuid4())}
        )
        assert foreign.status_code == 422

    async def test_missed_call_gets_a_callback_that_goes_overdue(
        self, intake, estate, desk, caller, platform_env, db
    ):
        call = (
            await intake.post(
                f"/v1/estates/{estate['id']}/calls",
                headers=desk,
                json={"phone": "13912345678", "outcome": "missed"},
            )
        ).json()
        assert call["callback_id"] is not None
        [cb] = (await intake.get(f"/v1/estates/{estate['id']}/callbacks", headers=desk)).json()["items"]
        assert cb["resident_id"] == caller["resident"]["id"] and cb["overdue"] is False
        due = dt.datetime.fromisoformat(cb["due_at"]) - dt.datetime.fromisoformat(
            (await intake.get(f"/v1/estates/{estate['id']}/calls", headers=desk)).json()["items"][0][
                "started_at"
            ]
        )
        assert due == dt.timedelta(minutes=30)
        engine = create_async_engine(asyncpg_url(platform_env.database_url))
        async with engine.begin() as conn:  # time passes: the callback is due now
            await conn.execute(
                text("UPDATE intake.timer SET due_at = now() - interval '1 second' WHERE key = :k"),
                {"k": f"callback:{cb['id']}"},
            )
        await engine.dispose()

        async def overdue():
            page = await intake.get(
                f"/v1/estates/{estate['id']}/callbacks", params={"overdue": "true"}, headers=desk
            )
            return page.json()["items"]

        await wait_until(overdue, message="the callback to be flagged overdue")
        [event] = await events(db, "intake.callback.overdue")
        assert event["phone"] == "+8613912345678"
        done = await intake.post(f"/v1/callbacks/{cb['id']}/done", json={"outcome": "已回电"}, headers=desk)
        assert done.json()["state"] == "done"
        assert (
            await intake.post(f"/v1/callbacks/{cb['id']}/done", json={"outcome": "x"}, headers=desk)
        ).status_code == 409


class TestMessages:
    async def test_message_tracked_until_the_addressee_acknowledges(self, intake, estate, desk, caller, db):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/messages",
            headers=desk,
            json={
                "for_staff_id": caller["plumber"]["id"],
                "from_name": "李娜",
                "from_phone": "13912345678",
                "text": "请明天上午来看一下厨房水龙头",
            },
        )
        assert r.status_code == 201 and r.json()["state"] == "pending"
        message = r.json()
        [taken] = await events(db, "intake.message.taken")
        assert taken["for_staff_id"] == caller["plumber"]["id"]
        someone = token("technician", estates=[uuid.UUID(estate["id"])], sub=str(uuid.uuid4()))
        assert (
            await intake.post(f"/v1/messages/{message['id']}/acknowledge", headers=someone)
        ).status_code == 403
        plumber = token("technician", estates=[uuid.UUID(estate["id"])], sub=caller["plumber"]["id"])
        ack = await intake.post(f"/v1/messages/{message['id']}/acknowledge", headers=plumber)
        assert ack.json()["state"] == "acknowledged"
        assert (
            await intake.post(f"/v1/messages/{message['id']}/acknowledge", headers=plumber)
        ).status_code == 409
        pending = (
            await intake.get(
                f"/v1/estates/{estate['id']}/messages", params={"state": "pending"}, headers=desk
            )
        ).json()
        assert pending["items"] == []

    async def test_message_needs_exactly_one_addressee(self, intake, estate, desk, caller):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/messages", headers=desk, json={"from_name": "x", "text": "y"}
        )
        assert r.status_code == 422


class TestRepairFromCall:
    async def test_a_reported_leak_becomes_a_work_order_request(self, intake, estate, desk, caller, db):
        call = (
            await intake.post(
                f"/v1/estates/{estate['id']}/calls",
                headers=desk,
                json={"phone": "13912345678", "topic": "repair"},
            )
        ).json()
        r = await intake.post(
            f"/v1/calls/{call['id']}/repair-request",
            headers=desk,
            json={
                "unit_id": caller["unit"]["id"],
                "category": "plumbing",
                "urgency": "urgent",
                "description": "厨房水管漏水,已关总阀",
                "preferred_from": "2026-12-01T09:00:00+08:00",
                "preferred_to": "2026-12-01T12:00:00+08:00",
            },
        )
        assert r.status_code == 201, r.text
        [requested] = await events(db, "intake.repair.requested")
        assert (
            requested["unit_id"] == caller["unit"]["id"]
            and requested["building_id"] == caller["building"]["id"]
        )
        assert (requested["category"], requested["urgency"], requested["source"]) == (
            "plumbing",
            "urgent",
            "call",
        )
        assert requested["source_id"] == call["id"]
        assert requested["reporter"] == {
            "resident_id": caller["resident"]["id"],
            "name": "李娜",
            "phone": "+8613912345678",
            "language": "en",
        }
        neither = await intake.post(
            f"/v1/calls/{call['id']}/repair-request",
            headers=desk,
            json={"category": "plumbing", "description": "x"},
        )
        assert neither.status_code == 422
