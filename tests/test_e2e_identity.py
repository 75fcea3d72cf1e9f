"""Issue 16 end to end: a resident gets an SMS code (the SMS provider a local server), signs in, reports a repair
with the access token and sees it; a receptionist signs in with password + TOTP; after the resident's move-out
their refresh fails."""

from __future__ import annotations

import base64
import json
import re

import httpx
import pyotp

from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing.helpers import running_service, served, token, wait_until
from propdesk.common.web import create_service_app
from propdesk.identity.main import SERVICE as IDENTITY
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.notify.main import SERVICE as NOTIFY
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)
SECRET = "whsec_" + base64.b64encode(b"e2e-identity-sms-provider-secret").decode()


async def test_a_resident_and_a_receptionist_sign_in_and_work(platform_env):
    sink = HttpSink(free_port()).start()
    port = free_port()
    jwks = {"jwt_jwks_url": f"http://127.0.0.1:{port}/.well-known/jwks.json"}
    providers = json.dumps([{"name": "sms", "url": sink.url, "secret": SECRET}])
    try:
        with served(
            create_service_app(IDENTITY, platform_env.settings(IDENTITY, port=port, **jwks)), port
        ) as url:
            async with (
                running_service(INTAKE, platform_env, **jwks) as intake,
                running_service(REPAIRS, platform_env, **jwks) as repairs,
                running_service(NOTIFY, platform_env, sms_providers=providers, **jwks) as notify,
                httpx.AsyncClient(base_url=url) as identity,
            ):
                eid = (
                    await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
                ).json()["id"]
                b = (
                    await intake.post(
                        f"/v1/estates/{eid}/buildings",
                        headers=ADMIN,
                        json={"code": "C1", "name": "C1", "floors": 9},
                    )
                ).json()
                unit = (
                    await intake.post(
                        f"/v1/estates/{eid}/units",
                        headers=ADMIN,
                        json={"building_id": b["id"], "number": "C1-0801", "floor": 8, "area_m2": "90.00"},
                    )
                ).json()
                li = (
                    await intake.post(
                        f"/v1/estates/{eid}/residents",
                        headers=ADMIN,
                        json={
                            "name": "李娜",
                            "phone": "13812345678",
                            "occupancy": {"unit_id": unit["id"], "role": "owner"},
                        },
                    )
                ).json()

                async def repairs_knows_the_unit():
                    r = await repairs.get(f"/v1/estates/{eid}/work-orders", headers=ADMIN)
                    return r.status_code == 200 or None

                await wait_until(repairs_knows_the_unit, message="repairs to know the estate")

                async def code_sent():
                    asked = await identity.post("/v1/sign-in-codes", json={"phone": "13812345678"})
                    return sink.requests or (None if asked.status_code in (202, 429) else asked)

                requests = await wait_until(code_sent, timeout=30, message="the SMS code")
                code = re.search(r"\b(\d{6})\b", requests[0].json()["text"]).group(1)
                form = {
                    "grant_type": "urn:propdesk:grant-type:sms-code",
                    "phone": "13812345678",
                    "code": code,
                }
                tokens = (await identity.post("/v1/token", data=form)).json()
                me = {"Authorization": f"Bearer {tokens['access_token']}"}

                async def reported():
                    r = await repairs.post(
                        f"/v1/estates/{eid}/work-orders",
                        headers=me,
                        json={
                            "unit_id": unit["id"],
                            "category": "plumbing",
                            "problem": "leak",
                            "description": "厨房水管漏水",
                        },
                    )
                    return r if r.status_code == 201 else None

                order = (await wait_until(reported, message="repairs to take the resident's report")).json()
                mine = (await repairs.get(f"/v1/estates/{eid}/work-orders", headers=me)).json()["items"]
                assert [o["id"] for o in mine] == [order["id"]]
                assert (await repairs.get(f"/v1/work-orders/{order['id']}", headers=me)).status_code == 200

                # a receptionist with a password and an authenticator
                desk = (
                    await intake.post(
                        f"/v1/estates/{eid}/staff",
                        headers=ADMIN,
                        json={
                            "name": "陈静",
                            "department": "customer_service",
                            "roles": ["receptionist"],
                            "phone": "13900001111",
                        },
                    )
                ).json()

                async def account():
                    r = await identity.get(f"/v1/people/{desk['id']}/account", headers=ADMIN)
                    return r.json() if r.status_code == 200 else None

                acc = await wait_until(account, message="the receptionist's account")
                await identity.post(
                    f"/v1/accounts/{acc['id']}/password",
                    headers=ADMIN,
                    json={"password": "Desk-Password-1", "must_change": False},
                )
                login = {"grant_type": "password", "username": "13900001111", "password": "Desk-Password-1"}
                first = (await identity.post("/v1/token", data=login)).json()
                bearer = {"Authorization": f"Bearer {first['access_token']}"}
                secret = (await identity.post("/v1/me/totp", headers=bearer)).json()["secret"]
                await identity.post(
                    "/v1/me/totp/confirm", headers=bearer, json={"code": pyotp.TOTP(secret).now()}
                )
                assert (await identity.post("/v1/token", data=login)).json()["mfa_required"] is True
                signed = await identity.post("/v1/token", data={**login, "totp": pyotp.TOTP(secret).now()})
                desk_token = {"Authorization": f"Bearer {signed.json()['access_token']}"}
                assert (
                    await intake.get(f"/v1/estates/{eid}/residents", headers=desk_token)
                ).status_code == 200

                # the resident moves out: the refresh fails, and signing in again finds no unit
                occupancy = (await intake.get(f"/v1/residents/{li['id']}", headers=ADMIN)).json()[
                    "occupancies"
                ][0]["id"]
                assert (
                    await intake.post(f"/v1/occupancies/{occupancy}/end", headers=ADMIN, json={})
                ).status_code == 200

                async def refresh_refused():
                    r = await identity.post(
                        "/v1/token",
                        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                    )
                    return r if r.status_code == 400 else None

                await wait_until(refresh_refused, message="the move-out to end the session")
                sink.requests.clear()
                await identity.post(
                    "/v1/sign-in-codes", json={"phone": "13812345678"}
                )  # within a minute: throttled
                assert notify is not None
    finally:
        sink.stop()
