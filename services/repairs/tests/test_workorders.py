"""Work orders against real PostgreSQL and NATS: reporting and automatic dispatch, the technician's path,
charges, every transition legal and illegal, pause and re-target arithmetic, SLA warnings and breaches on
durable timers, duplicates, emergencies, reopening from intake, auto-close, access and bad input."""

from __future__ import annotations

import datetime as dt
import uuid

from propdesk.common.contracts.intake import FollowUpDissatisfied
from propdesk.common.testing.helpers import emit, token, wait_until

from .conftest import act, events, make_due, report


def by_id(s) -> dict[str, str]:
    return {t["id"]: key for key, t in s["techs"].items()}


async def get(s, wo, headers=None) -> dict:
    r = await s["repairs"].get(f"/v1/work-orders/{wo['id']}", headers=headers or s["dispatcher"])
    assert r.status_code == 200, r.text
    return r.json()


def clock(wo, milestone) -> dict:
    return next(c for c in wo["clocks"] if c["milestone"] == milestone)


class TestReportAndDispatch:
    async def test_a_resident_report_is_dispatched_to_the_least_loaded_qualified_technician(self, site, db):
        s = site
        first = await report(s)
        assert first["reference"].startswith("WO-") and (first["state"], first["urgency"]) == (
            "assigned",
            "urgent",
        )
        assert first["payable"] is True and first["location"] == "C1-0501" and first["source"] == "resident"
        assert by_id(s)[first["technician_id"]] in ("plumber", "electrician")
        assert clock(first, "acknowledge")["state"] == "met" and clock(first, "dispatch")["state"] == "met"
        assert clock(first, "arrive")["state"] == "running"
        second = await report(s, description="卫生间也漏")
        assert {first["technician_id"], second["technician_id"]} == {
            s["techs"]["plumber"]["id"],
            s["techs"]["electrician"]["id"],
        }
        (created, _) = await events(db, "repairs.work_order.created")
        assert created["work_order_id"] == first["id"] and created["request_id"] is None
        assigned = await events(db, "repairs.work_order.assigned")
        assert [a["reporter_ids"] for a in assigned] == [[s["resident"]["id"]]] * 2
        assert assigned[0]["resident_id"] == s["resident"]["id"]

    async def test_elevator_work_needs_the_certificate(self, site):
        s = site
        wo = await report(
            s,
            unit_id=None,
            place_id=s["places"]["lift"]["id"],
            category="elevator",
            problem="noise_shake",
            description="电梯异响",
        )
        assert wo["technician_id"] == s["techs"]["lift"]["id"] and wo["payable"] is False  # common area: free
        r = await act(
            s, wo, s["dispatcher"], "assign", technician_id=s["techs"]["lift_no_cert"]["id"], reason="就近"
        )
        assert r.status_code == 409 and "电梯" in r.json()["reason"]
        assert (await get(s, wo))["technician_id"] == s["techs"]["lift"]["id"]  # the refusal changed nothing

    async def test_nobody_with_the_skill_is_an_explicit_unassignable_outcome(self, site, db):
        s = site
        wo = await report(
            s,
            unit_id=None,
            place_id=s["places"]["lobby"]["id"],
            category="greenery",
            problem="irrigation",
            description="喷灌坏",
        )
        assert (wo["state"], wo["technician_id"]) == ("triaged", None)
        (alert,) = await events(db, "repairs.work_order.unassignable")
        assert alert["work_order_id"] == wo["id"] and "greenery" in alert["reason"]
        queue = (
            await s["repairs"].get(
                f"/v1/estates/{s['eid']}/dispatch-queue", headers=s["dispatcher"], params={"unassigned": True}
            )
        ).json()
        assert [w["id"] for w in queue] == [wo["id"]]
        assert "greenery" in queue[0]["unassignable_reason"]  # the board puts it on top, saying why


