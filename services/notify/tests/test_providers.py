"""Providers managed through the API by admins and managers: tried before those in settings."""

from __future__ import annotations

import base64
import uuid

from standardwebhooks.webhooks import Webhook

from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing.helpers import token, wait_until

from .conftest import ADMIN, resident, set_quiet
from .test_notify import inbox_of, notice

MANAGED_SECRET = "whsec_" + base64.b64encode(b"a-provider-managed-through-api!!").decode()


async def test_a_managed_provider_takes_precedence_and_is_access_checked(platform):
    p = platform
    await set_quiet(p, now_inside=False)
    gateway = HttpSink(free_port()).start()
    eavesdropper = HttpSink(free_port()).start()
    try:
        body = {
            "channel": "sms",
            "url": gateway.url,
            "secret": MANAGED_SECRET,
            "priority": 1,
            "estate_id": p["estate"]["id"],
        }
        # a manager of another estate cannot add a provider for this estate, nor one for every estate
        other = (
            await p["intake"].post("/v1/estates", json={"code": "OTH", "name": "别的小区"}, headers=ADMIN)
        ).json()
        stranger_estate = uuid.UUID(other["id"])
        stranger = token("manager", estates=[stranger_estate])

        async def known():
            r = await p["notify"].get(f"/v1/estates/{other['id']}/quiet-hours", headers=stranger)
            return r.json() if r.status_code == 200 else None

        await wait_until(known, message="notify to provision the other estate")
        assert (
            await p["notify"].put("/v1/providers/evil-sms", json=body, headers=stranger)
        ).status_code == 403
        everyone = {k: v for k, v in body.items() if k != "estate_id"}
        assert (
            await p["notify"].put("/v1/providers/evil-sms", json=everyone, headers=p["manager"])
        ).status_code == 403
        assert (
            await p["notify"].put(
                "/v1/providers/evil-sms", json={**body, "secret": "whsec_c2hvcnQ="}, headers=p["manager"]
            )
        ).status_code == 422  # a secret of 5 bytes
        assert (
            await p["notify"].put("/v1/providers/cheap-sms", json=body, headers=p["desk"])
        ).status_code == 403
        assert (
            await p["notify"].put(
                "/v1/providers/cheap-sms", json={**body, "channel": "fax"}, headers=p["manager"]
            )
        ).status_code == 422
        assert (
            await p["notify"].put("/v1/providers/Bad Name", json=body, headers=p["manager"])
        ).status_code == 422
        no_secret = {k: v for k, v in body.items() if k != "secret"}
        assert (
            await p["notify"].put("/v1/providers/new-one", json=no_secret, headers=p["manager"])
        ).status_code == 422
        r = await p["notify"].put("/v1/providers/cheap-sms", json=body, headers=p["manager"])
        assert r.status_code == 200 and "secret" not in r.json()
        # the stranger's own estate's provider, at the top priority, never carries this estate's messages
        theirs = await p["notify"].put(
            "/v1/providers/their-sms",
            json={**body, "url": eavesdropper.url, "priority": 0, "estate_id": str(stranger_estate)},
            headers=stranger,
        )
        assert theirs.status_code == 200, theirs.text
        li = await resident(p)
        await notice(p, units=[li["unit"]["id"]])
        await wait_until(lambda: _first(gateway.requests), message="the SMS through the managed provider")
        [request] = gateway.requests
        assert Webhook(MANAGED_SECRET).verify(request.body, request.headers)["to"] == "+8613912345678"
        assert p["sinks"]["primary"].requests == []  # the settings-configured provider was not needed
        assert eavesdropper.requests == []
        # switched off: the next message goes through settings' providers again
        r = await p["notify"].put(
            "/v1/providers/cheap-sms", json={**no_secret, "active": False}, headers=p["manager"]
        )
        assert r.json()["active"] is False
        await notice(p, units=[li["unit"]["id"]], title_zh="第二条", title_en="Second")
        await wait_until(lambda: _n(inbox_of(p, li), 2), message="the second notice")
        await wait_until(lambda: _first(p["sinks"]["primary"].requests), message="the SMS through settings")
        listed = (await p["notify"].get("/v1/providers", headers=p["manager"])).json()
        assert [(x["name"], x["active"]) for x in listed] == [("cheap-sms", False)]
        assert [x["name"] for x in (await p["notify"].get("/v1/providers", headers=stranger)).json()] == [
            "their-sms"
        ]
        taken = await p["notify"].put("/v1/providers/cheap-sms", json=body, headers=stranger)
        assert taken.status_code in (403, 409)  # another estate's provider is not the stranger's to change
    finally:
        gateway.stop()
        eavesdropper.stop()


async def _first(items):
    return items[0] if items else None


async def _n(coro, n):
    items = await coro
    return items if len(items) >= n else None
