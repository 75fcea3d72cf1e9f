"""Issue 18, items 1 and 2: credit paid in advance settles invoices as they are issued (no dunning and no
late fee on a unit that paid ahead); late fees are invoices of their own, payable and waivable; a refund first
settles what is overdue; a reversed payment takes back the credit it left."""

from __future__ import annotations

from propdesk.common.testing.helpers import token

from .conftest import events, fee, run
from .test_collection import day


async def account(s, unit) -> dict:
    r = await s["billing"].get(f"/v1/units/{unit['id']}/account", headers=s["finance"])
    assert r.status_code == 200, r.text
    return r.json()


async def pay(s, unit, amount: int, **body) -> dict:
    r = await s["billing"].post(
        f"/v1/units/{unit['id']}/payments",
        headers=s["finance"],
        json={"amount_fen": amount, "channel": "wechat", **body},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def invoices(s, unit, **params) -> list[dict]:
    r = await s["billing"].get(
        f"/v1/estates/{s['eid']}/invoices",
        headers=s["finance"],
        params={"unit_id": unit["id"], "limit": 200, **params},
    )
    return r.json()["items"]


async def late_fees_on(s, daily_rate: str = "0.01", grace_days: int = 0) -> None:
    url = f"/v1/estates/{s['eid']}/billing-policy"
    policy = (await s["billing"].get(url, headers=s["finance"])).json()
    policy.update({"late_fee_enabled": True, "grace_days": grace_days, "daily_rate": daily_rate})
    assert (await s["billing"].put(url, headers=s["finance"], json=policy)).status_code == 200


async def balanced(s) -> dict:
    tb = (await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["finance"])).json()
    assert tb["balanced"], tb
    return {a["account"]: a["balance_fen"] for a in tb["accounts"]}


async def test_a_year_paid_ahead_settles_each_month_as_it_is_billed(site, db):
    s = site
    home = s["units"][0]  # 100 m² at ¥1.00 → ¥100.00 a month
    await fee(s, rate="100")
    await late_fees_on(s)
    prepaid = await pay(s, home, 12 * 10_000)
    assert prepaid["credit_fen"] == 120_000 and (await account(s, home))["credit_fen"] == 120_000
    credit = []
    for period, late_day in (("2026-10", "2026-10-31"), ("2026-11", "2026-11-30"), ("2026-12", "2026-12-31")):
        await run(s, period)
        result = await day(s, late_day)  # after the due date: dunning and late fees act on the others
        assert result["late_fees_fen"] > 0 and result["dunning_notices"] > 0
        acct = await account(s, home)
        assert acct["open_invoices"] == [] and acct["balance_fen"] == -acct["credit_fen"]
        credit.append(acct["credit_fen"])
    assert credit == [110_000, 100_000, 90_000]  # falls month by month
    billed = await invoices(s, home)
    assert [i["state"] for i in billed] == ["paid"] * 3
    one = (await s["billing"].get(f"/v1/invoices/{billed[0]['id']}", headers=s["finance"])).json()
    assert [(a["kind"], a["payment_id"], a["amount_fen"]) for a in one["allocations"]] == [
        ("credit", None, 10_000)
    ]
    notices = await events(db, "billing.dunning.stage")
    assert notices and not [n for n in notices if n["unit_id"] == home["id"]]  # the others are dunned
    assert (await db("SELECT count(*) FROM billing.late_fee WHERE unit_id = :u", u=home["id"]))[0][0] == 0
    by = await balanced(s)
    assert by["2203"] == -90_000  # the credit left, a liability
    other = s["units"][1]  # a unit that paid nothing is dunned and charged as before
    assert (await account(s, other))["balance_fen"] > 0


async def test_a_late_fee_is_an_invoice_that_can_be_paid_off_or_waived(site, db):
    s = site
    home, other = s["units"][0], s["units"][1]
    await fee(s, rate="100")
    await run(s, "2026-11")  # due 2026-11-15
    await late_fees_on(s, daily_rate="0.01")
    await day(s, "2026-11-16")
    await day(s, "2026-11-17")
    late = await invoices(s, home, period="2026-11")
    late = [i for i in late if i["source_kind"] == "late_fee"]
    assert len(late) == 1 and late[0]["total_fen"] == 200 and late[0]["state"] == "issued"
    assert late[0]["number"].startswith("INV-202611-")
    detail = (await s["billing"].get(f"/v1/invoices/{late[0]['id']}", headers=s["finance"])).json()
    assert [ln["amount_fen"] for ln in detail["lines"]] == [100, 100]
    assert all("滞纳金" in ln["description"] for ln in detail["lines"])
    paid = await pay(s, home, 10_000 + 200)  # the fee and the late fee, oldest first
    assert paid["credit_fen"] == 0 and sum(a["amount_fen"] for a in paid["allocations"]) == 10_200
    acct = await account(s, home)
    assert acct["balance_fen"] == 0 and acct["open_invoices"] == [] and acct["credit_fen"] == 0
    # the other unit's late fees: waived by a manager with a reason, not by finance
    await day(s, "2026-11-18")
    theirs = [i for i in await invoices(s, other) if i["source_kind"] == "late_fee"]
    assert len(theirs) == 1 and theirs[0]["total_fen"] == 3 * 119
    url = f"/v1/invoices/{theirs[0]['id']}/waive"
    assert (
        await s["billing"].post(url, headers=s["finance"], json={"reason": "物业原因"})
    ).status_code == 403
    assert (await s["billing"].post(url, headers=s["manager"], json={})).status_code == 422
    waived = await s["billing"].post(url, headers=s["manager"], json={"reason": "停水期间不计滞纳金"})
    assert waived.status_code == 200, waived.text
    assert waived.json()["state"] == "waived" and waived.json()["allocations"][0]["kind"] == "waiver"
    again = await s["billing"].post(url, headers=s["manager"], json={"reason": "again"})
    assert again.status_code == 409
    principal = next(i for i in await invoices(s, other) if i["source_kind"] == "periodic")
    no = await s["billing"].post(
        f"/v1/invoices/{principal['id']}/waive", headers=s["manager"], json={"reason": "x"}
    )
    assert no.status_code == 409  # only a late fee can be waived
    assert (await account(s, other))["balance_fen"] == 11_850  # the fee itself is still owed
    # the next day's late fee opens a new late-fee invoice; none is charged on a late fee
    await day(s, "2026-11-19")
    open_late = [
        i for i in await invoices(s, other) if i["source_kind"] == "late_fee" and i["state"] == "issued"
    ]
    assert len(open_late) == 1 and open_late[0]["total_fen"] == 119
    by = await balanced(s)
    receivable = await db(
        "SELECT coalesce(sum(total_fen - paid_fen - written_off_fen), 0) FROM billing.invoice"
        " WHERE estate_id = :e AND state IN ('issued', 'partially_paid')",
        e=s["eid"],
    )
    assert by["1122"] == receivable[0][0]  # receivables are exactly the open invoices
    assert by["630101"] == -(200 + 3 * 119 - 3 * 119 + 119 + 89 * 4)


