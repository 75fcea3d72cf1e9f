"""Bank reconciliation: CSV (with a column mapping), MT940 and CAMT.053 imports, each matching rule with its
explanation, duplicates skipped, manual match and undo (the payment reversed), closing a day."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import fee, run

HERE = Path(__file__).parent
MAPPING = json.dumps(
    {"date": "交易日期", "amount": "金额", "reference": "流水号", "name": "对方户名", "memo": "摘要"}
)


def csv_statement(rows: list[tuple]) -> bytes:
    head = "交易日期,金额,流水号,对方户名,摘要\n"
    return (head + "".join(",".join(str(c) for c in r) + "\n" for r in rows)).encode()


async def invoices_by_unit(s) -> dict[str, dict]:
    items = (await s["billing"].get(f"/v1/estates/{s['eid']}/invoices", headers=s["finance"])).json()["items"]
    return {i["unit_id"]: i for i in items}


async def import_(s, fmt: str, body: bytes, mapping: str | None = MAPPING):
    params = {"format": fmt, **({"mapping": mapping} if mapping and fmt == "csv" else {})}
    return await s["billing"].post(
        f"/v1/estates/{s['eid']}/bank-statements",
        headers={**s["finance"], "content-type": "text/plain"},
        params=params,
        content=body,
    )


async def lines(s, **params) -> list[dict]:
    return (
        await s["billing"].get(f"/v1/estates/{s['eid']}/statement-lines", headers=s["finance"], params=params)
    ).json()["items"]


async def test_each_rule_matches_and_explains_itself(site):
    s = site
    await fee(s)
    await run(s, "2026-12")
    inv = await invoices_by_unit(s)
    home0, home1, home2 = (s["units"][i]["id"] for i in range(3))
    body = csv_statement(
        [
            (
                "2026-12-02",
                "296.25",
                "B-1",
                "张三",
                f"物业费 {inv[home1]['number']}",
            ),  # rule 1: the invoice number
            ("2026-12-02", "222.50", "B-2", "李四", "a1 0301 物业费"),  # rule 2: the unit, spacing ignored
            (
                "2026-12-02",
                "250.00",
                "B-3",
                "王建国",
                "缴费",
            ),  # rule 3: the payer's name and what the unit owes
            ("2026-12-02", "123.45", "B-4", "陌生人", "转账"),  # nothing fits
            ("2026-12-02", "-10.00", "B-5", "", "手续费"),  # a debit: not ours to match
        ]
    )
    r = await import_(s, "csv", body)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("lines", "credits", "new", "matched", "unmatched")} == {
        "lines": 5,
        "credits": 4,
        "new": 4,
        "matched": 3,
        "unmatched": 1,
    }
    got = {x["bank_reference"]: x for x in await lines(s)}
    assert (got["B-1"]["rule"], got["B-1"]["unit_id"], got["B-1"]["explanation"]["matched"]) == (
        "reference",
        home1,
        inv[home1]["number"],
    )
    assert (got["B-2"]["rule"], got["B-2"]["unit_id"], got["B-2"]["explanation"]["matched"]) == (
        "tokens",
        home2,
        "A1-0301",
    )
    assert (got["B-3"]["rule"], got["B-3"]["unit_id"], got["B-3"]["explanation"]["matched"]) == (
        "payer",
        home0,
        "王建国",
    )
    assert got["B-4"]["state"] == "unmatched"
    after = await invoices_by_unit(s)
    assert [after[u]["state"] for u in (home0, home1, home2)] == ["paid", "paid", "paid"]
    again = await import_(s, "csv", body)
    assert (again.json()["new"], again.json()["duplicates"]) == (0, 4)  # imported once
    assert len(await lines(s)) == 4


async def test_mt940_and_camt053_and_the_amount_rule(site):
    s = site
    await fee(s)
    await run(s, "2026-12")
    r = await import_(s, "mt940", (HERE / "statement.mt940").read_bytes())
    assert r.status_code == 200, r.text
    assert (r.json()["credits"], r.json()["matched"]) == (1, 1)  # the debit (a bank fee) is not ours
    r = await import_(s, "camt053", (HERE / "statement.camt053.xml").read_bytes())
    assert (r.json()["credits"], r.json()["matched"]) == (1, 1)
    by_ref = {x["bank_reference"]: x for x in await lines(s)}
    assert (
        by_ref["BANKREF001"]["unit_id"] == s["units"][1]["id"]
        and by_ref["CAMT-1"]["unit_id"] == s["units"][2]["id"]
    )
    # only one unit still owes exactly ¥250: the amount alone is enough
    body = csv_statement([("2026-12-03", "250.00", "B-9", "某公司", "代缴")])
    await import_(s, "csv", body)
    line = next(x for x in await lines(s) if x["bank_reference"] == "B-9")
    assert (line["rule"], line["unit_id"], float(line["score"])) == ("amount", s["units"][0]["id"], 0.6)
    bad = await import_(s, "mt940", b"this is not a statement")
    assert bad.status_code == 422
    again = await import_(s, "csv", body, mapping=None)  # no mapping: its usual column names are recognised
    assert again.status_code == 200 and again.json()["matched"] == 0  # and B-9 is not imported twice
    assert (await import_(s, "csv", body, mapping=json.dumps({"date": "日期"}))).status_code == 422


async def test_manual_match_undo_and_closing_a_day(site):
    s = site
    await fee(s)
    await run(s, "2026-12")
    await import_(s, "csv", csv_statement([("2026-12-04", "100.00", "B-20", "陌生人", "转账")]))
    (line,) = await lines(s, state="unmatched")
    close = f"/v1/estates/{s['eid']}/reconciliation-days/2026-12-04/close"
    r = await s["billing"].post(close, headers=s["finance"])
    assert r.status_code == 409 and r.json()["unmatched"] == 1
    candidates = (
        await s["billing"].get(f"/v1/statement-lines/{line['id']}/candidates", headers=s["finance"])
    ).json()
    assert candidates == []  # nothing to suggest
    home = s["units"][0]
    r = await s["billing"].post(
        f"/v1/statement-lines/{line['id']}/match", headers=s["finance"], json={"unit_id": home["id"]}
    )
    assert r.status_code == 200 and (r.json()["rule"], r.json()["unit_id"]) == ("manual", home["id"])
    assert (await invoices_by_unit(s))[home["id"]]["paid_fen"] == 10_000
    r = await s["billing"].post(f"/v1/statement-lines/{line['id']}/unmatch", headers=s["finance"])
    assert r.json()["state"] == "unmatched"
    assert (await invoices_by_unit(s))[home["id"]]["paid_fen"] == 0  # the payment was reversed, not edited
    tb = (await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["finance"])).json()
    assert tb["balanced"] and {a["account"]: a["balance_fen"] for a in tb["accounts"]}["1002"] == 0
    await s["billing"].post(
        f"/v1/statement-lines/{line['id']}/match", headers=s["finance"], json={"unit_id": home["id"]}
    )
    r = await s["billing"].post(close, headers=s["finance"])
    assert r.status_code == 200, r.text
    assert (await s["billing"].post(close, headers=s["finance"])).status_code == 409  # closed once
    assert (
        await s["billing"].post(f"/v1/statement-lines/{line['id']}/unmatch", headers=s["finance"])
    ).status_code == 409
    report = (
        await s["billing"].get(f"/v1/estates/{s['eid']}/reconciliation-report", headers=s["finance"])
    ).json()
    assert report == [
        {
            "day": "2026-12-04",
            "lines": 1,
            "amount_fen": 10_000,
            "matched": {"manual": 1},
            "unmatched": 0,
            "closed": True,
        }
    ]
    assert (await s["billing"].post(close, headers=s["me"])).status_code == 403
    base = f"/v1/estates/{s['eid']}/reports/reconciliation"
    rows = (await s["billing"].get(base, headers=s["finance"])).json()
    assert rows == [
        {
            "day": "2026-12-04",
            "lines": 1,
            "amount_fen": 10_000,
            "unmatched": 0,
            "closed": True,
            "matched": 1,
            "matched_reference": 0,
            "matched_tokens": 0,
            "matched_payer": 0,
            "matched_amount": 0,
            "matched_manual": 1,
        }
    ]
    csv_ = await s["billing"].get(base + "/export", headers=s["finance"], params={"format": "csv"})
    assert csv_.status_code == 200 and "matched_manual" in csv_.text.splitlines()[0]
    xlsx = await s["billing"].get(base + "/export", headers=s["finance"], params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def all_invoices(s) -> dict[str, list[dict]]:
    items = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"limit": 100}
        )
    ).json()["items"]
    out: dict[str, list[dict]] = {}
    for i in sorted(items, key=lambda x: x["number"]):
        out.setdefault(i["unit_id"], []).append(i)
    return out


async def test_split_lines_several_invoices_and_the_tolerance_write_off(site):
    s = site
    await fee(s)
    await run(s, "2026-11")
    await run(s, "2026-12")  # each home owes two months: 250.00, 296.25, 222.50 a month
    url = f"/v1/estates/{s['eid']}/billing-policy"
    policy = (await s["billing"].get(url, headers=s["finance"])).json()
    assert policy["reconciliation_tolerance_fen"] == 0  # nothing is written off unless finance says so
    policy["reconciliation_tolerance_fen"] = 100
    assert (await s["billing"].put(url, headers=s["finance"], json=policy)).status_code == 200
    home0, home1, home2 = (s["units"][i]["id"] for i in range(3))
    inv = await all_invoices(s)
    body = csv_statement(
        [
            # one transfer for two flats, 0.80 short of what they owe together (a bank fee)
            ("2026-12-05", "1091.70", "S-1", "王建国", "A1-0101 A1-0201 两户物业费"),
            # one transfer naming both of a home's invoices
            ("2026-12-05", "445.00", "S-2", "李四", f"{inv[home2][0]['number']} {inv[home2][1]['number']}"),
        ]
    )
    r = await import_(s, "csv", body)
    assert (r.status_code, r.json()["matched"]) == (200, 2), r.text
    got = {x["bank_reference"]: x for x in await lines(s)}
    split = got["S-1"]["explanation"]
    assert split["split"] is True and split["rule"] == "reference"
    assert [(p["unit_id"], p["amount_fen"]) for p in split["payments"]] == [(home0, 50_000), (home1, 59_170)]
    assert split["payments"][1]["written_off"] == [{"invoice_id": inv[home1][1]["id"], "amount_fen": 80}]
    assert all(p["receipt_number"].startswith("RCP-") for p in split["payments"])
    assert [len(p["allocated"]) for p in got["S-2"]["explanation"]["payments"]] == [2]
    after = await all_invoices(s)
    assert [i["state"] for u in (home0, home1, home2) for i in after[u]] == ["paid"] * 6
    assert [i["written_off_fen"] for i in after[home1]] == [0, 80]
    tb = (await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["finance"])).json()
    balances = {a["account"]: a["balance_fen"] for a in tb["accounts"]}
    assert tb["balanced"] and balances["6602"] == 80 and balances["1002"] == 109_170 + 44_500

    # undo the split line: both its payments, and the write-off, are reversed
    r = await s["billing"].post(f"/v1/statement-lines/{got['S-1']['id']}/unmatch", headers=s["finance"])
    assert r.status_code == 200 and len(r.json()["explanation"]["reversed"]) == 2
    after = await all_invoices(s)
    assert [(i["state"], i["paid_fen"], i["written_off_fen"]) for u in (home0, home1) for i in after[u]] == [
        ("issued", 0, 0)
    ] * 4
    tb = (await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["finance"])).json()
    balances = {a["account"]: a["balance_fen"] for a in tb["accounts"]}
    assert tb["balanced"] and balances["6602"] == 0 and balances["1002"] == 44_500

    # short by more than the tolerance: a partial payment, nothing written off
    await import_(s, "csv", csv_statement([("2026-12-06", "100.00", "S-3", "", "A1-0101")]))
    after = await all_invoices(s)
    assert [(i["state"], i["paid_fen"], i["written_off_fen"]) for i in after[home0]] == [
        ("partially_paid", 10_000, 0),
        ("issued", 0, 0),
    ]
    # two flats named and an amount that settles neither exactly: a person decides
    await import_(s, "csv", csv_statement([("2026-12-06", "300.00", "S-4", "", "A1-0101 A1-0201")]))
    line = next(x for x in await lines(s) if x["bank_reference"] == "S-4")
    assert line["state"] == "unmatched" and line["explanation"]["ambiguous"] == "reference"
