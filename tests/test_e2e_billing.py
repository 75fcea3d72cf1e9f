"""billing with intake end to end: a renovation deposit asked for by intake is paid at the desk, held by
billing (intake may then start the works), and released on acceptance with the deduction kept as revenue."""

from __future__ import annotations

import datetime as dt

from propdesk.billing.main import SERVICE as BILLING
from propdesk.common.testing import scenes
from propdesk.common.testing.helpers import bus_events, running_service, token, wait_until
from propdesk.intake.main import SERVICE as INTAKE


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
        assert tb["balanced"] and by["2241"] == 0 and by["1002"] == 30_000 and by["6003"] == -30_000
        (row,) = (await billing.get(f"/v1/estates/{s['estate']['id']}/deposits", headers=finance)).json()
        assert (row["state"], row["refund_fen"]) == ("released", 170_000)
        assert dt.datetime.fromisoformat(row["released_at"]) >= dt.datetime.fromisoformat(row["held_at"])