async def test_a_refund_settles_overdue_invoices_first(site, db):
    s = site
    home, other = s["units"][0], s["units"][1]
    await fee(s, rate="100")
    await run(s, "2026-11")  # due 2026-11-15: overdue now
    await run(s, "2026-12")  # due 2026-12-15

    async def credit_beside_overdue(unit, amount: int) -> tuple[dict, dict]:
        """A payment aimed at December leaves credit while November stays overdue."""
        nov, dec = sorted(await invoices(s, unit), key=lambda i: i["period"])
        await pay(s, unit, amount, invoice_ids=[dec["id"]])
        return nov, dec

    nov, _ = await credit_beside_overdue(home, 25_000)  # ¥100 to December, ¥150 credit
    assert (await account(s, home))["credit_fen"] == 15_000
    url = f"/v1/units/{home['id']}/refunds"
    body = {"channel": "bank_transfer", "reason": "业主要求退款"}
    refused = await s["billing"].post(url, headers=s["finance"], json={**body, "amount_fen": 6_000})
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["credit_fen"] == 5_000 and problem["overdue_settled_fen"] == 10_000
    zh = await s["billing"].post(
        url, headers={**s["finance"], "Accept-Language": "zh-CN"}, json={**body, "amount_fen": 6_000}
    )
    assert "逾期账单" in zh.json()["detail"]
    assert (await account(s, home))["credit_fen"] == 15_000  # a refusal changes nothing
    done = await s["billing"].post(url, headers=s["finance"], json={**body, "amount_fen": 5_000})
    assert done.status_code == 200, done.text
    acct = await account(s, home)
    assert acct["credit_fen"] == 0 and acct["balance_fen"] == 0 and acct["open_invoices"] == []
    settled = (await s["billing"].get(f"/v1/invoices/{nov['id']}", headers=s["finance"])).json()
    assert settled["state"] == "paid" and settled["allocations"][0]["kind"] == "credit"
    # finance may keep the overdue invoice open, with a reason that stays in the journal
    nov2, _ = await credit_beside_overdue(other, 15_000)  # ¥118.50 to December, ¥31.50 credit
    kept = await s["billing"].post(
        f"/v1/units/{other['id']}/refunds",
        headers=s["finance"],
        json={**body, "amount_fen": 3_150, "overdue_override_reason": "该欠费有争议，另行处理"},
    )
    assert kept.status_code == 200, kept.text
    assert (await account(s, other))["open_invoices"][0]["id"] == nov2["id"]
    memo = await db("SELECT memo FROM billing.journal_entry WHERE id = :i", i=kept.json()["entry_id"])
    assert "该欠费有争议" in memo[0][0]
    await balanced(s)


async def test_a_reversed_payment_takes_back_the_credit_it_left(site):
    s = site
    home = s["units"][0]
    await fee(s, rate="100")
    ahead = await pay(s, home, 30_000)  # three months ahead
    await run(s, "2026-11")
    await run(s, "2026-12")
    assert (await account(s, home))["credit_fen"] == 10_000
    r = await s["billing"].post(
        f"/v1/payments/{ahead['id']}/reverse", headers=s["finance"], json={"reason": "退票 bounced"}
    )
    assert r.status_code == 200, r.text
    acct = await account(s, home)  # the credit that paid both months is gone: both are owed again
    assert acct["credit_fen"] == 0 and acct["balance_fen"] == 20_000
    assert sorted(i["state"] for i in acct["open_invoices"]) == ["issued", "issued"]
    by = await balanced(s)
    assert by["1122"] == 20_000 + 11_850 * 2 + 8_900 * 2 and by.get("2203", 0) == 0
    technician = token("technician", estates=[s["eid"]])
    assert (await s["billing"].get(f"/v1/units/{home['id']}/account", headers=technician)).status_code == 403
