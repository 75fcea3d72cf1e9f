"""Incidents against real PostgreSQL and NATS: playbooks load (and bad ones are refused with the exact
problem), triggers from the API and from repairs' events, linking a new report to the active incident,
step deadlines escalating on durable timers (repeating, stopped by acknowledgement, surviving a restart),
states legal and illegal, step dependencies, parties, drills, access."""

from __future__ import annotations

import datetime as dt
import uuid

from propdesk.common.contracts.notify import CriticalAcknowledged, CriticalUnacknowledged
from propdesk.common.contracts.repairs import EmergencyReported, OutageReported
from propdesk.common.testing.helpers import emit, running_service, token, wait_until
from propdesk.incidents.main import SERVICE as INCIDENTS
from propdesk.incidents.playbook import seeded
from propdesk.notify.main import SERVICE as NOTIFY
from propdesk.repairs.main import SERVICE as REPAIRS

from .conftest import events, known_estate, make_due, stack

SEEDED = seeded()


async def trigger(s, headers=None, **body) -> dict:
    payload = {
        "playbook": "elevator_entrapment",
        "description": "1号电梯困人，两人",
        "building_id": s["buildings"][0]["id"],
        **body,
    }
    r = await s["incidents"].post(
        f"/v1/estates/{s['eid']}/incidents", headers=headers or s["duty"], json=payload
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


def step(incident, key) -> dict:
    return next(x for x in incident["steps"] if x["key"] == key)


class TestPlaybooks:
    def test_every_seeded_playbook_loads(self):
        assert set(SEEDED) == {
            "fire",
            "power_outage",
            "water_outage",
            "elevator_entrapment",
            "drunk_disturbance",
            "sudden_illness",
            "carpark_accident",
            "reception_hall",
        }
        entrapment = SEEDED["elevator_entrapment"][0]
        assert entrapment.step("rescuers_on_site").deadline_minutes == 30
        assert SEEDED["fire"][0].step("call_119").deadline_minutes == 0

    async def test_bad_playbooks_are_refused_with_the_exact_problem(self, site):
        s = site
        text = SEEDED["fire"][1]
        url = f"/v1/estates/{s['eid']}/playbooks/fire"
        cases = {
            "cycle": (
                text.replace("depends_on: [call_119]", "depends_on: [evacuate]").replace(
                    "    broadcast: evacuate\n",
                    "    broadcast: evacuate\n    depends_on: [guide_brigade]\n",
                    1,
                ),
                "cycle: evacuate → guide_brigade → evacuate",
            ),
            "unknown role": (
                text.replace("role: engineering", "role: plumber", 1),
                "role 'plumber' is not one of the playbook's roles",
            ),
            "missing deadline": (
                text.replace("    deadline_minutes: 0\n", "", 1),
                "step 'call_119'.deadline_minutes: Field required",
            ),
            "unknown dependency": (
                text.replace("depends_on: [call_119]", "depends_on: [pray]"),
                "depends on unknown step 'pray'",
            ),
            "not yaml": ("key: [fire", "not valid YAML"),
            "another key": (text.replace("key: fire", "key: flood"), "is not 'fire'"),
        }
        for name, (body, expected) in cases.items():
            r = await s["incidents"].put(
                url, headers={**s["manager"], "content-type": "application/yaml"}, content=body.encode()
            )
            assert r.status_code == 422, name
            assert any(expected in p for p in r.json()["problems"]), (name, r.json()["problems"])
        assert (await s["incidents"].get(url, headers=s["manager"])).json()[
            "source"
        ] == "seeded"  # nothing saved

    async def test_an_estate_version_applies_to_new_incidents_only(self, site):
        s = site
        running = await trigger(s)
        text = SEEDED["elevator_entrapment"][1].replace("deadline_minutes: 30", "deadline_minutes: 20")
        url = f"/v1/estates/{s['eid']}/playbooks/elevator_entrapment"
        assert (await s["incidents"].put(url, headers=s["duty"], content=text.encode())).status_code == 403
        r = await s["incidents"].put(
            url, headers={**s["manager"], "content-type": "application/yaml"}, content=text.encode()
        )
        assert r.status_code == 200 and (r.json()["version"], r.json()["source"]) == (2, "estate")
        fresh = await trigger(s, building_id=s["buildings"][1]["id"])
        for incident, minutes, version in ((running, 30, 1), (fresh, 20, 2)):
            got = (await s["incidents"].get(f"/v1/incidents/{incident['id']}", headers=s["duty"])).json()
            due = dt.datetime.fromisoformat(step(got, "rescuers_on_site")["due_at"])
            assert due - dt.datetime.fromisoformat(got["triggered_at"]) == dt.timedelta(minutes=minutes)
            assert got["playbook_version"] == version


class TestTriggers:
    async def test_a_duty_officer_triggers_and_a_second_report_is_linked(self, site, db):
        s = site
        first = await trigger(s)
        assert first["reference"].startswith("INC-") and (
            first["state"],
            first["severity"],
            first["reports"],
        ) == ("triggered", "critical", 1)
        assert [x["key"] for x in first["steps"]] == [x.key for x in SEEDED["elevator_entrapment"][0].steps]
        assert step(first, "soothe")["title_zh"].startswith("通过对讲安抚")
        again = await trigger(s, description="又有住户打电话说电梯困人")
        assert (again["id"], again["linked"], again["reports"]) == (first["id"], True, 2)
        other_building = await trigger(s, building_id=s["buildings"][1]["id"])
        assert other_building["id"] != first["id"]
        assert len(await events(db, "incidents.incident.triggered")) == 2
        (linked,) = await events(db, "incidents.report.linked")
        assert linked["reports"] == 2
        drill = await trigger(s, drill=True)
        assert drill["reference"].startswith("DRL-") and drill["drill"] is True and drill["id"] != first["id"]

    async def test_only_duty_officers_and_managers_run_incidents(self, site):
        s = site
        resident = token("resident", estates=[s["eid"]], units=[uuid.uuid4()])
        for headers in (s["guard"], resident):
            r = await s["incidents"].post(
                f"/v1/estates/{s['eid']}/incidents",
                headers=headers,
                json={"playbook": "fire", "description": "x"},
            )
            assert r.status_code == 403
        incident = await trigger(s, headers=s["manager"])
        r = await s["incidents"].post(
            f"/v1/incidents/{incident['id']}/actions", headers=s["guard"], json={"action": "acknowledge"}
        )
        assert r.status_code == 403
        r = await s["incidents"].post(
            f"/v1/incidents/{incident['id']}/steps/soothe", headers=s["guard"], json={"action": "acknowledge"}
        )
        assert r.status_code == 200  # any staff member works the steps
        assert (
            await s["incidents"].get(f"/v1/incidents/{incident['id']}", headers=resident)
        ).status_code == 403
        bad = await s["incidents"].post(
            f"/v1/estates/{s['eid']}/incidents",
            headers=s["duty"],
            json={"playbook": "alien", "description": "x"},
        )
        assert bad.status_code == 404
        bad = await s["incidents"].post(
            f"/v1/estates/{s['eid']}/incidents", headers=s["duty"], json={"playbook": "fire"}
        )
        assert bad.status_code == 422

    async def test_an_entrapment_reported_in_repairs_opens_an_incident(self, platform_env, site, db):
        s = site
        async with running_service(REPAIRS, platform_env) as repairs:
            for n in (1, 2):
                await emit(
                    repairs,
                    EmergencyReported(
                        work_order_id=uuid.uuid4(),
                        estate_id=s["eid"],
                        reference=f"WO-202611-00001{n}",
                        kind="elevator_entrapment",
                        building_id=uuid.UUID(s["buildings"][0]["id"]),
                        location="C1栋 1号电梯",
                        description="电梯困人",
                        reported_at=dt.datetime.now(dt.UTC),
                        reporter_name="陈静",
                    ),
                )

            async def linked():
                items = (
                    await s["incidents"].get(f"/v1/estates/{s['eid']}/incidents", headers=s["duty"])
                ).json()["items"]
                return items if items and items[0]["reports"] == 2 else None

            (incident,) = await wait_until(linked, message="the incident and the linked second report")
        assert (incident["source"], incident["source_ref"], incident["location"]) == (
            "event",
            "WO-202611-000011",
            "C1栋 1号电梯",
        )


async def test_several_power_cut_reports_from_one_building_open_the_outage_playbook(platform_env, site, db):
    s = site
    async with running_service(REPAIRS, platform_env) as repairs:

        async def report(n: int, building: int) -> None:
            await emit(
                repairs,
                OutageReported(
                    work_order_id=uuid.uuid4(),
                    estate_id=s["eid"],
                    reference=f"WO-202611-0000{n:02d}",
                    kind="power",
                    building_id=uuid.UUID(s["buildings"][building]["id"]),
                    reported_at=dt.datetime.now(dt.UTC),
                ),
            )

        async def consumed(n: int):
            rows = await db("SELECT count(*) FROM incidents.outage_report")
            return rows[0][0] == n

        await report(1, 0)
        await report(2, 0)
        await report(3, 1)  # another building: does not count towards C1
        await wait_until(lambda: consumed(3), message="three reports counted")
        assert await events(db, "incidents.incident.triggered") == []
        await report(4, 0)  # the third from C1 within 30 minutes
        (opened,) = await wait_until(
            lambda: events(db, "incidents.incident.triggered"), message="the outage incident"
        )
        assert (opened["playbook"], opened["building_id"]) == ("power_outage", s["buildings"][0]["id"])
        await report(5, 0)
        await wait_until(lambda: consumed(5), message="the fifth report")
        (linked,) = await events(db, "incidents.report.linked")
        assert linked["incident_id"] == opened["incident_id"] and linked["reports"] == 2


class TestStepsAndEscalation:
    async def test_a_late_step_escalates_along_its_chain_until_acknowledged(self, site, db):
        s = site
        incident = await trigger(s)
        key = f"inc:{incident['id']}:soothe"
        await db(  # two minutes pass: the step's deadline and its timer
            "UPDATE incidents.incident_step SET due_at = now() - interval '1 second' WHERE incident_id = :i AND key = 'soothe'",
            i=uuid.UUID(incident["id"]),
        )
        await make_due(db, key)
        first = await wait_until(
            lambda: events(db, "incidents.step.escalated"), message="the first escalation"
        )
        assert (first[0]["step"], first[0]["level"], first[0]["role"], first[0]["staff_role"]) == (
            "soothe",
            1,
            "commander",
            "duty_officer",
        )
        rearmed = await db("SELECT due_at FROM incidents.timer WHERE key = :k", k=key)
        assert rearmed[0][0] > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=4)  # repeats every 5 minutes

        async def escalations(n):
            found = await events(db, "incidents.step.escalated")
            return found if len(found) >= n else None

        await make_due(db, key)
        second = (await wait_until(lambda: escalations(2), message="the second escalation"))[1]
        assert (second["level"], second["role"], second["department"]) == (2, "security", "security")
        r = await s["incidents"].post(
            f"/v1/incidents/{incident['id']}/steps/soothe", headers=s["guard"], json={"action": "acknowledge"}
        )
        assert (
            step(r.json(), "soothe")["state"] == "acknowledged" and step(r.json(), "soothe")["late"] is True
        )
        assert (
            await db("SELECT key FROM incidents.timer WHERE key = :k", k=key) == []
        )  # acknowledgement stops it
        assert step(r.json(), "soothe")["escalations"] == 2

    async def test_escalation_survives_a_restart(self, platform_env, db):
        async with stack(platform_env) as (intake, incidents):
            s = {"intake": intake, "incidents": incidents, **await known_estate(intake, incidents)}
            incident = await trigger(s)
        await make_due(
            db, f"inc:{incident['id']}:call_contractor"
        )  # the deadline passes while incidents is down
        async with running_service(INCIDENTS, platform_env):
            found = await wait_until(
                lambda: events(db, "incidents.step.escalated"), message="escalation after restart"
            )
        assert found[0]["step"] == "call_contractor" and found[0]["role"] == "commander"

    async def test_dependencies_skips_parties_and_the_states(self, site, db):
        s = site
        incident = await trigger(s)
        url = f"/v1/incidents/{incident['id']}"
        r = await s["incidents"].post(
            url + "/steps/rescuers_on_site", headers=s["guard"], json={"action": "complete"}
        )
        assert r.status_code == 409 and r.json()["waiting"] == ["call_contractor"]
        r = await s["incidents"].post(url + "/steps/secure_site", headers=s["guard"], json={"action": "skip"})
        assert r.status_code == 422  # a skip needs a note
        promised = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=25)).isoformat()
        party = await s["incidents"].post(
            url + "/parties",
            headers=s["guard"],
            json={
                "kind": "elevator_contractor",
                "name": "奥的斯维保",
                "phone": "4008-123-456",
                "promised_at": promised,
            },
        )
        assert party.status_code == 201
        await s["incidents"].post(
            url + "/steps/call_contractor", headers=s["guard"], json={"action": "complete"}
        )
        arrived = await s["incidents"].post(
            url + f"/parties/{party.json()['id']}/arrived", headers=s["guard"]
        )
        assert arrived.json()["arrived_at"] is not None
        r = await s["incidents"].post(
            url + "/steps/rescuers_on_site",
            headers=s["guard"],
            json={"action": "complete", "note": "维保人员到场"},
        )
        assert (
            step(r.json(), "rescuers_on_site")["state"] == "completed"
            and step(r.json(), "rescuers_on_site")["late"] is False
        )
        for action, expected in (
            ("stabilise", 409),
            ("acknowledge", 200),
            ("acknowledge", 409),
            ("close", 409),
            ("stabilise", 200),
            ("resolve", 200),
        ):
            r = await s["incidents"].post(url + "/actions", headers=s["duty"], json={"action": action})
            assert r.status_code == expected, (action, r.text)
        assert (
            await db("SELECT key FROM incidents.timer WHERE key LIKE :k", k=f"inc:{incident['id']}%") == []
        )  # resolved: no more escalation
        r = await s["incidents"].post(
            url + "/steps/soothe", headers=s["guard"], json={"action": "acknowledge"}
        )
        assert r.status_code == 409
        r = await s["incidents"].post(url + "/actions", headers=s["duty"], json={"action": "close"})
        assert (r.json()["state"], r.json()["active"]) == ("closed", False)
        kinds = [e["kind"] for e in r.json()["timeline"]]
        assert kinds[0] == "triggered" and {
            "party_called",
            "party_arrived",
            "step_complete",
            "acknowledge",
            "resolve",
            "close",
        } <= set(kinds)
        states = [e["state"] for e in await events(db, "incidents.incident.state_changed")]
        assert states == ["acknowledged", "stabilised", "resolved", "closed"]
        again = await trigger(s)  # the closed one no longer absorbs reports
        assert again["id"] != incident["id"]


