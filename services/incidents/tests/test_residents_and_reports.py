"""Broadcasts through notify (the scope by building and floor, staff only in a drill), residents' replies and
the tally, help tasks, planned outages on durable timers, the report in Markdown and PDF, the review, drills
and the alarm panel's signed webhook."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid

import pytest
from pypdf import PdfReader

from propdesk.common.settings import dev_webhook_secret
from propdesk.common.testing.helpers import running_service, signed, token, wait_until
from propdesk.notify.main import SERVICE as NOTIFY

from .conftest import events, known_estate, make_due, stack


async def homes(s) -> list[dict]:
    """Two units on floor 3 and one on floor 9 of C1, one on C2; an owner in each."""
    out = []
    for b, number, floor in ((0, "C1-0301", 3), (0, "C1-0302", 3), (0, "C1-0901", 9), (1, "C2-0301", 3)):
        unit = (
            await s["intake"].post(
                f"/v1/estates/{s['eid']}/units",
                headers=s["manager"],
                json={
                    "building_id": s["buildings"][b]["id"],
                    "number": number,
                    "floor": floor,
                    "area_m2": "96",
                },
            )
        ).json()
        person = (
            await s["intake"].post(
                f"/v1/estates/{s['eid']}/residents",
                headers=s["manager"],
                json={
                    "name": f"住户{number}",
                    "phone": f"1381234{len(out):04d}",
                    "occupancy": {"unit_id": unit["id"], "role": "owner"},
                },
            )
        ).json()
        me = token("resident", estates=[s["eid"]], units=[uuid.UUID(unit["id"])], sub=person["id"])
        out.append({"unit": unit, "resident": person, "me": me})

    async def projected():
        rows = await s["db"]("SELECT count(*) FROM incidents.unit")
        return rows[0][0] == len(out)

    await wait_until(projected, message="incidents to know the units")
    return out


@pytest.fixture
async def full(platform_env, db):
    async with stack(platform_env) as (intake, incidents), running_service(NOTIFY, platform_env) as notify:
        s = {
            "intake": intake,
            "incidents": incidents,
            "notify": notify,
            "db": db,
            **await known_estate(intake, incidents),
        }
        s["homes"] = await homes(s)
        yield s


async def start(s, **body) -> dict:
    payload = {
        "playbook": "fire",
        "description": "C1 栋 3 层厨房起火",
        "building_id": s["buildings"][0]["id"],
        "floors": [2, 3, 4],
        **body,
    }
    r = await s["incidents"].post(f"/v1/estates/{s['eid']}/incidents", headers=s["duty"], json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def local(iso: str) -> str:
    """An API time as the report prints it (Asia/Shanghai)."""
    return (dt.datetime.fromisoformat(iso) + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


ALARM_SECRET = dev_webhook_secret("alarm-panel")


async def inbox(s, person) -> list[dict]:
    return (await s["notify"].get("/v1/me/inbox", headers=person["me"])).json()["items"]


class TestBroadcastsAndReplies:
    async def test_the_building_hears_replies_are_tallied_and_help_becomes_a_task(self, full, db):
        s = full
        incident = await start(s)
        url = f"/v1/incidents/{incident['id']}"
        r = await s["incidents"].post(
            url + "/broadcasts", headers=s["duty"], json={"key": "evacuate", "ask_reply": True}
        )
        assert r.status_code == 201, r.text
        assert r.json()["scope"] == {"building_ids": [s["buildings"][0]["id"]], "floors": []}
        evac = next(
            x
            for x in (await s["incidents"].get(url, headers=s["duty"])).json()["steps"]
            if x["key"] == "evacuate"
        )
        assert evac["state"] == "completed"  # the playbook's broadcast step is done when it goes out
        c1 = s["homes"][:3]

        async def told():
            got = [await inbox(s, h) for h in s["homes"]]
            return got if all(got[:3]) else None

        boxes = await wait_until(told, message="the C1 residents' inboxes")
        assert all(b[0]["critical"] and "火警" in b[0]["title"] for b in boxes[:3])
        assert boxes[3] == []  # C2 is not in scope
        for home, status in zip(c1[:2], ("safe", "need_help"), strict=True):
            r = await s["incidents"].post(
                url + "/replies",
                headers=home["me"],
                json={
                    "unit_id": home["unit"]["id"],
                    "status": status,
                    "note": "行动不便" if status == "need_help" else None,
                },
            )
            assert r.status_code == 200, r.text
        tally = (await s["incidents"].get(url + "/tally", headers=s["duty"])).json()
        assert tally["total"] == {"units": 3, "safe": 1, "need_help": 1, "no_answer": 1}
        floor3 = next(row for row in tally["by_floor"] if row["floor"] == 3)
        assert (floor3["units"], floor3["safe"], floor3["need_help"]) == (2, 1, 1)
        assert tally["open_help_tasks"] == 1
        (help_event,) = await events(db, "incidents.help.requested")
        assert (help_event["unit_number"], help_event["floor"]) == ("C1-0302", 3)
        (task,) = (await s["incidents"].get(url + "/help-tasks", headers=s["duty"])).json()
        r = await s["incidents"].post(
            url + f"/help-tasks/{task['id']}/done", headers=s["guard"], json={"note": "保安背下楼"}
        )
        assert r.json()["state"] == "done"
        # a resident answers only for their own unit, and only residents answer
        other = s["homes"][3]
        r = await s["incidents"].post(
            url + "/replies", headers=other["me"], json={"unit_id": c1[0]["unit"]["id"], "status": "safe"}
        )
        assert r.status_code == 403
        r = await s["incidents"].post(
            url + "/replies", headers=s["duty"], json={"unit_id": c1[0]["unit"]["id"], "status": "safe"}
        )
        assert r.status_code == 403
        r = await s["incidents"].post(
            url + "/replies", headers=c1[0]["me"], json={"unit_id": c1[0]["unit"]["id"], "status": "maybe"}
        )
        assert r.status_code == 422
        assert (await s["incidents"].get(url + "/tally", headers=c1[0]["me"])).status_code == 403

    async def test_a_drill_runs_fully_but_only_staff_hear_it(self, full, db):
        s = full
        staff = (
            await s["intake"].post(
                f"/v1/estates/{s['eid']}/staff",
                headers=s["manager"],
                json={"name": "值班长", "department": "security", "roles": ["duty_officer"]},
            )
        ).json()
        drill = await start(s, drill=True)
        assert drill["drill"] is True and drill["reference"].startswith("DRL-")
        r = await s["incidents"].post(
            f"/v1/incidents/{drill['id']}/broadcasts", headers=s["duty"], json={"key": "evacuate"}
        )
        assert r.json()["staff_only"] is True and "staff_roles" in r.json()["scope"]
        me = token("duty_officer", estates=[s["eid"]], sub=staff["id"])

        async def staff_told():
            items = (await s["notify"].get("/v1/me/inbox", headers=me)).json()["items"]
            return [m for m in items if "演练" in m["title"]] or None

        await wait_until(staff_told, message="staff to hear the drill")
        assert [await inbox(s, h) for h in s["homes"]] == [[]] * 4  # no resident hears a drill
        drills = (await s["incidents"].get(f"/v1/estates/{s['eid']}/drills", headers=s["duty"])).json()
        fire = next(d for d in drills if d["playbook"] == "fire")
        assert (
            fire["overdue"] is False
            and next(d for d in drills if d["playbook"] == "power_outage")["overdue"] is True
        )


class TestPlannedOutages:
    async def test_notice_reminder_and_all_clear_go_out_at_their_times(self, full, db):
        s = full
        now = dt.datetime.now(dt.UTC)
        body = {
            "kind": "water",
            "building_ids": [s["buildings"][0]["id"]],
            "starts_at": (now + dt.timedelta(hours=30)).isoformat(),
            "ends_at": (now + dt.timedelta(hours=34)).isoformat(),
            "reason": "二次供水水箱清洗",
        }
        url = f"/v1/estates/{s['eid']}/planned-outages"
        too_late = {**body, "starts_at": (now + dt.timedelta(hours=5)).isoformat()}
        r = await s["incidents"].post(url, headers=s["duty"], json=too_late)
        assert r.status_code == 422 and r.json()["lead_hours"] < 24
        assert (await s["incidents"].post(url, headers=s["guard"], json=body)).status_code == 403
        assert (
            await s["incidents"].post(url, headers=s["duty"], json={**body, "ends_at": body["starts_at"]})
        ).status_code == 422
        r = await s["incidents"].post(url, headers=s["duty"], json=body)
        assert r.status_code == 201, r.text
        outage = r.json()
        assert dt.datetime.fromisoformat(outage["reminder_at"]) == dt.datetime.fromisoformat(
            body["starts_at"]
        ) - dt.timedelta(hours=2)

        async def purposes():
            return [e["purpose"] for e in await events(db, "incidents.broadcast.requested")]

        await wait_until(lambda: purposes(), message="the notice")  # notice_at defaults to now
        home = s["homes"][0]
        notice = await wait_until(lambda: inbox(s, home), message="the notice in the inbox")
        assert "计划停水" in notice[0]["title"] and notice[0]["critical"] is False
        for step in ("outage_reminder", "outage_all_clear"):
            await make_due(db, f"outage:{outage['id']}:{step}")

            async def sent(step=step):
                return step in await purposes()

            await wait_until(sent, message=step)
        listed = (await s["incidents"].get(url, headers=s["duty"])).json()
        assert listed[0]["state"] == "ended" and listed[0]["all_clear_at"] is not None
        r = await s["incidents"].post(f"/v1/planned-outages/{outage['id']}/cancel", headers=s["duty"])
        assert r.status_code == 409  # over already


class TestReportsAndAlarms:
    async def test_the_report_shows_each_step_against_its_deadline(self, full, db):
        s = full
        incident = await start(s)
        url = f"/v1/incidents/{incident['id']}"
        await s["incidents"].post(
            url + "/steps/call_119", headers=s["duty"], json={"action": "complete", "note": "已报警"}
        )
        await s["incidents"].post(
            url + "/parties", headers=s["duty"], json={"kind": "fire_brigade", "name": "119 指挥中心"}
        )
        for action in ("acknowledge", "stabilise", "resolve"):
            await s["incidents"].post(url + "/actions", headers=s["duty"], json={"action": action})
        r = await s["incidents"].put(
            url + "/review",
            headers=s["manager"],
            json={
                "summary": "厨房油锅起火，5 分钟内扑灭",
                "causes": "住户操作不当",
                "follow_ups": [{"title": "楼层灭火器检查", "owner": "工程部", "due_on": "2026-12-15"}],
            },
        )
        assert r.status_code == 200, r.text
        md = (await s["incidents"].get(url + "/report.md", headers=s["duty"])).text
        assert f"紧急事件报告书 / Incident report {incident['reference']}" in md
        got = (await s["incidents"].get(url, headers=s["duty"])).json()
        step = next(x for x in got["steps"] if x["key"] == "call_119")
        row = next(line for line in md.splitlines() if "立即拨打 119" in line)
        assert (
            local(step["due_at"]) in row and local(step["done_at"]) in row and ("LATE" in row) == step["late"]
        )
        assert "楼层灭火器检查" in md and "119 指挥中心" in md
        pdf = await s["incidents"].get(url + "/report.pdf", headers=s["duty"])
        assert pdf.headers["content-type"] == "application/pdf"
        text = re.sub(
            r"\s", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        )
        for moment in (
            step["done_at"],
            step["due_at"],
            got["resolved_at"],
        ):  # cells wrap: compare without spaces
            assert local(moment).replace(" ", "") in text
        assert incident["reference"] in text

    async def test_a_signed_alarm_starts_the_fire_playbook_once(self, full, db):
        s = full
        url = f"/v1/webhooks/alarm-panel/{s['eid']}"
        body = json.dumps(
            {
                "event_id": "A-1",
                "estate_id": str(s["eid"]),
                "panel": "FAS-1",
                "kind": "smoke",
                "building_id": s["buildings"][1]["id"],
                "zone": "C2 大堂",
            }
        ).encode()
        unsigned = await s["incidents"].post(url, content=body, headers={"content-type": "application/json"})
        assert unsigned.status_code == 401
        wrong_key = await s["incidents"].post(
            url, content=body, headers=signed(dev_webhook_secret("wrong"), body)
        )
        assert wrong_key.status_code == 401
        headers = signed(ALARM_SECRET, body)
        r = await s["incidents"].post(url, content=body, headers=headers)
        assert r.status_code == 200, r.text
        assert (r.json()["playbook_key"], r.json()["source"], r.json()["linked"]) == (
            "fire",
            "webhook",
            False,
        )
        replay = await s["incidents"].post(url, content=body, headers=headers)  # the same message again
        assert (replay.status_code, replay.json()["id"], replay.json()["reports"]) == (200, r.json()["id"], 1)
        again = json.dumps(
            {
                "event_id": "A-2",
                "estate_id": str(s["eid"]),
                "panel": "FAS-1",
                "kind": "sprinkler",
                "building_id": s["buildings"][1]["id"],
            }
        ).encode()
        r2 = await s["incidents"].post(url, content=again, headers=signed(ALARM_SECRET, again))
        assert (r2.json()["id"], r2.json()["linked"], r2.json()["reports"]) == (r.json()["id"], True, 2)
        # a panel's message for another estate, sent to this estate's URL, starts nothing
        other = json.dumps(
            {"event_id": "A-3", "estate_id": str(uuid.uuid4()), "panel": "FAS-1", "kind": "fire"}
        ).encode()
        moved = await s["incidents"].post(url, content=other, headers=signed(ALARM_SECRET, other))
        assert moved.status_code == 422 and moved.json()["type"].endswith("/wrong-estate"), moved.text
        assert len(await events(db, "incidents.incident.triggered")) == 1