async def test_nobody_on_shift_is_unassignable(platform_env, db):
    from .conftest import site_of

    async with site_of(platform_env, on_call=()) as s:
        wo = await report(s)
        assert wo["state"] == "triaged"
        (alert,) = await events(db, "repairs.work_order.unassignable")
        assert "on shift" in alert["reason"]
        now = dt.datetime.now(dt.UTC)
        local_weekday = (now + dt.timedelta(hours=8)).weekday()
        r = await s["repairs"].put(
            f"/v1/technicians/{s['techs']['plumber']['id']}/rota",
            headers=s["dispatcher"],
            json={"weekly": [{"weekday": d, "starts": "00:00", "ends": "23:59"} for d in range(7)]},
        )
        assert r.json()["on_shift"] is True and local_weekday in [
            w["weekday"] for w in r.json()["rota"]["weekly"]
        ]
        r = await act(s, wo, s["dispatcher"], "assign")  # automatic again, now someone is on shift
        assert (r.json()["state"], r.json()["technician_id"]) == ("assigned", s["techs"]["plumber"]["id"])


async def test_an_on_call_shift_on_intakes_roster_puts_the_technician_on_shift(platform_env, db):
    """One duty roster (issue 19, item 4): repairs takes intake's on-call engineer shifts as on-call windows."""
    from .conftest import site_of

    async with site_of(platform_env, on_call=()) as s:
        wo = await report(s)
        assert wo["state"] == "triaged"  # nobody on shift
        plumber = s["techs"]["plumber"]["id"]
        now = dt.datetime.now(dt.UTC)
        shift = await s["intake"].post(
            f"/v1/estates/{s['eid']}/duty-shifts",
            headers=s["manager"],
            json={
                "staff_id": plumber,
                "duty": "on_call_engineer",
                "starts_at": (now - dt.timedelta(hours=1)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=11)).isoformat(),
            },
        )
        assert shift.status_code == 201, shift.text

        async def on_shift(expected: bool):
            r = await s["repairs"].get(f"/v1/estates/{s['eid']}/technicians", headers=s["dispatcher"])
            found = next(t for t in r.json() if t["id"] == plumber)
            return found if found["on_shift"] is expected else None

        found = await wait_until(lambda: on_shift(True), message="repairs to hear of the roster shift")
        assert len(found["rota"]["on_call"]) == 1
        r = await act(s, wo, s["dispatcher"], "assign")  # automatic: the on-call engineer takes it
        assert (r.json()["state"], r.json()["technician_id"]) == ("assigned", plumber)
        # repairs' own rota does not undo the roster's shift; cancelling it on the roster does
        r = await s["repairs"].put(f"/v1/technicians/{plumber}/rota", headers=s["dispatcher"], json={})
        assert r.json()["on_shift"] is True
        gone = await s["intake"].delete(
            f"/v1/estates/{s['eid']}/duty-shifts/{shift.json()['id']}", headers=s["manager"]
        )
        assert gone.status_code == 204
        again = await s["intake"].delete(
            f"/v1/estates/{s['eid']}/duty-shifts/{shift.json()['id']}", headers=s["manager"]
        )
        assert again.status_code == 404 and again.json()["type"].endswith("/duty-shift-not-found")
        await wait_until(lambda: on_shift(False), message="repairs to hear the shift was cancelled")


