"""identity with intake (the registry it projects) and notify (which sends the SMS codes), against real
PostgreSQL and NATS. identity is served over real HTTP, because intake checks tokens against its JWKS URL."""

from __future__ import annotations

import base64
import contextlib
import json
import re

import httpx
import pytest

from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing.helpers import running_service, served, token, wait_until
from propdesk.common.web import create_service_app
from propdesk.identity.main import SERVICE as IDENTITY
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.notify.main import SERVICE as NOTIFY

ADMIN = token("admin", all_estates=True)
SMS_SECRET = "whsec_" + base64.b64encode(b"identity-tests-sms-provider-key!").decode()
PASSWORD = "Correct-Horse-9"


@pytest.fixture
def sms():
    sink = HttpSink(free_port()).start()
    yield sink
    sink.stop()


@contextlib.asynccontextmanager
async def platform(platform_env, sms, **identity_settings):
    port = free_port()
    jwks = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    settings = platform_env.settings(IDENTITY, port=port, jwt_jwks_url=jwks, **identity_settings)
    providers = json.dumps([{"name": "sms", "url": sms.url, "secret": SMS_SECRET}])
    with served(create_service_app(IDENTITY, settings), port) as url:
        async with (
            running_service(INTAKE, platform_env, jwt_jwks_url=jwks) as intake,
            running_service(NOTIFY, platform_env, jwt_jwks_url=jwks, sms_providers=providers) as notify,
            httpx.AsyncClient(base_url=url, timeout=30) as identity,
        ):
            estate = (
                await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
            ).json()
            yield {
                "intake": intake,
                "notify": notify,
                "identity": identity,
                "estate": estate,
                "sms": sms,
                "url": url,
            }


@pytest.fixture
async def p(platform_env, sms):
    async with platform(platform_env, sms, failure_delay_seconds=0.0) as p:
        yield p


async def account_of(p, person_id: str) -> dict:
    async def found():
        r = await p["identity"].get(f"/v1/people/{person_id}/account", headers=ADMIN)
        return r.json() if r.status_code == 200 else None

    return await wait_until(found, message="identity to make the account")


async def staff(
    p, *, roles=("receptionist",), phone="13900001111", name="陈静", login: str | None = None
) -> dict:
    """A staff member with an initial password (already changed, unless `login` is None … see below)."""
    r = await p["intake"].post(
        f"/v1/estates/{p['estate']['id']}/staff",
        headers=ADMIN,
        json={"name": name, "department": "customer_service", "roles": list(roles), "phone": phone},
    )
    assert r.status_code == 201, r.text
    member = r.json()
    account = await account_of(p, member["id"])
    body = {"password": PASSWORD, "must_change": False}
    if login:
        body["login"] = login
    set_ = await p["identity"].post(f"/v1/accounts/{account['id']}/password", headers=ADMIN, json=body)
    assert set_.status_code == 200, set_.text
    return {**member, "account": set_.json()}


async def resident(p, *, phone="13812345678", name="李娜") -> dict:
    intake, eid = p["intake"], p["estate"]["id"]
    building = (
        await intake.post(
            f"/v1/estates/{eid}/buildings", headers=ADMIN, json={"code": "C1", "name": "C1 栋", "floors": 20}
        )
    ).json()
    unit = (
        await intake.post(
            f"/v1/estates/{eid}/units",
            headers=ADMIN,
            json={"building_id": building["id"], "number": "C1-0301", "floor": 3, "area_m2": "89.50"},
        )
    ).json()
    person = (
        await intake.post(
            f"/v1/estates/{eid}/residents",
            headers=ADMIN,
            json={"name": name, "phone": phone, "occupancy": {"unit_id": unit["id"], "role": "owner"}},
        )
    ).json()
    await account_of(p, person["id"])
    return {**person, "unit": unit}


async def grant(p, **form) -> httpx.Response:
    return await p["identity"].post("/v1/token", data=form)


async def sms_code(p, phone: str, count: int = 1) -> str:
    """The code in the `count`-th SMS the provider was asked to send."""

    async def arrived():
        return p["sms"].requests if len(p["sms"].requests) >= count else None

    requests = await wait_until(arrived, message="the SMS with the code")
    text = requests[count - 1].json()["text"]
    return re.search(r"\b(\d{6})\b", text).group(1)


def claims(access_token: str) -> dict:
    import jwt

    return jwt.decode(access_token, options={"verify_signature": False})
