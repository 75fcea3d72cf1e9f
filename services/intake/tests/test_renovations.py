"""Renovation: application (resident, own unit), review with conditions and a deposit, billing's hold
(through JetStream), permitted hours, inspections with violations, acceptance with deductions and the
deposit release request; illegal transitions, access and bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from propdesk.billing.main import SERVICE as BILLING
from propdesk.common.contracts.billing import DepositHeld
from propdesk.common.testing.helpers import emit, running_service, wait_until

from .conftest import building_with_units, events, household


@pytest.fixture
async def billing(platform_env):
    async with running_service(BILLING, platform_env) as client:
        yield client


@pytest.fixture
async def home(intake, estate, manager, desk) -> dict:
    _, units = await building_with_units(intake, estate, manager, 1, 2)
    return {"units": units, **await household(intake, estate, desk, units[0]["id"])}


def application(unit_id: str, **extra) -> dict:
    return {
        "unit_id": unit_id,
        "contractor_name": "广州美居装饰有限公司",
        "contractor_phone": "020-38001234",
        "contractor_licence": "91440101MA59ABCD1X",
        "scope": "厨卫翻新，更换地砖，水电改造",
        "items": ["kitchen", "bathroom", "plumbing", "electrical"],
        "workers": [{"name": "张师傅", "phone": "13700001111", "trade": "水电工"}],
        "planned_start": "2026-12-01",
        "planned_end": "2027-01-15",
        **extra,
    }


async def applied(intake, estate, home) -> dict:
    r = await intake.post(
        f"/v1/estates/{estate['id']}/renovations", headers=home["me"], json=application(home["unit_id"])
    )
    assert r.status_code == 201, r.text
    return r.json()


async def approved(intake, estate, home, desk, deposit_fen=300_000) -> dict:
    ren = await applied(intake, estate, home)
    r = await intake.post(
        f"/v1/renovations/{ren['id']}/review",
        headers=desk,
        json={
            "decision": "approved",
            "conditions": ["不得改动承重墙", "垃圾袋装每日清运"],
            "deposit_fen": deposit_fen,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


async def held(intake, billing, ren, desk):
    await emit(
        billing,
        DepositHeld(
            deposit_id=uuid.uuid4(),
            estate_id=uuid.UUID(ren["estate_id"]),
            unit_id=uuid.UUID(ren["unit_id"]),
            source_id=uuid.UUID(ren["id"]),
            amount_fen=ren["deposit_fen"],
        ),
    )

    async def is_held():
        got = (await intake.get(f"/v1/renovations/{ren['id']}", headers=desk)).json()
        return got if got["deposit_state"] == "held" else None

    return await wait_until(is_held, message="billing's hold to reach intake")


async def act(intake, ren, headers, action, **extra):
    return await intake.post(
        f"/v1/renovations/{ren['id']}/actions", headers=headers, json={"action": action, **extra}
    )


class TestApplicationAndReview:
    async def test_resident_applies_and_the_desk_approves_with_a_deposit(
        self, intake, estate, home, desk, db
    ):
        ren = await approved(intake, estate, home, desk)
        assert ren["reference"].startswith("REN-") and ren["resident_id"] == home["resident"]["id"]
        assert (ren["state"], ren["deposit_fen"], ren["deposit_state"]) == ("approved", 300_000, "requested")
        assert ren["conditions"] == ["不得改动承重墙", "垃圾袋装每日清运"]
        (ask,) = await events(db, "intake.renovation.deposit_requested")
        assert (ask["renovation_id"], ask["amount_fen"], ask["unit_id"]) == (
            ren["id"],
            300_000,
            home["unit_id"],
        )
        (reviewed,) = await events(db, "intake.renovation.reviewed")
        assert reviewed["decision"] == "approved"
        assert [a["kind"] for a in ren["timeline"]] == ["applied", "approved"]

    async def test_the_default_deposit_comes_from_the_estate_policy(
        self, intake, estate, home, desk, manager
    ):
        policy = (await intake.get(f"/v1/estates/{estate['id']}/desk-policy", headers=manager)).json()
        assert policy["renovation_deposit_fen"] == 200_000
        policy["renovation_deposit_fen"] = 500_000
        assert (
            await intake.put(f"/v1/estates/{estate['id']}/desk-policy", headers=manager, json=policy)
        ).status_code == 200
        ren = await applied(intake, estate, home)
        r = await intake.post(
            f"/v1/renovations/{ren['id']}/review", headers=desk, json={"decision": "approved"}
        )
        assert r.json()["deposit_fen"] == 500_000

    async def test_rejection_needs_a_reason_and_a_second_review_is_409(self, intake, estate, home, desk, db):
        ren = await applied(intake, estate, home)
        url = f"/v1/renovations/{ren['id']}/review"
        assert (await intake.post(url, headers=desk, json={"decision": "rejected"})).status_code == 422
        r = await intake.post(url, headers=desk, json={"decision": "rejected", "note": "缺少施工图纸"})
        assert (r.json()["state"], r.json()["deposit_state"]) == ("rejected", "none")
        again = await intake.post(url, headers=desk, json={"decision": "approved"})
        assert again.status_code == 409
        assert (await intake.get(f"/v1/renovations/{ren['id']}", headers=desk)).json()["state"] == "rejected"
        assert await events(db, "intake.renovation.deposit_requested") == []

    async def test_bad_applications_and_access(self, intake, estate, home, desk, manager):
        url = f"/v1/estates/{estate['id']}/renovations"
        for body in (
            application(home["unit_id"], planned_end="2026-11-01"),
            application(home["unit_id"], items=[]),
            application(home["unit_id"], items=["roof"]),
            application(home["unit_id"], contractor_phone="12"),
            application(home["unit_id"], workers=[{"name": ""}]),
        ):
            r = await intake.post(url, headers=home["me"], json=body)
            assert r.status_code == 422, body
            assert r.headers["content-type"].startswith("application/problem+json")
        other = await intake.post(url, headers=home["me"], json=application(home["units"][1]["id"]))
        assert other.status_code == 403  # not the resident's unit
        ren = await applied(intake, estate, home)
        assert (await intake.post(url, headers=desk, json=application(home["unit_id"]))).status_code == 409
        review = await intake.post(
            f"/v1/renovations/{ren['id']}/review", headers=home["me"], json={"decision": "approved"}
        )
        assert review.status_code == 403  # residents do not approve their own works
        listed = (await intake.get(url, headers=home["me"])).json()["items"]
        assert [r["id"] for r in listed] == [ren["id"]]


class TestWorks:
    async def test_start_waits_for_billing_to_hold_the_deposit(self, intake, estate, home, desk, billing):
        ren = await approved(intake, estate, home, desk)
        r = await act(intake, ren, desk, "start")
        assert r.status_code == 409 and r.json()["deposit_state"] == "requested"
        assert (await act(intake, ren, home["me"], "start")).status_code == 403
        await held(intake, billing, ren, desk)
        r = await act(intake, ren, desk, "start")
        assert r.status_code == 200 and r.json()["state"] == "in_progress"
        assert (await intake.get(f"/v1/units/{home['unit_id']}", headers=desk)).json()[
            "state"
        ] == "renovating"
        assert (await act(intake, ren, desk, "cancel", note="不装了")).status_code == 409  # works under way

    async def test_permitted_hours_follow_the_estate_policy_and_working_days(
        self, intake, estate, home, manager
    ):
        url = f"/v1/estates/{estate['id']}/renovation-hours/check"

        async def allowed(at: str) -> bool:
            r = await intake.get(url, headers=home["me"], params={"at": at})
            assert r.status_code == 200, r.text
            return r.json()["allowed"]

        assert await allowed("2026-11-30T10:00:00+08:00")  # a Monday morning
        assert not await allowed("2026-11-30T12:30:00+08:00")  # lunch break
        assert not await allowed("2026-11-30T19:00:00+08:00")
        assert not await allowed("2026-11-28T10:00:00+08:00")  # Saturday
        assert not await allowed("2026-10-02T10:00:00+08:00")  # National Day holiday (chinese-calendar)
        assert await allowed("2026-11-30T10:00:00")  # a naive time is the estate's local time
        policy = (await intake.get(f"/v1/estates/{estate['id']}/desk-policy", headers=manager)).json()
        policy["renovation_hours"] = [{"start": "09:00", "end": "17:00"}]
        policy["renovation_working_days_only"] = False
        assert (
            await intake.put(f"/v1/estates/{estate['id']}/desk-policy", headers=manager, json=policy)
        ).status_code == 200
        assert await allowed("2026-11-28T12:30:00+08:00")
        policy["renovation_hours"] = [{"start": "18:00", "end": "09:00"}]
        bad = await intake.put(f"/v1/estates/{estate['id']}/desk-policy", headers=manager, json=policy)
        assert bad.status_code == 422

    async def test_inspection_violation_blocks_acceptance_until_rectified_then_deductions(
        self, intake, estate, home, desk, billing, db
    ):
        ren = await held(intake, billing, await approved(intake, estate, home, desk), desk)
        await act(intake, ren, desk, "start")
        soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
        r = await intake.post(
            f"/v1/renovations/{ren['id']}/inspections", headers=desk, json={"scheduled_for": soon}
        )
        assert r.status_code == 201, r.text
        inspection = r.json()
        record = f"/v1/renovations/{ren['id']}/inspections/{inspection['id']}/record"
        found = {
            "result": "issues",
            "findings": "中午 13:00 仍在电钻施工，阳台外墙私开窗洞",
            "photos": ["photo://ren/1.jpg"],
            "violations": [
                {
                    "type": "renovation_hours",
                    "description": "午休时间施工",
                    "evidence": ["photo://ren/1.jpg"],
                },
                {"type": "structural_change", "description": "阳台外墙私开窗洞", "rectify_days": 3},
            ],
        }
        passed_with_violations = {**found, "result": "passed"}
        assert (await intake.post(record, headers=desk, json=passed_with_violations)).status_code == 422
        r = await intake.post(record, headers=desk, json=found)
        assert r.status_code == 200, r.text
        assert len(r.json()["violation_ids"]) == 2
        assert (await intake.post(record, headers=desk, json=found)).status_code == 409  # recorded once
        noticed = await events(db, "intake.violation.noticed")
        assert {n["type"] for n in noticed} == {"renovation_hours", "structural_change"}
        assert all(n["renovation_id"] == ren["id"] for n in noticed)

        assert (await act(intake, ren, home["me"], "request_acceptance")).json()[
            "state"
        ] == "acceptance_requested"
        acceptance = f"/v1/renovations/{ren['id']}/acceptance"
        deduction = {
            "reason": "午休时间施工",
            "amount_fen": 50_000,
            "violation_id": r.json()["violation_ids"][0],
        }
        body = {"passed": True, "findings": "竣工验收", "deductions": [deduction]}
        blocked = await intake.post(acceptance, headers=desk, json=body)
        assert blocked.status_code == 409 and len(blocked.json()["violations"]) == 2
        for violation_id in r.json()["violation_ids"]:
            fixed = await intake.post(
                f"/v1/violations/{violation_id}/actions",
                headers=desk,
                json={"action": "reinspect", "rectified": True},
            )
            assert fixed.json()["state"] == "rectified"
        too_much = {**body, "deductions": [{"reason": "x", "amount_fen": 300_001}]}
        assert (await intake.post(acceptance, headers=desk, json=too_much)).status_code == 422
        failed = await intake.post(
            acceptance, headers=desk, json={"passed": False, "findings": "卫生间闭水试验渗漏"}
        )
        assert failed.json()["state"] == "in_progress"
        await act(intake, ren, home["me"], "request_acceptance")
        done = await intake.post(acceptance, headers=desk, json=body)
        assert done.status_code == 200, done.text
        got = done.json()
        assert (got["state"], got["refund_fen"], got["deposit_state"]) == (
            "accepted",
            250_000,
            "release_requested",
        )
        assert sorted(i["kind"] for i in got["inspections"]) == ["acceptance", "acceptance", "routine"]
        (release,) = await events(db, "intake.renovation.deposit_release_requested")
        assert (release["deposit_fen"], release["refund_fen"]) == (300_000, 250_000)
        assert release["deductions"] == [deduction]
        assert (await intake.get(f"/v1/units/{home['unit_id']}", headers=desk)).json()["state"] == "occupied"
        follow_up = await db("SELECT source_kind FROM intake.follow_up WHERE source_id = :id", id=ren["id"])
        assert follow_up == [("renovation",)]
        assert (await intake.post(acceptance, headers=desk, json=body)).status_code == 409

    async def test_cancelling_an_approved_renovation_releases_the_whole_deposit(
        self, intake, estate, home, desk, db
    ):
        ren = await approved(intake, estate, home, desk, deposit_fen=100_000)
        r = await act(intake, ren, home["me"], "cancel", note="计划有变")
        assert (r.json()["state"], r.json()["refund_fen"]) == ("cancelled", 100_000)
        (release,) = await events(db, "intake.renovation.deposit_release_requested")
        assert (release["refund_fen"], release["deductions"]) == (100_000, [])
        assert (await act(intake, ren, desk, "start")).status_code == 409