class TestTheTechniciansPath:
    async def test_a_reopened_order_is_charged_only_for_the_work_added(self, site, db):
        s = site
        wo = await report(s)
        first_tech = wo["technician_id"]
        tech = s["tech_token"][by_id(s)[first_tech]]

        async def visit(labour: int, parts: tuple[tuple[str, str], ...] = ()) -> dict:
            now = (await s["repairs"].get(f"/v1/work-orders/{wo['id']}", headers=s["dispatcher"])).json()
            if (
                now["technician_id"] != first_tech
            ):  # dispatch tried someone else; the dispatcher sends them back
                r = await act(s, wo, s["dispatcher"], "assign", technician_id=first_tech, reason="原师傅返修")
                assert r.status_code == 200, r.text
            for action in ("accept", "en_route", "arrive"):
                assert (await act(s, wo, tech, action)).status_code == 200
            for code, quantity in parts:
                r = await s["repairs"].post(
                    f"/v1/work-orders/{wo['id']}/parts",
                    headers=tech,
                    json={"code": code, "quantity": quantity},
                )
                assert r.status_code == 201, r.text
            done = await act(s, wo, tech, "complete", note="处理完毕", labour_minutes=labour)
            assert done.status_code == 200, done.text
            return done.json()

        first = await visit(45, (("TAP-01", "1"),))
        assert first["charge_fen"] == 4500 + 6000
        assert (await act(s, wo, s["me"], "reject", reason="还在漏")).status_code == 200
        second = await visit(45)  # came back, found nothing to add: no new charge
        assert second["charge_fen"] == 10500
        assert len(await events(db, "repairs.charge.raised")) == 1
        assert (await act(s, wo, s["me"], "reject", reason="又漏了")).status_code == 200
        third = await visit(75, (("PIPE-PPR20", "1.5"),))  # a pipe and 30 more minutes
        charges = await events(db, "repairs.charge.raised")
        assert len(charges) == 2 and charges[0]["charge_id"] != charges[1]["charge_id"]
        assert [(line["kind"], line["amount_fen"]) for line in charges[1]["lines"]] == [
            ("part", 1800),
            ("labour", 4000),
        ]
        assert charges[1]["total_fen"] == 5800 and third["charge_fen"] == 10500 + 5800

    async def test_accept_travel_arrive_parts_complete_charge_confirm(self, site, db):
        s = site
        wo = await report(s)
        tech = s["tech_token"][by_id(s)[wo["technician_id"]]]
        for action in ("accept", "en_route", "arrive"):
            r = await act(s, wo, tech, action)
            assert r.status_code == 200, r.text
        assert r.json()["state"] == "on_site" and clock(r.json(), "arrive")["state"] == "met"
        part = await s["repairs"].post(
            f"/v1/work-orders/{wo['id']}/parts", headers=tech, json={"code": "TAP-01", "quantity": "1"}
        )
        assert part.status_code == 201 and part.json()["amount_fen"] == 4500
        r = await s["repairs"].post(
            f"/v1/work-orders/{wo['id']}/parts", headers=tech, json={"code": "PIPE-PPR20", "quantity": "1.5"}
        )
        assert r.json()["amount_fen"] == 1800
        bad = await s["repairs"].post(
            f"/v1/work-orders/{wo['id']}/parts", headers=tech, json={"code": "GOLD-01", "quantity": "1"}
        )
        assert bad.status_code == 422
        done = await act(
            s,
            wo,
            tech,
            "complete",
            note="更换龙头和一段水管",
            labour_minutes=45,
            photos=["photo://wo/after.jpg"],
        )
        assert done.status_code == 200, done.text
        assert (done.json()["state"], done.json()["charge_fen"]) == ("completed", 4500 + 1800 + 6000)
        (charge,) = await events(db, "repairs.charge.raised")
        assert charge["unit_id"] == s["units"][0]["id"] and charge["total_fen"] == 12300
        assert [(line["kind"], line["amount_fen"]) for line in charge["lines"]] == [
            ("part", 4500),
            ("part", 1800),
            ("labour", 6000),
        ]
        (completed,) = await events(db, "repairs.work_order.completed")
        assert (
            completed["reporter_ids"] == [s["resident"]["id"]] and completed["notes"] == "更换龙头和一段水管"
        )
        assert await db("SELECT kind FROM repairs.timer WHERE key = :k", k=f"wo:{wo['id']}:autoclose") == [
            ("wo.autoclose",)
        ]
        closed = await act(s, wo, s["me"], "confirm")
        assert closed.json()["state"] == "closed"
        kinds = [e["kind"] for e in closed.json()["timeline"]]
        assert kinds == [
            "reported",
            "assign",
            "accept",
            "en_route",
            "arrive",
            "part",
            "part",
            "complete",
            "charged",
            "confirm",
            "close",
        ]
        assert (
            closed.json()["timeline"][-2]["to_state"] == "confirmed"
            and closed.json()["timeline"][-1]["to_state"] == "closed"
        )
        assert await db("SELECT key FROM repairs.timer WHERE key LIKE :k", k=f"wo:{wo['id']}%") == []

    async def test_illegal_transitions_are_409_and_change_nothing(self, site):
        s = site
        wo = await report(s)
        tech = s["tech_token"][by_id(s)[wo["technician_id"]]]
        other = s["tech_token"]["lift"]
        r = await act(s, wo, tech, "complete", note="done")
        assert r.status_code == 409 and r.json()["state"] == "assigned"  # nobody arrived
        assert (await act(s, wo, tech, "arrive")).status_code == 409  # not accepted yet
        assert (await act(s, wo, tech, "resume")).status_code == 409  # not paused
        wo_now = await get(s, wo)
        assert wo_now["state"] == "assigned"
        assert (await act(s, wo, other, "accept")).status_code == 403  # not theirs
        assert (await act(s, wo, s["me"], "accept")).status_code == 403  # residents don't accept work
        assert (await act(s, wo, s["me"], "confirm")).status_code == 409  # not completed
        assert (
            await act(s, wo, s["me"], "cancel", note="不修了")
        ).status_code == 409  # assigned: call the desk
        after = await get(s, wo)
        assert after["state"] == wo_now["state"] and len(after["timeline"]) == len(wo_now["timeline"])

    async def test_decline_passes_it_to_the_next_technician(self, site):
        s = site
        wo = await report(s)
        first = wo["technician_id"]
        r = await act(s, wo, s["tech_token"][by_id(s)[first]], "decline", reason="在处理急修")
        assert (
            r.status_code == 200
            and r.json()["state"] == "assigned"
            and r.json()["technician_id"] not in (first, None)
        )
        r = await act(s, wo, s["tech_token"][by_id(s)[r.json()["technician_id"]]], "decline", reason="不在")
        assert (r.json()["state"], r.json()["technician_id"]) == (
            "triaged",
            None,
        )  # nobody else has the skill

    async def test_resident_rejects_completion_and_the_order_reopens(self, site, db):
        s = site
        wo = await report(s)
        tech = s["tech_token"][by_id(s)[wo["technician_id"]]]
        for action in ("accept", "arrive"):
            await act(s, wo, tech, action)
        await act(s, wo, tech, "complete", note="已修")
        r = await act(s, wo, s["me"], "reject", note="还在滴水")
        assert r.json()["reopen_count"] == 1 and r.json()["state"] == "assigned"  # reopened, then dispatched
        # to the other qualified plumber: the one whose work came back is tried last (issue 19, item 10)
        assert r.json()["technician_id"] not in (wo["technician_id"], None)
        assert (
            clock(r.json(), "complete")["state"] == "running"
            and clock(r.json(), "acknowledge")["state"] == "met"
        )
        assert "reopened" in [e["stage"] for e in await events(db, "repairs.work_order.progressed")]