class TestCriticalAlerts:
    """notify's word on an incident's critical alerts (issue 19, item 3)."""

    async def test_an_acknowledgement_is_on_the_timeline_and_an_unacknowledged_alert_escalates(
        self, platform_env, site, db
    ):
        s = site
        incident = await trigger(s)
        about = {
            "source_kind": "incident",
            "source_id": incident["id"],
            "source_reference": incident["reference"],
        }

        def alert(kind, source_event_id, recipient, **extra):
            return kind(
                message_id=uuid.uuid4(),
                source_event_id=source_event_id,
                recipient_id=recipient,
                recipient_name="值班员王强",
                channels_tried=["push", "sms", "voice"],
                **{"source_event_type": "incidents.incident.triggered", **about, **extra},
            )

        async def timeline(kind: str, n: int):
            rows = await db(
                "SELECT data FROM incidents.incident_entry WHERE incident_id = :i AND kind = :k ORDER BY at",
                i=uuid.UUID(incident["id"]),
                k=kind,
            )
            return [r[0] for r in rows] if len(rows) >= n else None

        triggered, escalated_alert = uuid.uuid4(), uuid.uuid4()
        officer, manager, guard = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        async with running_service(NOTIFY, platform_env) as notify:
            await emit(notify, alert(CriticalAcknowledged, triggered, officer))
            [acked] = await wait_until(lambda: timeline("alert_acknowledged", 1), message="on the timeline")
            assert acked["recipient"] == "值班员王强" and acked["recipient_id"] == str(officer)
            # the manager slept through the same alert, but the officer has it: nothing escalates
            await emit(notify, alert(CriticalUnacknowledged, triggered, manager))
            await wait_until(lambda: timeline("alert_unacknowledged", 1), message="the manager's silence")
            assert await events(db, "incidents.step.escalated") == []
            # nobody answered the alert about step `soothe` (two recipients, one escalation)
            for who in (manager, guard):
                await emit(
                    notify,
                    alert(
                        CriticalUnacknowledged,
                        escalated_alert,
                        who,
                        step="soothe",
                        source_event_type="incidents.step.escalated",
                    ),
                )
            await wait_until(lambda: timeline("alert_unacknowledged", 3), message="both silences")
        [escalated] = await events(db, "incidents.step.escalated")
        assert (escalated["step"], escalated["level"], escalated["role"]) == ("soothe", 1, "commander")
        [entry] = await timeline("escalated", 1)
        assert entry["cause"] == "alert_unacknowledged" and entry["alert_event_id"] == str(escalated_alert)
        rearmed = await db(
            "SELECT due_at FROM incidents.timer WHERE key = :k", k=f"inc:{incident['id']}:soothe"
        )
        assert rearmed[0][0] > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=4)  # the next level's clock
