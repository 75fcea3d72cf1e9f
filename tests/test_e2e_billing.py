"""billing with intake (and repairs) end to end, observed on the bus:

(a) a monthly run → the invoice event → a partial payment at the desk (the cashier, a finance role) → bank statements (CSV, then MT940)
    that reconcile the rest → the aging view shows nothing owed;
(b) a repair charge event becomes an invoice line;
(c) a renovation deposit asked for by intake is paid at the desk, held by billing (intake may then start the
    works), and released on acceptance with the deduction kept as revenue."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

from propdesk.billing.main import SERVICE as BILLING
from propdesk.common.contracts.repairs import ChargeLine, ChargeRaised
from propdesk.common.testing import scenes
from propdesk.common.testing.helpers import bus_events, emit, running_service, token, wait_until
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.repairs.main import SERVICE as REPAIRS


async def test_a_renovation_deposit_is_held_and_released_with_a_deduction(platform_env):
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(BILLING, platform_env) as billing,
    ):
        s = await scenes.household(intake)
        finance = token("finance", estates=[s["estate"]["id"]], sub="fin-1")
        ren = (
            await intake.post(
                f"/v1/estates/{s['estate']['id']}/renovations",
                headers=s["me"],
                json={
                    "unit_id": s["unit"]["id"],
                    "contractor_name": "佛山匠心装饰",
                    "contractor_phone": "0757-82001234",
                    "scope": "厨房改造",
                    "items": ["kitchen"],
                    "planned_start": "2026-12-01",
                    "planned_end": "2026-12-31",
                },
            )
        ).json()
        await intake.post(
            f"/v1/renovations/{ren['id']}/review",
            headers=s["desk"],
            json={"decision": "approved", "deposit_fen": 200_000},
        )

        async def requested():
            rows = (await billing.get(f"/v1/estates/{s['estate']['id']}/deposits", headers=finance)).json()
            return rows or None

        (deposit,) = await wait_until(requested, message="billing to hold a deposit request")
        assert (deposit["state"], deposit["amount_fen"], deposit["source_id"]) == (
            "requested",
            200_000,
            ren["id"],
        )
        r = await billing.post(
            f"/v1/deposits/{deposit['id']}/pay", headers=finance, json={"channel": "wechat"}
        )
        assert r.status_code == 200 and r.json()["state"] == "held"
        assert (
            await billing.post(f"/v1/deposits/{deposit['id']}/pay", headers=finance, json={"channel": "cash"})
        ).status_code == 409

        async def started():
            r = await intake.post(
                f"/v1/renovations/{ren['id']}/actions", headers=s["desk"], json={"action": "start"}
            )
            return r.status_code == 200

        await wait_until(started, message="intake to see the deposit held and start the works")
        await intake.post(
            f"/v1/renovations/{ren['id']}/actions", headers=s["me"], json={"action": "request_acceptance"}
        )
        r = await intake.post(
            f"/v1/renovations/{ren['id']}/acceptance",
            headers=s["desk"],
            json={
                "passed": True,
                "findings": "合格",
                "deductions": [{"reason": "公共区域清洁", "amount_fen": 30_000}],
            },
        )
        assert r.status_code == 200, r.text

        async def released():
            found = [
                e["payload"] for e in await bus_events(platform_env, "billing.deposit.released", settle=0.2)
            ]
            return found or None

        (event,) = await wait_until(released, message="billing to release the deposit")
        assert (event["refund_fen"], event["deductions_fen"]) == (170_000, 30_000)
        tb = (await billing.get(f"/v1/estates/{s['estate']['id']}/trial-balance", headers=finance)).json()
        by = {a["account"]: a["balance_fen"] for a in tb["accounts"]}
        assert tb["balanced"] and by["2241"] == 0 and by["101201"] == 30_000 and by["630102"] == -30_000
        (row,) = (await billing.get(f"/v1/estates/{s['estate']['id']}/deposits", headers=finance)).json()
        assert (row["state"], row["refund_fen"]) == ("released", 170_000)
        assert dt.datetime.fromisoformat(row["released_at"]) >= dt.datetime.fromisoformat(row["held_at"])

        async def recorded():  # intake hears the refund happened: the renovation's record says so
            r = (await intake.get(f"/v1/renovations/{ren['id']}", headers=s["manager"])).json()
            return r if r["deposit_state"] == "released" else None

        renovation = await wait_until(recorded, message="intake to record the deposit released")
        assert renovation["refund_fen"] == 170_000


async def test_run_invoice_partial_payment_statements_reconcile_then_aging(platform_env):
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(BILLING, platform_env) as billing,
        running_service(REPAIRS, platform_env) as repairs,
    ):
        s = await scenes.household(intake)  # A3-0201, 132.5 m², owner 陈静
        eid = s["estate"]["id"]
        finance = token("finance", estates=[uuid.UUID(eid)], sub="fin-1")

        async def known():
            r = await billing.get(f"/v1/units/{s['unit']['id']}/account", headers=finance)
            return r.status_code == 200

        await wait_until(known, message="billing to know the unit")
        r = await billing.post(
            f"/v1/estates/{eid}/fee-items",
            headers=finance,
            json={
                "code": "PMF",
                "name": "物业服务费",
                "basis": "per_m2",
                "unit_kind": "residential",
                "rate": "280",
                "effective_from": "2026-01-01",
            },
        )
        assert r.status_code == 201, r.text
        run = (
            await billing.post(f"/v1/estates/{eid}/billing-runs", headers=finance, json={"period": "2026-11"})
        ).json()
        assert (run["new_invoices"], run["total_fen"]) == (1, 37_100)  # 132.5 m² × ¥2.80
        issued = [e["payload"] for e in await bus_events(platform_env, "billing.invoice.issued")]
        assert [(e["unit_id"], e["total_fen"], e["period"]) for e in issued] == [
            (s["unit"]["id"], 37_100, "2026-11")
        ]
        number = issued[0]["number"]

        r = await billing.post(  # the estate's cashier (finance) takes it at the desk; receptionists record no money
            f"/v1/units/{s['unit']['id']}/payments",
            headers=finance,
            json={"amount_fen": 10_000, "channel": "cash"},
        )
        assert r.status_code == 201 and r.json()["allocations"][0]["amount_fen"] == 10_000
        statement = (
            f"交易日期,金额,流水号,对方户名,摘要\n2026-12-01,171.00,CSV-1,陈静,{number} 部分\n"
        ).encode()
        mapping = json.dumps(
            {"date": "交易日期", "amount": "金额", "reference": "流水号", "name": "对方户名", "memo": "摘要"}
        )
        r = await billing.post(
            f"/v1/estates/{eid}/bank-statements",
            headers={**finance, "content-type": "text/plain"},
            params={"format": "csv", "mapping": mapping},
            content=statement,
        )
        assert (r.json()["matched"], r.json()["unmatched"]) == (1, 0)
        mt940 = (
            b":20:STMT\n:25:12345678/0000000001\n:28C:00002/001\n:60F:C261201CNY0,00\n"
            b":61:2612020202C100,00NTRFNONREF//MT-1\n:86:A3-0201 balance\n:62F:C261202CNY100,00\n"
        )
        r = await billing.post(
            f"/v1/estates/{eid}/bank-statements",
            headers={**finance, "content-type": "text/plain"},
            params={"format": "mt940"},
            content=mt940,
        )
        assert (r.json()["matched"], r.json()["unmatched"]) == (1, 0)
        account = (await billing.get(f"/v1/units/{s['unit']['id']}/account", headers=s["me"])).json()
        assert account["balance_fen"] == 0 and account["open_invoices"] == []
        aging = (
            await billing.get(f"/v1/estates/{eid}/arrears", headers=finance, params={"as_of": "2027-03-01"})
        ).json()
        assert aging["estate"]["total_fen"] == 0 and aging["units"] == []
        received = [
            e["payload"]["amount_fen"] for e in await bus_events(platform_env, "billing.payment.received")
        ]
        assert sorted(received) == [10_000, 10_000, 17_100]

        charge = ChargeRaised(
            charge_id=uuid.uuid4(),
            work_order_id=uuid.uuid4(),
            estate_id=uuid.UUID(eid),
            unit_id=uuid.UUID(s["unit"]["id"]),
            reference="WO-202612-000001",
            lines=[
                ChargeLine(
                    kind="part", description="角阀", quantity="2", unit_price_fen=2800, amount_fen=5600
                )
            ],
            total_fen=5600,
        )
        await emit(repairs, charge)

        async def charged():
            items = (
                await billing.get(f"/v1/estates/{eid}/invoices", headers=finance, params={"state": "issued"})
            ).json()["items"]
            return items or None

        (invoice,) = await wait_until(charged, message="the repair charge's invoice")
        assert (invoice["total_fen"], invoice["source_kind"]) == (5600, "repair_charge")
        tb = (await billing.get(f"/v1/estates/{eid}/trial-balance", headers=finance)).json()
        assert tb["balanced"]


async def test_a_payment_tells_the_resident_and_its_receipt_prints_the_same_every_time(platform_env):
    """billing.payment.received reaches the resident through notify (it had no consumer); the receipt is a
    PDF with the amount in Chinese capital numerals, printed the same every time, for finance and the unit's
    resident only."""
    from pypdf import PdfReader

    from propdesk.notify.main import SERVICE as NOTIFY

    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(BILLING, platform_env) as billing,
        running_service(NOTIFY, platform_env) as notify,
    ):
        s = await scenes.household(intake)  # A3-0201, owner 陈静
        eid = s["estate"]["id"]
        finance = token("finance", estates=[uuid.UUID(eid)], sub="fin-1", name="财务 李梅")

        async def known():
            billing_knows = await billing.get(f"/v1/units/{s['unit']['id']}/account", headers=finance)
            notify_knows = await notify.get("/v1/me/inbox", headers=s["me"])
            return billing_knows.status_code == 200 and notify_knows.status_code == 200

        await wait_until(known, message="billing and notify to know the unit and its owner")
        r = await billing.post(
            f"/v1/units/{s['unit']['id']}/payments",
            headers=finance,
            json={"amount_fen": 1_234_567, "channel": "wechat", "reference": "4200001234"},
        )
        assert r.status_code == 201, r.text
        payment = r.json()

        async def told():
            items = (await notify.get("/v1/me/inbox", headers=s["me"])).json()["items"]
            return [m for m in items if payment["receipt_number"] in m["title"]] or None

        (message,) = await wait_until(told, message="the resident to hear of the payment")
        assert "¥12,345.67" in message["body"] or "12,345.67" in message["body"], message
        assert "预收款" in message["body"]  # nothing was owed: all of it is credit
        assert message["source"] == {  # what it is about, for an app to open (issue 19, item 9)
            "kind": "payment",
            "id": payment["id"],
            "reference": payment["receipt_number"],
        }

        url = f"/v1/payments/{payment['id']}/receipt"
        first = await billing.get(url, headers=finance)
        assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
        again = await billing.get(url, headers=s["me"])  # the owner prints it too
        assert again.status_code == 200 and again.content == first.content  # a re-print is the same receipt
        text_ = PdfReader(io.BytesIO(first.content)).pages[0].extract_text()
        for expected in (
            payment["receipt_number"],
            "12,345.67",
            "壹万贰仟叁佰肆拾伍元陆角柒分",
            "阳明山庄",
            "陈静",
            "微信支付",
        ):
            assert expected in text_, (expected, text_)
        other = token("resident", estates=[uuid.UUID(eid)], units=[uuid.uuid4()], sub=str(uuid.uuid4()))
        assert (await billing.get(url, headers=other)).status_code in (403, 404)
        desk = token("receptionist", estates=[uuid.UUID(eid)])
        assert (await billing.get(url, headers=desk)).status_code == 403


async def test_arrears_notices_go_to_the_payer_only(platform_env):
    """Issue 19, item 5: the owner pays by default; the tenant living there is not dunned for the owner's
    fees. Once finance names the tenant as payer, the notices go to the tenant and no longer to the owner."""
    from propdesk.notify.main import SERVICE as NOTIFY

    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(BILLING, platform_env) as billing,
        running_service(NOTIFY, platform_env) as notify,
    ):
        s = await scenes.household(intake)  # A3-0201, owner 陈静
        eid = s["estate"]["id"]
        finance = token("finance", estates=[uuid.UUID(eid)], sub="fin-1")
        tenant = (
            await intake.post(
                f"/v1/estates/{eid}/residents",
                headers=s["manager"],
                json={
                    "name": "租户 刘洋",
                    "phone": "13511112222",
                    "occupancy": {"unit_id": s["unit"]["id"], "role": "tenant"},
                },
            )
        ).json()
        tenant_token = token(
            "resident", estates=[uuid.UUID(eid)], units=[uuid.UUID(s["unit"]["id"])], sub=tenant["id"]
        )

        async def known():
            acct = await billing.get(f"/v1/units/{s['unit']['id']}/account", headers=finance)
            return (
                acct.status_code == 200
                and acct.json()["payer"] is not None
                and (await notify.get("/v1/me/inbox", headers=tenant_token)).status_code == 200
                and (await notify.get("/v1/me/inbox", headers=s["me"])).status_code == 200
            )

        await wait_until(known, message="billing and notify to know the owner and the tenant")
        acct = (await billing.get(f"/v1/units/{s['unit']['id']}/account", headers=finance)).json()
        assert acct["payer"]["name"] == "陈静" and acct["payer"]["named"] is False
        r = await billing.post(
            f"/v1/estates/{eid}/fee-items",
            headers=finance,
            json={
                "code": "PMF",
                "name": "物业服务费",
                "basis": "per_m2",
                "unit_kind": "residential",
                "rate": "280",
                "effective_from": "2026-01-01",
            },
        )
        assert r.status_code == 201
        await billing.post(f"/v1/estates/{eid}/billing-runs", headers=finance, json={"period": "2026-11"})
        day = await billing.post(f"/v1/estates/{eid}/billing-days/2026-11-23/run", headers=finance)
        assert day.json()["dunning_notices"] == 1  # friendly, 8 days past due

        async def reminders(headers) -> list[dict]:
            items = (await notify.get("/v1/me/inbox", headers=headers)).json()["items"]
            return [m for m in items if "缴费提醒" in m["title"]]

        async def owner_reminded():
            return await reminders(s["me"]) or None

        await wait_until(owner_reminded, message="the owner to be reminded")
        assert await reminders(tenant_token) == []  # the tenant is not dunned for the owner's fees

        bad = await billing.put(
            f"/v1/units/{s['unit']['id']}/payer", headers=finance, json={"resident_id": str(uuid.uuid4())}
        )
        assert bad.status_code == 422  # not someone who lives there
        named = await billing.put(
            f"/v1/units/{s['unit']['id']}/payer", headers=finance, json={"resident_id": tenant["id"]}
        )
        assert named.status_code == 200 and named.json()["payer"]["named"] is True
        await billing.post(
            f"/v1/estates/{eid}/billing-days/2026-12-16/run", headers=finance
        )  # second, 31 days

        async def tenant_reminded():
            return await reminders(tenant_token) or None

        await wait_until(tenant_reminded, message="the named payer to be reminded")
        assert len(await reminders(s["me"])) == 1  # the owner heard only the first