class TestClocks:
    async def test_pause_keeps_the_used_time_and_resume_moves_the_deadline(self, site):
        s = site
        wo = await report(s)
        tech = s["tech_token"][by_id(s)[wo["technician_id"]]]
        await act(s, wo, tech, "accept")
        before = clock(await get(s, wo), "arrive")
        paused = (await act(s, wo, tech, "pause", pause_reason="resident", note="住户不在家")).json()
        assert paused["state"] == "paused" and clock(paused, "arrive")["state"] == "paused"
        assert clock(paused, "arrive")["due_at"] is None
        assert (await act(s, wo, tech, "arrive")).status_code == 409  # paused
        resumed = (await act(s, wo, tech, "resume")).json()
        assert resumed["state"] == "accepted"
        at = {e["kind"]: dt.datetime.fromisoformat(e["at"]) for e in resumed["timeline"]}
        moved = dt.datetime.fromisoformat(clock(resumed, "arrive")["due_at"]) - dt.datetime.fromisoformat(
            before["due_at"]
        )
        assert abs(moved - (at["resume"] - at["pause"])) < dt.timedelta(milliseconds=50)
        assert clock(resumed, "arrive")["paused_total_seconds"] >= 0

    async def test_a_new_urgency_retargets_without_losing_elapsed_time(self, site, db):
        s = site
        wo = await report(s, problem="tap_toilet", description="马桶漏水")
        assert wo["urgency"] == "normal" and {c["milestone"] for c in wo["clocks"]} == {
            "acknowledge",
            "dispatch",
            "complete",
        }
        await db(
            "UPDATE repairs.work_order SET created_at = created_at - interval '10 minutes' WHERE id = :id",
            id=uuid.UUID(wo["id"]),
        )
        r = await act(s, wo, s["dispatcher"], "change_urgency", urgency="emergency", note="水漫到楼下")
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["urgency"] == "emergency"
        arrive = clock(got, "arrive")  # emergency adds the 30-minute on-site clock, counted from the report
        assert arrive["target_minutes"] == 30 and 9 * 60 <= arrive["elapsed_seconds"] <= 11 * 60
        due = dt.datetime.fromisoformat(arrive["due_at"])
        assert dt.timedelta(minutes=19) < due - dt.datetime.now(dt.UTC) < dt.timedelta(minutes=21)
        assert (
            clock(got, "complete")["target_minutes"] == 240 and clock(got, "complete")["calendar"] == "clock"
        )
        assert (
            await act(s, wo, s["dispatcher"], "change_urgency", urgency="emergency", note="x")
        ).status_code == 409

    async def test_warnings_at_50_and_80_percent_then_the_breach(self, site, db):
        s = site
        wo = await report(s)
        key = f"wo:{wo['id']}:arrive"
        timer = await db("SELECT payload->>'point' FROM repairs.timer WHERE key = :k", k=key)
        assert timer == [("0.5",)]
        for expected in ("0.8", "breach"):
            await make_due(db, key)

            async def moved(expected=expected):
                rows = await db("SELECT payload->>'point' FROM repairs.timer WHERE key = :k", k=key)
                return rows == [(expected,)]

            await wait_until(moved, message=f"the arrive timer to move to {expected}")
        warnings = await events(db, "repairs.work_order.sla_warning")
        assert [(w["milestone"], w["threshold"]) for w in warnings] == [("arrive", 0.5), ("arrive", 0.8)]
        await db(
            "UPDATE repairs.work_order SET clocks = jsonb_set(clocks, '{arrive,remaining}', '0') WHERE id = :id",
            id=uuid.UUID(wo["id"]),
        )
        await make_due(db, key)
        breach = await wait_until(lambda: events(db, "repairs.work_order.sla_breached"), message="the breach")
        assert breach[0]["milestone"] == "arrive"
        got = await get(s, wo)
        assert got["breached"] is True and clock(got, "arrive")["state"] == "breached"
        calm = await report(
            s,
            s["dispatcher"],
            unit_id=s["units"][1]["id"],
            category="electrical",
            problem="lighting",
            description="灯不亮",
        )
        queue = (
            await s["repairs"].get(f"/v1/estates/{s['eid']}/dispatch-queue", headers=s["dispatcher"])
        ).json()
        assert [w["id"] for w in queue][:1] == [wo["id"]] and calm["id"] in [w["id"] for w in queue]


