"""Each service's skeleton proves its wiring: intake's estate.registered reaches the five others,
their estate.provisioned reaches intake, and intake reports onboarding complete."""

from __future__ import annotations

import contextlib

from propdesk.billing.main import SERVICE as BILLING
from propdesk.common.testing.helpers import running_service, token, wait_until
from propdesk.identity.main import SERVICE as IDENTITY
from propdesk.incidents.main import SERVICE as INCIDENTS
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.notify.main import SERVICE as NOTIFY
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)


async def test_estate_onboarding_round_trip(platform_env):
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            d.name: await stack.enter_async_context(running_service(d, platform_env))
            for d in (INTAKE, REPAIRS, BILLING, INCIDENTS, NOTIFY, IDENTITY)
        }
        intake = clients["intake"]
        created = await intake.post(
            "/v1/estates",
            json={"code": "YMS", "name": "阳明山庄", "name_en": "Yangming Villas"},
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
        estate = created.json()
        assert estate["onboarding_complete"] is False

        async def onboarded():
            r = await intake.get(f"/v1/estates/{estate['id']}", headers=ADMIN)
            return r.json() if r.json()["onboarding_complete"] else None

        done = await wait_until(onboarded, timeout=20, message="all five services to provision the estate")
        assert done["provisioned_by"] == ["billing", "identity", "incidents", "notify", "repairs"]
        targets = await clients["repairs"].get(f"/v1/estates/{estate['id']}/sla-targets", headers=ADMIN)
        assert {(t["urgency"], t["milestone"]): t["target_minutes"] for t in targets.json()}[
            ("emergency", "arrive")
        ] == 30
