"""A report that rolls back leaves nothing behind: no order, no event, no timer, and the process's caches,
dispatch loads and number block exactly as they were (they change only when a unit of work commits)."""

from __future__ import annotations

import uuid

import pytest

from propdesk.common.uow import unit_of_work
from propdesk.repairs.service import dispatch, estates, reporting
from propdesk.repairs.service.registry import LOCATIONS

from .conftest import report


class Boom(Exception):
    pass


def snapshot(eid: uuid.UUID) -> dict:
    loads = dispatch._loads.get(eid, None)
    return {
        "loads": dict(loads) if loads is not None else None,
        "locations": {k: v for k, (_, v) in LOCATIONS._entries.items() if k[0] == eid},
        "settings": estates._cache.get(("settings", eid), None),
        "roster": dispatch._rosters.get(eid, None),
        "free numbers": {url: list(free) for url, free in reporting.NUMBERS._free.items()},
    }


async def test_a_rolled_back_report_changes_no_cache_no_load_and_uses_no_number(site, db):
    s = site
    await report(s)  # caches and loads warm, a block of numbers taken
    runtime = s["repairs"].app.state.runtime
    before = snapshot(s["eid"])
    assert before["loads"] is not None and sum(before["loads"].values()) == 1
    orders_before = await db("SELECT count(*) FROM repairs.work_order")
    with pytest.raises(Boom):
        async with unit_of_work(runtime.sessionmaker) as session:
            LOCATIONS.invalidate(session, (s["eid"], None, None))  # changes of its own, staged
            estates.invalidate(session, s["eid"])
            wo, _ = await reporting.report(
                session,
                s["eid"],
                unit_id=uuid.UUID(s["units"][1]["id"]),  # a unit not cached yet
                place_id=None,
                category="plumbing",
                problem="leak",
                urgency=None,
                description="回滚的报修",
                photos=[],
                source="staff",
                reporter_resident_id=None,
                reporter_name="测试",
                reporter_phone=None,
            )
            assert wo.technician_id is not None  # dispatched in the unit: its load counted there
            raise Boom
    assert snapshot(s["eid"]) == before
    assert await db("SELECT count(*) FROM repairs.work_order") == orders_before
    assert await db("SELECT count(*) FROM repairs.timer WHERE key LIKE :k", k=f"wo:{wo.id}%") == [(0,)]
    assert await db("SELECT count(*) FROM repairs.outbox WHERE aggregate_id = :a", a=str(wo.id)) == [(0,)]
    # the next report takes the number the rolled-back one gave back
    again = await report(s, s["dispatcher"], unit_id=s["units"][1]["id"])
    assert again["reference"] == wo.reference