class TestDuplicatesEmergenciesReopen:
    async def test_a_second_report_of_the_same_common_area_problem_is_linked(self, site, db):
        s = site
        neighbour = token(
            "resident", estates=[s["eid"]], units=[uuid.UUID(s["units"][2]["id"])], sub=str(uuid.uuid4())
        )
        body = {
            "unit_id": None,
            "place_id": s["places"]["lobby"]["id"],
            "category": "electrical",
            "problem": "lighting",
        }
        first = await report(s, **body, description="大堂灯不亮")
        r = await s["repairs"].post(
            f"/v1/estates/{s['eid']}/work-orders", headers=neighbour, json={**body, "description": "大堂很黑"}
        )
        assert r.status_code == 200 and r.json()["linked"] is True and r.json()["id"] == first["id"]
        assert [p["description"] for p in r.json()["reporters"]] == ["大堂灯不亮", "大堂很黑"]
        assert len(await events(db, "repairs.work_order.created")) == 1
        seen = (await s["repairs"].get(f"/v1/estates/{s['eid']}/work-orders", headers=neighbour)).json()[
            "items"
        ]
        assert [w["id"] for w in seen] == [first["id"]]  # a common-area order they reported
        tech = s["tech_token"][by_id(s)[first["technician_id"]]]
        await act(s, first, tech, "accept")
        progressed = await events(db, "repairs.work_order.progressed")
        assert set(progressed[-1]["reporter_ids"]) == {s["resident"]["id"], neighbour_id(neighbour)}

    async def test_an_elevator_entrapment_is_reported_to_incidents(self, site, db):
        s = site
        wo = await report(
            s,
            unit_id=None,
            place_id=s["places"]["lift"]["id"],
            category="elevator",
            problem="entrapment",
            description="1号电梯困人，两人",
        )
        assert wo["urgency"] == "emergency"
        (emergency,) = await events(db, "repairs.emergency.reported")
        assert (emergency["kind"], emergency["building_id"], emergency["place_id"]) == (
            "elevator_entrapment",
            s["buildings"][0]["id"],
            s["places"]["lift"]["id"],
        )
        assert emergency["location"] == "C1栋 1号电梯"

    async def test_a_bad_follow_up_score_in_intake_reopens_the_order(self, site, db):
        s = site
        wo = await report(s)
        tech = s["tech_token"][by_id(s)[wo["technician_id"]]]
        for action in ("accept", "arrive"):
            await act(s, wo, tech, action)
        await act(s, wo, tech, "complete", note="已修")
        await act(s, wo, s["me"], "confirm")
        await emit(
            s["intake"],
            FollowUpDissatisfied(
                follow_up_id=uuid.uuid4(),
                estate_id=s["eid"],
                source_kind="work_order",
                source_id=uuid.UUID(wo["id"]),
                score=1,
                complaint_case_id=uuid.uuid4(),
                complaint_reference="CASE-202611-000009",
                work_order_id=uuid.UUID(wo["id"]),
            ),
        )

        async def reopened():
            got = await get(s, wo)
            return got if got["reopen_count"] == 1 else None

        got = await wait_until(reopened, message="the reopen")
        assert got["state"] == "assigned" and "CASE-202611-000009" in next(
            e["note"] for e in got["timeline"] if e["kind"] == "reopen"
        )

    async def test_completed_orders_close_themselves_after_the_confirmation_period(self, site, db):
        s = site
        wo = await report(s)
        tech = s["tech_token"][by_id(s)[wo["technician_id"]]]
        for action in ("accept", "arrive"):
            await act(s, wo, tech, action)
        await act(s, wo, tech, "complete", note="已修")
        await make_due(db, f"wo:{wo['id']}:autoclose")

        async def closed():
            return (await get(s, wo))["state"] == "closed"

        await wait_until(closed, message="auto-close")


