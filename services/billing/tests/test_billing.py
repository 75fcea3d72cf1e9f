"""billing against real PostgreSQL and NATS: idempotent monthly runs, payments allocated oldest first with
credit, idempotent payments, the ledger that always balances (a property-based test with hypothesis and the
database's own guard), charges from repairs as invoice lines, access and bad input."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from propdesk.common.contracts.repairs import ChargeLine, ChargeRaised
from propdesk.common.testing.helpers import emit, running_service, token, wait_until
from propdesk.common.timeutil import to_local, utcnow
from propdesk.repairs.main import SERVICE as REPAIRS

from .conftest import events, fee, run


async def account(s, unit, headers=None) -> dict:
    r = await s["billing"].get(f"/v1/units/{unit['id']}/account", headers=headers or s["finance"])
    assert r.status_code == 200, r.text
    return r.json()


async def balanced(s) -> dict:
    tb = (await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["finance"])).json()
    assert tb["balanced"] and tb["debit_fen"] == tb["credit_fen"], tb
    return tb


class TestRuns:
    async def test_a_monthly_run_bills_each_unit_once_at_its_rate(self, site, db):
        s = site
        await fee(s)
        await fee(s, code="SHOP", name="商铺物业费", unit_kind="shop", rate="500")
        await fee(
            s, code="OLD", name="旧费率", rate="100", effective_from="2025-01-01", effective_to="2025-12-31"
        )  # not in force
        first = await run(s, "2026-12")
        assert (first["new_invoices"], first["invoices"]) == (4, 4)
        # 100 m² × 2.50, 118.5 × 2.50 = 296.25 → 29,625 fen, 89 × 2.50, shop 75.5 × 5.00
        assert first["total_fen"] == 25_000 + 29_625 + 22_250 + 37_750
        again = await run(s, "2026-12")
        assert (again["new_invoices"], again["invoices"], again["total_fen"]) == (0, 4, first["total_fen"])
        assert len(await events(db, "billing.invoice.issued")) == 4
        tb = await balanced(s)
        receivable = next(a for a in tb["accounts"] if a["account"] == "1122")
        assert receivable["balance_fen"] == first["total_fen"]
        invoices = (
            await s["billing"].get(
                f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"period": "2026-12"}
            )
        ).json()["items"]
        home = next(i for i in invoices if i["unit_id"] == s["units"][1]["id"])
        detail = (await s["billing"].get(f"/v1/invoices/{home['id']}", headers=s["finance"])).json()
        assert [(line["description"], line["amount_fen"]) for line in detail["lines"]] == [
            ("物业服务费 2026-12", 29_625)
        ]
        assert home["number"].startswith("INV-") and home["state"] == "issued"
        for bad in ({"period": "2026-13"}, {"period": "202612"}, {"period": "2026-12", "x": 1}):
            r = await s["billing"].post(
                f"/v1/estates/{s['eid']}/billing-runs", headers=s["finance"], json=bad
            )
            assert r.status_code == 422, bad

    async def test_a_parking_space_pays_its_fixed_monthly_fee(self, site, db):
        s = site
        building = (await db("SELECT building_id FROM billing.unit LIMIT 1"))[0][0]
        r = await s["intake"].post(
            f"/v1/estates/{s['eid']}/units",
            headers=s["manager"],
            json={
                "building_id": str(building),
                "number": "P-001",
                "floor": -1,
                "area_m2": "12.5",
                "kind": "parking",
            },
        )
        assert r.status_code == 201, r.text

        async def known():
            return (await db("SELECT count(*) FROM billing.unit WHERE kind = 'parking'"))[0][0] == 1

        await wait_until(known, message="billing to know the parking space")
        await fee(s, code="PARK", name="车位管理费", basis="fixed", unit_kind="parking", rate="15000")
        result = await run(s, "2026-12")
        assert (result["new_invoices"], result["total_fen"]) == (
            1,
            15_000,
        )  # only the space: no other fee yet


class TestPayments:
    async def test_oldest_first_partial_then_credit_and_idempotent(self, site, db):
        s = site
        await fee(s)
        await run(s, "2026-11")
        await run(s, "2026-12")
        home = s["units"][0]
        url = f"/v1/units/{home['id']}/payments"
        r = await s["billing"].post(
            url,
            headers={**s["finance"], "Idempotency-Key": "p-1"},
            json={"amount_fen": 30_000, "channel": "wechat"},
        )
        assert r.status_code == 201, r.text
        pay1 = r.json()
        assert pay1["receipt_number"].startswith("RCP-") and pay1["credit_fen"] == 0
        assert [a["amount_fen"] for a in pay1["allocations"]] == [
            25_000,
            5_000,
        ]  # November first, then December
        replay = await s["billing"].post(
            url,
            headers={**s["finance"], "Idempotency-Key": "p-1"},
            json={"amount_fen": 30_000, "channel": "wechat"},
        )
        assert replay.json()["id"] == pay1["id"] and replay.headers.get("idempotent-replayed") == "true"
        other = await s["billing"].post(
            url, headers={**s["finance"], "Idempotency-Key": "p-1"}, json={"amount_fen": 1, "channel": "cash"}
        )
        assert other.status_code in (409, 422)
        acct = await account(s, home)
        assert acct["balance_fen"] == 50_000 - 30_000 and [i["state"] for i in acct["open_invoices"]] == [
            "partially_paid"
        ]
        r = await s["billing"].post(url, headers=s["finance"], json={"amount_fen": 30_000, "channel": "cash"})
        assert (r.json()["credit_fen"], [a["amount_fen"] for a in r.json()["allocations"]]) == (
            10_000,
            [20_000],
        )
        acct = await account(s, home)
        assert acct["balance_fen"] == -10_000 and acct["open_invoices"] == []  # a credit of ¥100
        assert len(acct["payments"]) == 2
        tb = await balanced(s)
        by = {a["account"]: a for a in tb["accounts"]}
        assert (
            by["101201"]["balance_fen"] == 30_000
            and by["1001"]["balance_fen"] == 30_000
            and by["2203"]["balance_fen"] == -10_000
        )

    async def test_bad_payments_are_refused_and_post_nothing(self, site, db):
        s = site
        await fee(s)
        await run(s, "2026-12")
        home, other = s["units"][0], s["units"][1]
        url = f"/v1/units/{home['id']}/payments"
        for body in (
            {"amount_fen": 0, "channel": "cash"},
            {"amount_fen": -5, "channel": "cash"},
            {"amount_fen": 100, "channel": "bitcoin"},
            {"amount_fen": 1.5, "channel": "cash"},
        ):
            assert (await s["billing"].post(url, headers=s["finance"], json=body)).status_code == 422, body
        theirs = (
            await s["billing"].get(
                f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"unit_id": other["id"]}
            )
        ).json()["items"][0]
        r = await s["billing"].post(
            url,
            headers=s["finance"],
            json={"amount_fen": 100, "channel": "cash", "invoice_ids": [theirs["id"]]},
        )
        assert r.status_code == 422
        mine = (await account(s, home))["open_invoices"][0]
        await s["billing"].post(url, headers=s["finance"], json={"amount_fen": 25_000, "channel": "cash"})
        r = await s["billing"].post(
            url,
            headers=s["finance"],
            json={"amount_fen": 100, "channel": "cash", "invoice_ids": [mine["id"]]},
        )
        assert r.status_code == 409 and r.json()["invoices"] == [mine["number"]]  # paid already
        assert len(await db("SELECT 1 FROM billing.payment")) == 1
        await balanced(s)

    async def test_residents_see_their_own_account_only(self, site):
        s = site
        await fee(s)
        await run(s, "2026-12")
        mine = (await s["billing"].get(f"/v1/estates/{s['eid']}/invoices", headers=s["me"])).json()["items"]
        assert [i["unit_id"] for i in mine] == [s["units"][0]["id"]]
        assert (await account(s, s["units"][0], headers=s["me"]))["balance_fen"] == 25_000
        r = await s["billing"].get(f"/v1/units/{s['units'][1]['id']}/account", headers=s["me"])
        assert r.status_code == 403
        tech = token("technician", estates=[s["eid"]])
        assert (await s["billing"].get(f"/v1/estates/{s['eid']}/invoices", headers=tech)).status_code == 403
        assert (
            await s["billing"].post(
                f"/v1/units/{s['units'][0]['id']}/payments",
                headers=s["me"],
                json={"amount_fen": 1, "channel": "cash"},
            )
        ).status_code == 403
        assert (
            await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["me"])
        ).status_code == 403


class TestLedger:
    async def test_the_database_refuses_an_unbalanced_or_edited_entry(self, site, db):
        s = site
        await fee(s)
        await run(s, "2026-12")
        entry = await db("SELECT id, estate_id FROM billing.journal_entry LIMIT 1")
        eid, estate = entry[0]
        for sql in (
            "INSERT INTO billing.journal_line (id, entry_id, estate_id, account, debit_fen, credit_fen) VALUES (gen_random_uuid(), :e, :s, '1001', 100, 0)",
            "UPDATE billing.journal_line SET debit_fen = debit_fen + 1 WHERE entry_id = :e AND debit_fen > 0",
            "DELETE FROM billing.journal_line WHERE entry_id = :e",
            "UPDATE billing.journal_entry SET memo = 'x' WHERE id = :e",
        ):
            try:
                await db(sql, e=eid, s=estate)
            except Exception as exc:
                assert "does not balance" in str(exc) or "never change" in str(exc), str(exc)
            else:
                raise AssertionError(f"the database accepted: {sql}")
        await balanced(s)

    async def test_a_trial_balance_per_period_carries_its_opening_balance(self, site, db):
        s = site
        await fee(s)
        await run(s, "2026-12")  # posted now
        now = to_local(utcnow())
        this = f"{now:%Y-%m}"
        # an earlier month's history (a unit's advance payment), written as any entry is: balanced, in one go
        await db(
            """
            WITH e AS (INSERT INTO billing.journal_entry (id, estate_id, posted_at, memo, source_kind)
                       VALUES (gen_random_uuid(), :estate, '2026-10-15T02:00:00Z', 'advance', 'payment') RETURNING id)
            INSERT INTO billing.journal_line (id, entry_id, estate_id, account, debit_fen, credit_fen)
            SELECT gen_random_uuid(), e.id, :estate, x.a, x.d, x.c FROM e,
                   (VALUES ('1002', 5000::bigint, 0::bigint), ('2203', 0, 5000)) AS x(a, d, c)
            """,
            estate=s["eid"],
        )
        url = f"/v1/estates/{s['eid']}/trial-balance"

        async def tb(period):
            r = await s["billing"].get(url, headers=s["finance"], params={"period": period} if period else {})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["balanced"] and body["debit_fen"] == body["credit_fen"]
            return {
                a["account"]: (a["opening_fen"], a["debit_fen"], a["credit_fen"], a["balance_fen"])
                for a in body["accounts"]
            }

        assert await tb("2026-09") == {}
        assert await tb("2026-10") == {"1002": (0, 5000, 0, 5000), "2203": (0, 0, 5000, -5000)}
        billed = 25_000 + 29_625 + 22_250
        now_ = await tb(this)
        assert now_["1002"] == (5000, 0, 0, 5000) and now_["2203"] == (-5000, 0, 0, -5000)
        assert now_["1122"] == (0, billed, 0, billed) and now_["600101"] == (0, 0, billed, -billed)
        everything = await tb(None)
        assert everything["1122"] == (0, billed, 0, billed) and everything["1002"] == (0, 5000, 0, 5000)
        bad = await s["billing"].get(url, headers=s["finance"], params={"period": "2026-13"})
        assert bad.status_code == 422

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        steps=st.lists(
            st.one_of(
                st.tuples(
                    st.just("pay"),
                    st.integers(0, 3),
                    st.integers(1, 60_000),
                    st.sampled_from(["cash", "wechat", "bank_transfer"]),
                ),
                st.tuples(
                    st.just("run"),
                    st.sampled_from(["2026-10", "2026-11", "2026-12", "2027-01"]),
                    st.just(0),
                    st.just(""),
                ),
                st.tuples(  # a day of late fees and dunning
                    st.just("day"),
                    st.sampled_from(["2026-11-20", "2026-12-20", "2027-01-20", "2027-02-20"]),
                    st.just(0),
                    st.just(""),
                ),
                st.tuples(st.just("refund"), st.integers(0, 3), st.integers(1, 30_000), st.just("cash")),
                st.tuples(st.just("waive"), st.integers(0, 3), st.just(0), st.just("")),
                st.tuples(st.just("reverse"), st.integers(0, 50), st.just(0), st.just("")),
            ),
            min_size=1,
            max_size=10,
        )
    )
    async def test_the_ledger_balances_whatever_happens(self, site, steps):
        """Payments, runs with credit applied, late-fee invoices, refunds (settling overdue invoices
        first), waivers and reversals in any order: the ledger balances, receivables are exactly the open
        invoices, each unit's credit is never negative and never sits beside an invoice it could pay, and
        cash is what came in less what went back."""
        s = site
        b = s["billing"]
        if not (await b.get(f"/v1/estates/{s['eid']}/fee-items", headers=s["finance"])).json():
            await fee(s)
            await fee(s, code="SHOP", unit_kind="shop", rate="333.3333")
            url = f"/v1/estates/{s['eid']}/billing-policy"
            policy = (await b.get(url, headers=s["finance"])).json()
            policy.update({"late_fee_enabled": True, "grace_days": 0, "daily_rate": "0.01"})
            assert (await b.put(url, headers=s["finance"], json=policy)).status_code == 200
        for kind, a, n, channel in steps:
            if kind == "run":
                await run(s, a)
            elif kind == "day":
                r = await b.post(f"/v1/estates/{s['eid']}/billing-days/{a}/run", headers=s["finance"])
                assert r.status_code == 200, r.text
            elif kind == "pay":
                r = await b.post(
                    f"/v1/units/{s['units'][a]['id']}/payments",
                    headers=s["finance"],
                    json={"amount_fen": n, "channel": channel},
                )
                assert r.status_code == 201, r.text
                p = r.json()
                assert sum(x["amount_fen"] for x in p["allocations"]) + p["credit_fen"] == n
            elif kind == "refund":
                r = await b.post(
                    f"/v1/units/{s['units'][a]['id']}/refunds",
                    headers=s["finance"],
                    json={"amount_fen": n, "channel": channel, "reason": "退款"},
                )
                assert r.status_code in (200, 409), r.text
            elif kind == "waive":
                late = (
                    await b.get(
                        f"/v1/estates/{s['eid']}/invoices",
                        headers=s["finance"],
                        params={"unit_id": s["units"][a]["id"], "limit": 200},
                    )
                ).json()["items"]
                late = [i for i in late if i["source_kind"] == "late_fee" and i["state"] != "waived"]
                if late:
                    r = await b.post(
                        f"/v1/invoices/{late[0]['id']}/waive", headers=s["manager"], json={"reason": "减免"}
                    )
                    assert r.status_code in (200, 409), r.text
            else:
                paid = [p for u in s["units"] for p in (await account(s, u))["payments"]]
                if paid:
                    p = paid[a % len(paid)]
                    r = await b.post(
                        f"/v1/payments/{p['id']}/reverse", headers=s["finance"], json={"reason": "冲销"}
                    )
                    assert r.status_code in (200, 409), r.text
        tb = await balanced(s)
        by = {x["account"]: x["balance_fen"] for x in tb["accounts"]}
        invoices = (
            await b.get(f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"limit": 500})
        ).json()["items"]
        owed = {
            u["id"]: sum(
                i["total_fen"] - i["paid_fen"] - i["written_off_fen"]
                for i in invoices
                if i["unit_id"] == u["id"] and i["state"] in ("issued", "partially_paid")
            )
            for u in s["units"]
        }
        assert by.get("1122", 0) == sum(owed.values())  # receivables are exactly the open invoices
        for unit in s["units"]:
            acct = await account(s, unit)
            assert acct["credit_fen"] >= 0
            assert acct["balance_fen"] == owed[unit["id"]] - acct["credit_fen"]
            assert acct["credit_fen"] == 0 or owed[unit["id"]] == 0  # credit never sits beside a debt
        assert -by.get("2203", 0) == sum([(await account(s, u))["credit_fen"] for u in s["units"]])


async def test_a_repair_charge_becomes_an_invoice_line(platform_env, site, db):
    s = site
    charge = ChargeRaised(
        charge_id=uuid.uuid4(),
        work_order_id=uuid.uuid4(),
        estate_id=s["eid"],
        unit_id=uuid.UUID(s["units"][0]["id"]),
        reference="WO-202612-000007",
        lines=[
            ChargeLine(kind="part", description="水龙头", quantity="1", unit_price_fen=4500, amount_fen=4500),
            ChargeLine(
                kind="labour",
                description="人工 45 min",
                quantity="0.75",
                unit_price_fen=8000,
                amount_fen=6000,
            ),
        ],
        total_fen=10_500,
    )
    async with running_service(REPAIRS, platform_env) as repairs:
        await emit(repairs, charge)
        await emit(repairs, charge)  # delivered again: billed once

        async def billed():
            items = (await s["billing"].get(f"/v1/estates/{s['eid']}/invoices", headers=s["finance"])).json()[
                "items"
            ]
            return items or None

        (invoice,) = await wait_until(billed, message="the repair invoice")
        await wait_until(
            lambda: db("SELECT 1 FROM billing.inbox WHERE subject LIKE '%charge.raised' OFFSET 1"),
            message="both deliveries",
        )
    detail = (await s["billing"].get(f"/v1/invoices/{invoice['id']}", headers=s["me"])).json()
    assert (detail["total_fen"], detail["source_kind"]) == (10_500, "repair_charge")
    assert [(x["description"], x["amount_fen"], x["revenue_account"]) for x in detail["lines"]] == [
        ("WO-202612-000007 水龙头", 4500, "600104"),
        ("WO-202612-000007 人工 45 min", 6000, "600104"),
    ]
    assert (
        len(
            (await s["billing"].get(f"/v1/estates/{s['eid']}/invoices", headers=s["finance"])).json()["items"]
        )
        == 1
    )
    await balanced(s)


async def test_voiding_reverses_and_a_void_invoice_takes_no_payment(site):
    s = site
    await fee(s)
    await run(s, "2026-12")
    home = s["units"][0]
    (invoice,) = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"unit_id": home["id"]}
        )
    ).json()["items"]
    url = f"/v1/invoices/{invoice['id']}/void"
    assert (
        await s["billing"].post(url, headers=s["finance"], json={})
    ).status_code == 422  # a reason is required
    assert (await s["billing"].post(url, headers=s["me"], json={"reason": "x"})).status_code == 403
    r = await s["billing"].post(url, headers=s["finance"], json={"reason": "面积登记错误"})
    assert r.status_code == 200 and r.json()["state"] == "void"
    assert (await s["billing"].post(url, headers=s["finance"], json={"reason": "again"})).status_code == 409
    pay = await s["billing"].post(
        f"/v1/units/{home['id']}/payments",
        headers=s["finance"],
        json={"amount_fen": 100, "channel": "cash", "invoice_ids": [invoice["id"]]},
    )
    assert pay.status_code == 409
    assert (await account(s, home))["balance_fen"] == 0
    tb = await balanced(s)
    assert (
        next(a for a in tb["accounts"] if a["account"] == "1122")["balance_fen"]
        == 29_625 + 22_250  # the other homes
    )  # (the voided one is reversed)
    other = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"unit_id": s["units"][1]["id"]}
        )
    ).json()["items"][0]
    await s["billing"].post(
        f"/v1/units/{s['units'][1]['id']}/payments",
        headers=s["finance"],
        json={"amount_fen": 100, "channel": "cash"},
    )
    assert (
        await s["billing"].post(
            f"/v1/invoices/{other['id']}/void", headers=s["finance"], json={"reason": "x"}
        )
    ).status_code == 409


async def test_arrears_are_aged_per_unit_building_and_estate(site):
    s = site
    await fee(s)
    for period in ("2026-08", "2026-10", "2026-11", "2026-12"):
        await run(s, period)
    home = s["units"][0]
    await s["billing"].post(
        f"/v1/units/{home['id']}/payments",
        headers=s["finance"],
        json={"amount_fen": 30_000, "channel": "cash"},
    )
    aged = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/arrears", headers=s["finance"], params={"as_of": "2026-12-20"}
        )
    ).json()
    mine = next(u for u in aged["units"] if u["unit_id"] == home["id"])
    # due 08-15 (127 days, paid), 10-15 (66 days: 20,000 left of it), 11-15 (35 days), 12-15 (5 days)
    assert (mine["90_plus"], mine["61_90"], mine["31_60"], mine["0_30"]) == (0, 20_000, 25_000, 25_000)
    assert mine["total_fen"] == 70_000 and mine["oldest_due_on"] == "2026-10-15"
    assert aged["estate"]["total_fen"] == sum(u["total_fen"] for u in aged["units"])
    assert aged["estate"]["90_plus"] == 29_625 + 22_250  # the other homes never paid August
    assert [b["units"] for b in aged["buildings"]] == [3]  # the shop has no fee item
    early = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/arrears", headers=s["finance"], params={"as_of": "2026-08-10"}
        )
    ).json()
    assert early["estate"]["total_fen"] == 0  # nothing past due yet


async def test_refunds_reports_and_exports(site):
    import csv
    import io

    from openpyxl import load_workbook

    s = site
    await fee(s)
    await run(s, "2026-11")
    await run(s, "2026-12")
    home = s["units"][0]
    await s["billing"].post(
        f"/v1/units/{home['id']}/payments",
        headers=s["finance"],
        json={"amount_fen": 60_000, "channel": "bank_transfer"},
    )
    url = f"/v1/units/{home['id']}/refunds"
    too_much = await s["billing"].post(
        url, headers=s["finance"], json={"amount_fen": 10_001, "channel": "bank_transfer", "reason": "多缴"}
    )
    assert too_much.status_code == 409 and too_much.json()["credit_fen"] == 10_000
    r = await s["billing"].post(
        url,
        headers=s["finance"],
        json={"amount_fen": 10_000, "channel": "bank_transfer", "reason": "多缴退回"},
    )
    assert r.status_code == 200 and r.json()["balance_fen"] == 0
    assert (
        await s["billing"].post(
            url, headers=s["finance"], json={"amount_fen": 1, "channel": "cash", "reason": "x"}
        )
    ).status_code == 409
    base = f"/v1/estates/{s['eid']}/reports"
    rates = (await s["billing"].get(base + "/collection", headers=s["finance"])).json()
    total = 25_000 + 29_625 + 22_250
    assert rates == [
        {
            "period": "2026-11",
            "invoices": 3,
            "billed_fen": total,
            "paid_fen": 25_000,
            "collection_rate": round(25_000 / total, 4),
        },
        {
            "period": "2026-12",
            "invoices": 3,
            "billed_fen": total,
            "paid_fen": 25_000,
            "collection_rate": round(25_000 / total, 4),
        },
    ]
    revenue = (
        await s["billing"].get(base + "/revenue", headers=s["finance"], params={"period": "2026-12"})
    ).json()
    assert revenue == [
        {"item": "PMF", "name": "物业服务费", "period": "2026-12", "account": "600101", "amount_fen": total}
    ]
    xlsx = await s["billing"].get(base + "/collection/export", headers=s["finance"])
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["2026-11", "2026-12"]
    csv_ = await s["billing"].get(
        base + "/trial-balance/export", headers=s["finance"], params={"format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(csv_.content.decode("utf-8-sig"))))
    assert sum(int(r["debit_fen"]) for r in rows) == sum(int(r["credit_fen"]) for r in rows)
    assert (await s["billing"].get(base + "/profit", headers=s["finance"])).status_code == 422
    assert (await s["billing"].get(base + "/collection", headers=s["me"])).status_code == 403


async def test_a_mid_month_move_in_is_prorated_and_metered_fees_bill_the_consumption(site, db):
    s = site
    await fee(s)
    await fee(s, code="WATER", name="水费", basis="metered", meter="water", rate="350")  # ¥3.50 per m³
    bad = await s["billing"].post(
        f"/v1/estates/{s['eid']}/fee-items",
        headers=s["finance"],
        json={
            "code": "X",
            "name": "x",
            "basis": "metered",
            "unit_kind": "residential",
            "rate": "1",
            "effective_from": "2026-01-01",
        },
    )
    assert bad.status_code == 422  # a metered fee names its meter
    # A1-0201 is handed over on 2026-12-11 through intake's move-in: 21 of December's 31 days
    newcomer = (
        await s["intake"].post(
            f"/v1/estates/{s['eid']}/residents",
            headers=s["manager"],
            json={"name": "李娜", "phone": "13912345678"},
        )
    ).json()
    r = await s["intake"].post(
        f"/v1/units/{s['units'][1]['id']}/move-ins",
        headers=s["manager"],
        json={
            "resident_id": newcomer["id"],
            "handed_over_on": "2026-12-11",
            "checklist": [{"item": "门窗", "ok": True}],
            "keys": [{"kind": "入户门", "count": 2}],
            "meter_readings": [{"meter": "water", "reading": "10"}],
        },
    )
    assert r.status_code == 201, r.text

    async def opened():
        rows = await db(
            "SELECT reading, source FROM billing.meter_reading WHERE unit_id = :u", u=s["units"][1]["id"]
        )
        payers = await db("SELECT started_on FROM billing.payer WHERE unit_id = :u", u=s["units"][1]["id"])
        return rows and payers

    await wait_until(opened, message="billing to open the account from the move-in")
    read = await s["billing"].post(
        f"/v1/units/{s['units'][1]['id']}/meter-readings",
        headers=s["finance"],
        json={"meter": "water", "reading": "22.5", "read_on": "2026-12-31"},
    )
    assert read.status_code == 201
    listed = (
        await s["billing"].get(f"/v1/units/{s['units'][1]['id']}/meter-readings", headers=s["finance"])
    ).json()
    assert [(x["source"], x["reading"]) for x in listed] == [("reading", "22.50"), ("move_in", "10.00")]
    await run(s, "2026-12")
    items = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"unit_id": s["units"][1]["id"]}
        )
    ).json()["items"]
    detail = (await s["billing"].get(f"/v1/invoices/{items[0]['id']}", headers=s["finance"])).json()
    lines = {line["description"].split(" ")[0]: line for line in detail["lines"]}
    # 118.5 m² × ¥2.50 × 21/31 = ¥200.69; water 12.5 m³ × ¥3.50 = ¥43.75
    assert lines["物业服务费"]["amount_fen"] == 20_069 and "(67.7%)" in lines["物业服务费"]["description"]
    assert (lines["水费"]["quantity"], lines["水费"]["amount_fen"]) == ("12.50", 4_375)
    assert detail["total_fen"] == 20_069 + 4_375
    # the first home's owner has lived there since before December: the whole month
    first = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"unit_id": s["units"][0]["id"]}
        )
    ).json()["items"]
    assert first[0]["total_fen"] == 25_000


async def test_a_signed_gateway_payment_once_and_a_reversal(site):
    import asyncio
    import datetime as dt
    import json as json_

    from propdesk.common.settings import dev_webhook_secret
    from propdesk.common.testing.helpers import signed

    s = site
    await fee(s)
    await run(s, "2026-12")
    home = s["units"][0]
    secret = dev_webhook_secret("payment-gateway")
    body = json_.dumps(
        {
            "gateway": "wechat",
            "transaction_id": "4200001234",
            "estate_id": str(s["eid"]),
            "unit_id": home["id"],
            "amount_fen": 25_000,
        }
    ).encode()
    url = "/v1/webhooks/payments"
    unsigned = await s["billing"].post(url, content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["type"].endswith("/bad-signature")
    other_key = dev_webhook_secret("someone-else")
    assert (await s["billing"].post(url, content=body, headers=signed(other_key, body))).status_code == 401
    stale = signed(secret, body, at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    assert (
        await s["billing"].post(url, content=body, headers=stale)
    ).status_code == 401  # a replay, too late
    tampered = signed(secret, body)
    assert (
        await s["billing"].post(url, content=body.replace(b"25000", b"2500"), headers=tampered)
    ).status_code == 401
    # the gateway's notification raced by 20 copies (each a fresh message id): one payment, one answer
    copies = await asyncio.gather(
        *(s["billing"].post(url, content=body, headers=signed(secret, body)) for _ in range(20))
    )
    assert {c.status_code for c in copies} <= {200, 409}, [c.text for c in copies]
    first = next(c for c in copies if c.status_code == 200)
    assert {c.json()["id"] for c in copies if c.status_code == 200} == {first.json()["id"]}
    in_progress = [c for c in copies if c.status_code == 409]
    assert all(c.headers["retry-after"] and c.json()["type"].endswith("/in-progress") for c in in_progress)
    paid = (await s["billing"].get(f"/v1/units/{home['id']}/account", headers=s["finance"])).json()
    assert len(paid["payments"]) == 1, paid
    assert first.status_code == 200, first.text
    again = await s["billing"].post(url, content=body, headers=signed(secret, body))
    assert again.json()["id"] == first.json()["id"]  # the gateway notified again later: the same payment
    assert (await account(s, home))["balance_fen"] == 0
    r = await s["billing"].post(
        f"/v1/payments/{first.json()['id']}/reverse", headers=s["finance"], json={"reason": "重复扣款"}
    )
    assert r.json()["state"] == "reversed"
    assert (await account(s, home))["balance_fen"] == 25_000
    assert (
        await s["billing"].post(
            f"/v1/payments/{first.json()['id']}/reverse", headers=s["finance"], json={"reason": "x"}
        )
    ).status_code == 409
    await balanced(s)
