"""Desk KPIs: counts, rates and times computed from known records, the day/week/month windows, CSV and XLSX
exports that open and agree with the JSON, access and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from openpyxl import load_workbook

from propdesk.common.testing.helpers import token

from .conftest import building_with_units, household


async def desk_month(intake, estate, manager, desk) -> dict:
    _, units = await building_with_units(intake, estate, manager, 1, 2)
    home = await household(intake, estate, desk, units[0]["id"])
    cases = []
    for category in ("noise", "noise", "parking"):
        body = {
            "kind": "complaint",
            "category": category,
            "unit_id": units[0]["id"],
            "subject": "s",
            "description": "d",
        }
        cases.append((await intake.post(f"/v1/estates/{estate['id']}/cases", headers=desk, json=body)).json())
    body = {"kind": "inquiry", "unit_id": units[1]["id"], "subject": "物业费", "description": "怎么交"}
    cases.append((await intake.post(f"/v1/estates/{estate['id']}/cases", headers=desk, json=body)).json())
    for case in cases[:2]:
        for action in ("acknowledge", "resolve"):
            r = await intake.post(
                f"/v1/cases/{case['id']}/actions", headers=desk, json={"action": action, "note": "ok"}
            )
            assert r.status_code == 200, r.text
    await intake.post(f"/v1/cases/{cases[3]['id']}/actions", headers=desk, json={"action": "acknowledge"})
    follow_ups = (await intake.get(f"/v1/estates/{estate['id']}/follow-ups", headers=desk)).json()["items"]
    assert len(follow_ups) == 2
    await intake.post(f"/v1/follow-ups/{follow_ups[0]['id']}/answer", headers=home["me"], json={"score": 5})
    await intake.post(f"/v1/follow-ups/{follow_ups[1]['id']}/answer", headers=home["me"], json={"score": 2})
    for outcome in ("answered", "missed"):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/calls",
            headers=desk,
            json={"phone": "13812345678", "outcome": outcome},
        )
        assert r.status_code == 201, r.text
    now = dt.datetime.now(dt.UTC)
    r = await intake.post(
        f"/v1/estates/{estate['id']}/visits",
        headers=desk,
        json={
            "unit_id": units[0]["id"],
            "visitor_name": "周杰",
            "window_from": now.isoformat(),
            "window_to": (now + dt.timedelta(hours=2)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    return {"home": home}


async def test_the_month_report_counts_what_happened(intake, estate, manager, desk):
    await desk_month(intake, estate, manager, desk)
    r = await intake.get(f"/v1/estates/{estate['id']}/kpis", headers=manager, params={"period": "month"})
    assert r.status_code == 200, r.text
    k = r.json()
    # 3 complaints + 1 inquiry + the complaint the score of 2 opened
    assert k["cases"]["total"] == 5
    assert k["cases"]["by_kind"] == {"complaint": 4, "inquiry": 1}
    by_category = {(row["kind"], row["category"]): row["count"] for row in k["cases"]["by_category"]}
    assert by_category == {("complaint", "noise"): 3, ("complaint", "parking"): 1, ("inquiry", "-"): 1}
    assert k["response_time"]["count"] == 3 and k["resolution_time"]["count"] == 2
    assert k["response_time"]["average_minutes"] < 5  # acknowledged within seconds
    assert k["sla"]["acknowledge"] == {
        "total": 5,
        "met": 3,
        "breached": 0,
        "running": 2,
        "compliance_rate": 1.0,
    }
    assert k["follow_ups"] | {"by_source": None} == {
        "created": 2,
        "completed": 2,
        "unreachable": 0,
        "pending": 0,
        "overdue": 0,
        "follow_up_rate": 1.0,
        "by_source": None,
    }
    assert k["satisfaction"] == {
        "scored": 2,
        "satisfied": 1,
        "dissatisfied": 1,
        "satisfaction_rate": 0.5,
        "average_score": 3.5,
    }
    assert (
        k["repeat_complaints"] == 2
    )  # the second noise complaint, and the follow-up's complaint (same unit)
    assert k["calls"] == {"total": 2, "inbound": 2, "outbound": 0, "missed": 1}
    assert k["visitors"] == {"registered": 1, "checked_in": 0}
    for period in ("day", "week"):
        same = (
            await intake.get(f"/v1/estates/{estate['id']}/kpis", headers=manager, params={"period": period})
        ).json()
        assert same["cases"]["total"] == 5 and same["period"] == period
    last_year = (
        await intake.get(f"/v1/estates/{estate['id']}/kpis", headers=manager, params={"on": "2025-11-15"})
    ).json()
    assert (last_year["label"], last_year["cases"]["total"], last_year["calls"]["total"]) == ("2025-11", 0, 0)
    assert last_year["satisfaction"]["satisfaction_rate"] is None  # no scores: no rate, not zero


async def test_exports_open_and_agree_with_the_json(intake, estate, manager, desk):
    await desk_month(intake, estate, manager, desk)
    url = f"/v1/estates/{estate['id']}/kpis"
    k = (await intake.get(url, headers=desk)).json()
    r = await intake.get(url + "/export", headers=desk, params={"format": "xlsx"})
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    assert f"kpis-YMS-{k['label']}.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Summary", "Cases", "FollowUps", "ByCategory"]
    summary = {row[0]: row[3] for row in book["Summary"].iter_rows(min_row=3, values_only=True)}
    assert summary["cases.total"] == k["cases"]["total"] == book["Cases"].max_row - 1
    assert summary["follow_ups.created"] == book["FollowUps"].max_row - 1 == 2
    assert summary["satisfaction.satisfaction_rate"] == 0.5
    assert sum(row[2] for row in book["ByCategory"].iter_rows(min_row=2, values_only=True)) == 5
    r = await intake.get(url + "/export", headers=desk, params={"format": "csv", "period": "week"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["metric", "指标", "label", "value"]
    assert {row[0]: row[3] for row in rows[1:]}["calls.missed"] == "1"


async def test_access_and_bad_input(intake, estate, manager, desk):
    url = f"/v1/estates/{estate['id']}/kpis"
    resident = token("resident", estates=[uuid.UUID(estate["id"])], units=[uuid.uuid4()])
    technician = token("technician", estates=[uuid.UUID(estate["id"])])
    other = token("manager", estates=[uuid.uuid4()])
    for headers in (resident, technician, other):
        assert (await intake.get(url, headers=headers)).status_code == 403
    for params in ({"period": "year"}, {"on": "2026-13-01"}, {"format": "pdf"}):
        path = url + "/export" if "format" in params else url
        r = await intake.get(path, headers=manager, params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"].startswith("application/problem+json")
