"""Gapless numbers (issue 18, item 3): invoices numbered per estate and the period billed, receipts per estate
and month; a re-run that issues nothing and a transaction that rolls back use no number."""

from __future__ import annotations

import datetime as dt

from propdesk.billing.service import numbering
from propdesk.common.uow import unit_of_work

from .conftest import fee, run


async def _numbers(s, period: str | None = None) -> list[str]:
    params = {"limit": 100, **({"period": period} if period else {})}
    items = (
        await s["billing"].get(f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params=params)
    ).json()
    return sorted(i["number"] for i in items["items"])


class TestInvoiceNumbers:
    async def test_the_period_billed_is_in_the_number_and_the_sequence_has_no_gap(self, site):
        s = site
        await fee(s)
        january = await run(s, "2027-01")  # issued in December, for January
        assert january["new_invoices"] == 3
        assert await _numbers(s, "2027-01") == [f"INV-202701-00000{n}" for n in (1, 2, 3)]
        assert (await run(s, "2027-01"))["new_invoices"] == 0  # idempotent: nothing issued, no number used
        # a number taken in a transaction that rolls back is not used either
        sessionmaker = s["billing"].app.state.runtime.sessionmaker
        async with sessionmaker() as session:
            await numbering.take(session, s["eid"], "INV", "202701")
            await session.rollback()
        await fee(s, code="SHOP", name="商铺物业费", unit_kind="shop", rate="500")
        await run(s, "2027-01")  # the shop, billed now: the next number, no gap
        assert await _numbers(s, "2027-01") == [f"INV-202701-00000{n}" for n in (1, 2, 3, 4)]

    async def test_receipts_are_numbered_per_month_without_gaps(self, site):
        s = site
        await fee(s)
        await run(s, "2026-12")
        home = s["units"][0]["id"]
        receipts = []
        for amount in (1000, 2000):
            r = await s["billing"].post(
                f"/v1/units/{home}/payments",
                headers=s["finance"],
                json={"amount_fen": amount, "channel": "cash"},
            )
            assert r.status_code == 201, r.text
            receipts.append(r.json()["receipt_number"])
        month = f"{dt.datetime.now(dt.UTC) + dt.timedelta(hours=8):%Y%m}"
        assert receipts == [f"RCP-{month}-000001", f"RCP-{month}-000002"]

    async def test_a_counter_taken_and_committed_advances_once_per_number(self, site):
        s = site
        sessionmaker = s["billing"].app.state.runtime.sessionmaker
        async with unit_of_work(sessionmaker) as session:
            first = await numbering.take(session, s["eid"], "INV", "209901", 3)
        async with unit_of_work(sessionmaker) as session:
            second = await numbering.take(session, s["eid"], "INV", "209901")
        assert first + second == [f"INV-209901-00000{n}" for n in (1, 2, 3, 4)]