def neighbour_id(headers: dict) -> str:
    import base64
    import json

    payload = headers["Authorization"].split()[1].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


class TestAccessAndBadInput:
    async def test_residents_see_only_their_own(self, site):
        s = site
        mine = await report(s)
        theirs = await report(s, headers=s["dispatcher"], unit_id=s["units"][2]["id"], reporter_name="物业")
        other = token(
            "resident", estates=[s["eid"]], units=[uuid.UUID(s["units"][2]["id"])], sub=str(uuid.uuid4())
        )
        assert (await s["repairs"].get(f"/v1/work-orders/{mine['id']}", headers=other)).status_code == 403
        listed = (await s["repairs"].get(f"/v1/estates/{s['eid']}/work-orders", headers=s["me"])).json()[
            "items"
        ]
        assert [w["id"] for w in listed] == [mine["id"]]
        r = await s["repairs"].post(
            f"/v1/estates/{s['eid']}/work-orders",
            headers=s["me"],
            json={"unit_id": s["units"][2]["id"], "category": "plumbing", "description": "x"},
        )
        assert r.status_code == 403
        assert theirs["source"] == "staff"
        stranger = token("dispatcher", estates=[uuid.uuid4()])
        assert (await s["repairs"].get(f"/v1/work-orders/{mine['id']}", headers=stranger)).status_code == 403

    async def test_bad_reports_are_422_and_write_nothing(self, site, db):
        s = site
        url = f"/v1/estates/{s['eid']}/work-orders"
        for body in (
            {
                "unit_id": s["units"][0]["id"],
                "place_id": s["places"]["lobby"]["id"],
                "category": "plumbing",
                "description": "x",
            },
            {"category": "plumbing", "description": "x"},
            {"unit_id": s["units"][0]["id"], "category": "roofing", "description": "x"},
            {"unit_id": s["units"][0]["id"], "category": "plumbing", "problem": "alien", "description": "x"},
            {"unit_id": s["units"][0]["id"], "category": "plumbing", "description": ""},
            {"unit_id": s["units"][0]["id"], "category": "plumbing", "description": "x", "payable": False},
        ):
            r = await s["repairs"].post(url, headers=s["me"], json=body)
            assert r.status_code in (403, 422), (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        r = await s["repairs"].post(
            url,
            headers=s["dispatcher"],
            json={"unit_id": str(uuid.uuid4()), "category": "plumbing", "description": "x"},
        )
        assert r.status_code == 422 and r.json()["type"].endswith("location-not-found")
        for bad in (
            {"action": "pause"},
            {"action": "fly"},
            {"action": "change_urgency"},
            {"action": "complete"},
        ):
            wo_id = uuid.uuid4()
            r = await s["repairs"].post(f"/v1/work-orders/{wo_id}/actions", headers=s["dispatcher"], json=bad)
            assert r.status_code == 422, bad
        assert await db("SELECT count(*) FROM repairs.work_order") == [(0,)]
