"""Issue 18, item 4: revenue per fee category and cash per channel, in a chart of accounts each estate can
change (names as in 企业会计准则 practice); the trial balance and the revenue report by account."""

from __future__ import annotations

from propdesk.common.testing.helpers import token
from propdesk.common.timeutil import to_local, utcnow

from .conftest import fee, run


async def balances(s) -> dict[str, int]:
    tb = (await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["finance"])).json()
    assert tb["balanced"], tb
    return {a["account"]: a["balance_fen"] for a in tb["accounts"]}


async def pay(s, unit, amount: int, channel: str) -> dict:
    r = await s["billing"].post(
        f"/v1/units/{unit['id']}/payments",
        headers=s["finance"],
        json={"amount_fen": amount, "channel": channel},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_revenue_per_fee_category_and_cash_per_channel(site):
    s = site
    b = s["billing"]
    chart = (await b.get(f"/v1/estates/{s['eid']}/ledger-accounts", headers=s["finance"])).json()
    by_purpose = {a["purpose"]: (a["code"], a["name_zh"]) for a in chart if a["purpose"]}
    assert by_purpose["revenue:property_fee"] == ("600101", "主营业务收入—物业服务费")
    assert by_purpose["revenue:parking"] == ("600102", "主营业务收入—停车服务费")
    assert by_purpose["cash:wechat"] == ("101201", "其他货币资金—微信支付")
    assert by_purpose["cash:alipay"][0] == "101202" and by_purpose["cash:bank_transfer"][0] == "1002"
    await fee(s, rate="100")  # property fee: ¥1.00/m²
    parking = await fee(s, code="CAR", name="车位管理费", basis="fixed", rate="6000", category="parking")
    assert parking["category"] == "parking"
    await run(s, "2026-11")
    by = await balances(s)
    homes = 100 + 118.5 + 89
    assert by["600101"] == -round(homes * 100) and by["600102"] == -3 * 6000
    for unit, channel in zip(s["units"][:3], ("wechat", "alipay", "card"), strict=True):
        await pay(s, unit, 1_000, channel)
    cash = await pay(s, s["units"][0], 500, "cash")
    by = await balances(s)
    assert (by["101201"], by["101202"], by["101203"], by["1001"]) == (1_000, 1_000, 1_000, 500)
    report = (
        await b.get(
            f"/v1/estates/{s['eid']}/reports/revenue-by-account",
            headers=s["finance"],
            params={"period": f"{to_local(utcnow()):%Y-%m}"},  # posted this month,
        )
    ).json()
    assert {r["account"]: r["revenue_fen"] for r in report} == {
        "600101": round(homes * 100),
        "600102": 18_000,
    }
    assert {r["account"]: r["name_zh"] for r in report}["600102"] == "主营业务收入—停车服务费"

    # the estate rents spaces out instead: a new account takes parking revenue from now on
    url = f"/v1/estates/{s['eid']}/ledger-accounts/600105"
    body = {"name_zh": "主营业务收入—车位租赁", "name_en": "Revenue — space rental", "kind": "revenue"}
    assert (
        await b.put(url, headers=s["finance"], json={**body, "purpose": "cash:wechat"})
    ).status_code == 422
    saved = await b.put(url, headers=s["finance"], json={**body, "purpose": "revenue:parking"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["purpose"] == "revenue:parking" and saved.json()["updated_by"]
    fixed = await b.put(
        f"/v1/estates/{s['eid']}/ledger-accounts/1122",
        headers=s["finance"],
        json={"name_zh": "x", "name_en": "x", "kind": "revenue", "purpose": "revenue:fine"},
    )
    assert fixed.status_code == 422
    desk = await b.put(url, headers=token("receptionist", estates=[s["eid"]]), json=body)
    assert desk.status_code == 403
    await run(s, "2026-12")
    by = await balances(s)
    assert by["600105"] == -18_000 and by["600102"] == -18_000  # November's stays where it was posted
    chart = (await b.get(f"/v1/estates/{s['eid']}/ledger-accounts", headers=s["finance"])).json()
    assert [a["code"] for a in chart if a["purpose"] == "revenue:parking"] == ["600105"]

    # money taken by WeChat Pay goes to the bank account from now on; reversing an earlier cash payment takes
    # it out of the account it went into
    moved = await b.put(
        f"/v1/estates/{s['eid']}/ledger-accounts/1001",
        headers=s["finance"],
        json={"name_zh": "库存现金", "name_en": "Cash on hand", "kind": "asset", "purpose": None},
    )
    assert moved.status_code == 200
    r = await b.put(
        f"/v1/estates/{s['eid']}/ledger-accounts/100201",
        headers=s["finance"],
        json={
            "name_zh": "银行存款—前台备用金",
            "name_en": "Bank — desk float",
            "kind": "asset",
            "purpose": "cash:cash",
        },
    )
    assert r.status_code == 200
    await pay(s, s["units"][1], 700, "cash")
    reversed_ = await b.post(
        f"/v1/payments/{cash['id']}/reverse", headers=s["finance"], json={"reason": "录错"}
    )
    assert reversed_.status_code == 200, reversed_.text
    by = await balances(s)
    assert by["1001"] == 0 and by["100201"] == 700
