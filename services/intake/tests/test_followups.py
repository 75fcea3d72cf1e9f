"""Follow-ups (回访): created from repairs' completed work orders (through JetStream), sampling, staff
attempts up to the limit, the resident's own answer, a bad score opening a linked complaint and the reopen
event, the overdue timer, access and bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from propdesk.common.contracts.repairs import WorkOrderCompleted
from propdesk.common.testing.helpers import emit, running_service, token, wait_until
from propdesk.repairs.main import SERVICE as REPAIRS

from .conftest import building_with_units, events, household, make_due


@pytest.fixture
async def repairs(platform_env):
    async with running_service(REPAIRS, platform_env) as client:
        yield client


@pytest.fixture
async def home(intake, estate, manager, desk) -> dict:
    _, units = await building_with_units(intake, estate, manager, 1, 2)
    return {"units": units, **await household(intake, estate, desk, units[0]["id"])}


def completed(estate, unit_id, *, work_order_id=None, at=None, resident_id=None) -> WorkOrderCompleted:
    return WorkOrderCompleted(
        work_order_id=work_order_id or uuid.uuid4(),
        estate_id=uuid.UUID(estate["id"]),
        reference="WO-202611-000042",
        unit_id=uuid.UUID(unit_id),
        resident_id=uuid.UUID(resident_id) if resident_id else None,
        category="plumbing",
        urgency="normal",
        completed_at=at or dt.datetime.now(dt.UTC),
    )


async def consumed(db) -> int:
    rows = await db("SELECT count(*) FROM intake.inbox WHERE subject LIKE '%repairs.work_order.completed'")
    return rows[0][0]


async def follow_ups(intake, estate, headers, **params) -> list[dict]:
    r = await intake.get(f"/v1/estates/{estate['id']}/follow-ups", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def a_follow_up(intake, estate, desk, home, repairs) -> dict:
    order = completed(estate, home["unit_id"])
    await emit(repairs, order)
    found = await wait_until(lambda: follow_ups(intake, estate, desk), message="the follow-up")
    return found[0]


class TestFromWorkOrders:
    async def test_completed_work_order_is_followed_up_within_seven_days_once(
        self, intake, estate, desk, home, repairs, db
    ):
        at = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
        order = completed(estate, home["unit_id"], at=at)
        await emit(repairs, order)
        await emit(repairs, order)  # the same work order reported again (a replay): still one follow-up
        items = await wait_until(lambda: follow_ups(intake, estate, desk), message="the follow-up")
        f = items[0]
        assert (f["source_kind"], f["source_id"], f["source_reference"]) == (
            "work_order",
            str(order.work_order_id),
            "WO-202611-000042",
        )
        assert f["resident_id"] == home["resident"]["id"]  # found from the unit's occupancy
        assert dt.datetime.fromisoformat(f["due_at"]) == at + dt.timedelta(days=7)
        assert f["state"] == "pending" and f["max_attempts"] == 3

        async def both_consumed():
            return (await consumed(db)) == 2

        await wait_until(both_consumed, message="both deliveries consumed")
        assert (await db("SELECT count(*) FROM intake.follow_up"))[0][0] == 1
        created = await events(db, "intake.follow_up.created")
        assert len(created) == 1 and created[0]["source_id"] == str(order.work_order_id)

    async def test_sampling_skips_what_the_estate_does_not_sample(
        self, intake, estate, desk, manager, home, repairs, db
    ):
        policy = (await intake.get(f"/v1/estates/{estate['id']}/desk-policy", headers=manager)).json()
        assert policy["follow_up_complaint"]["sample_percent"] == 100
        policy["follow_up_work_order"]["sample_percent"] = 30
        r = await intake.put(f"/v1/estates/{estate['id']}/desk-policy", headers=manager, json=policy)
        assert r.status_code == 200, r.text
        ids = [uuid.uuid4() for _ in range(40)]
        for work_order_id in ids:
            await emit(repairs, completed(estate, home["unit_id"], work_order_id=work_order_id))

        async def all_consumed():
            return (await consumed(db)) == 40

        await wait_until(all_consumed, message="all 40 completions consumed")
        rows = {r[0] for r in await db("SELECT source_id FROM intake.follow_up")}
        assert rows == {i for i in ids if i.int % 100 < 30}  # deterministic: a replay decides the same way
        assert 0 < len(rows) < 40


class TestAnswers:
    async def test_three_unreachable_attempts_give_up_then_the_resident_still_answers(
        self, intake, estate, desk, home, repairs
    ):
        f = await a_follow_up(intake, estate, desk, home, repairs)
        url = f"/v1/follow-ups/{f['id']}"
        for n in (1, 2, 3):
            r = await intake.post(
                url + "/attempts", headers=desk, json={"outcome": "unreachable", "note": f"第{n}次"}
            )
            assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["attempts"]) == ("unreachable", 3)
        again = await intake.post(url + "/attempts", headers=desk, json={"outcome": "unreachable"})
        assert again.status_code == 409
        assert (await intake.get(url, headers=desk)).json()[
            "attempts"
        ] == 3  # the refused try changed nothing
        answered = await intake.post(
            url + "/answer", headers=home["me"], json={"score": 4, "comment": "修得不错"}
        )
        assert answered.status_code == 200, answered.text
        assert (answered.json()["state"], answered.json()["answered_by"], answered.json()["score"]) == (
            "completed",
            "resident",
            4,
        )
        kinds = [a["kind"] for a in answered.json()["timeline"]]
        assert kinds == ["created", "attempt", "attempt", "attempt", "unreachable", "completed"]

    async def test_staff_reaches_the_resident_and_a_good_score_opens_nothing(
        self, intake, estate, desk, home, repairs, db
    ):
        f = await a_follow_up(intake, estate, desk, home, repairs)
        r = await intake.post(
            f"/v1/follow-ups/{f['id']}/attempts", headers=desk, json={"outcome": "reached", "score": 5}
        )
        assert (r.json()["state"], r.json()["answered_by"]) == ("completed", "staff")
        assert [e["score"] for e in await events(db, "intake.follow_up.completed")] == [5]
        assert await events(db, "intake.follow_up.dissatisfied") == []
        assert (await db("SELECT count(*) FROM intake.case"))[0][0] == 0

    async def test_a_score_of_one_opens_a_linked_complaint_and_asks_repairs_to_reopen(
        self, intake, estate, desk, home, repairs, db
    ):
        f = await a_follow_up(intake, estate, desk, home, repairs)
        r = await intake.post(
            f"/v1/follow-ups/{f['id']}/answer", headers=home["me"], json={"score": 1, "comment": "还在漏水"}
        )
        assert r.status_code == 200, r.text
        complaint_id = r.json()["complaint_case_id"]
        case = (await intake.get(f"/v1/cases/{complaint_id}", headers=desk)).json()
        assert (case["kind"], case["category"], case["work_order_id"]) == (
            "complaint",
            "repair_quality",
            f["source_id"],
        )
        assert case["unit_id"] == home["unit_id"] and case["resident_id"] == home["resident"]["id"]
        assert "还在漏水" in case["description"]
        (event,) = await events(db, "intake.follow_up.dissatisfied")
        assert (event["work_order_id"], event["score"], event["complaint_reference"]) == (
            f["source_id"],
            1,
            case["reference"],
        )
        again = await intake.post(f"/v1/follow-ups/{f['id']}/answer", headers=home["me"], json={"score": 5})
        assert again.status_code == 409  # answered once

    async def test_overdue_follow_up_is_reported_once(self, intake, estate, desk, home, repairs, db):
        f = await a_follow_up(intake, estate, desk, home, repairs)
        await make_due(db, f"follow_up:{f['id']}")
        got = await wait_until(lambda: events(db, "intake.follow_up.overdue"), message="overdue event")
        assert got[0]["follow_up_id"] == f["id"]
        assert (await intake.get(f"/v1/follow-ups/{f['id']}", headers=desk)).json()["overdue"] is True


class TestManualAndAccess:
    async def test_manual_follow_up_assignment_and_bad_input(self, intake, estate, desk, manager, home):
        staff = (
            await intake.post(
                f"/v1/estates/{estate['id']}/staff",
                headers=manager,
                json={"name": "周敏", "department": "customer_service", "roles": ["receptionist"]},
            )
        ).json()
        due = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
        r = await intake.post(
            f"/v1/estates/{estate['id']}/follow-ups",
            headers=desk,
            json={"unit_id": home["unit_id"], "due_at": due, "assignee_id": staff["id"], "note": "节日问候"},
        )
        assert r.status_code == 201, r.text
        assert (r.json()["source_kind"], r.json()["assignee_id"]) == ("manual", staff["id"])
        for body in (
            {"due_at": due},  # nobody to call
            {"unit_id": home["unit_id"], "due_at": "2026-12-01T10:00:00"},  # no time zone
            {"unit_id": home["unit_id"], "due_at": due, "extra": 1},
        ):
            bad = await intake.post(f"/v1/estates/{estate['id']}/follow-ups", headers=desk, json=body)
            assert bad.status_code == 422, body
            assert bad.headers["content-type"].startswith("application/problem+json")
        url = f"/v1/follow-ups/{r.json()['id']}"
        for body in (
            {"outcome": "reached"},
            {"outcome": "reached", "score": 6},
            {"outcome": "unreachable", "score": 3},
        ):
            assert (await intake.post(url + "/attempts", headers=desk, json=body)).status_code == 422, body
        assert (await intake.get(url, headers=desk)).json()["attempts"] == 0

    async def test_residents_see_and_answer_only_their_own(self, intake, estate, desk, manager, home):
        due = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
        mine = (
            await intake.post(
                f"/v1/estates/{estate['id']}/follow-ups",
                headers=desk,
                json={"unit_id": home["unit_id"], "due_at": due},
            )
        ).json()
        other = (
            await intake.post(
                f"/v1/estates/{estate['id']}/follow-ups",
                headers=desk,
                json={"unit_id": home["units"][1]["id"], "due_at": due},
            )
        ).json()
        listed = await follow_ups(intake, estate, home["me"])
        assert [f["id"] for f in listed] == [mine["id"]]
        assert (await intake.get(f"/v1/follow-ups/{other['id']}", headers=home["me"])).status_code == 403
        r = await intake.post(f"/v1/follow-ups/{other['id']}/answer", headers=home["me"], json={"score": 5})
        assert r.status_code == 403
        r = await intake.post(f"/v1/follow-ups/{mine['id']}/answer", headers=desk, json={"score": 5})
        assert r.status_code == 403  # staff record attempts; only the resident answers
        r = await intake.post(
            f"/v1/follow-ups/{mine['id']}/attempts", headers=home["me"], json={"outcome": "unreachable"}
        )
        assert r.status_code == 403
        stranger = token("receptionist", estates=[uuid.uuid4()])
        assert (await intake.get(f"/v1/follow-ups/{mine['id']}", headers=stranger)).status_code == 403
        assert (
            await intake.post(f"/v1/follow-ups/{mine['id']}/cancel", headers=desk, json={})
        ).status_code == 403
        assert (
            await intake.post(f"/v1/follow-ups/{mine['id']}/cancel", headers=manager, json={})
        ).status_code == 200
