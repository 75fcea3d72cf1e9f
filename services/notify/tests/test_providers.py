"""Providers managed through the API by admins and managers: tried before those in settings."""

from __future__ import annotations

import base64

from standardwebhooks.webhooks import Webhook

from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing.helpers import wait_until

from .conftest import resident, set_quiet
from .test_notify import inbox_of, notice

MANAGED_SECRET = "whsec_" + base64.b64encode(b"a-provider-managed-through-api!!").decode()


async def test_a_managed_provider_takes_precedence_and_is_access_checked(platform):
    p = platform
    await set_quiet(p, now_inside=False)
    gateway = HttpSink(free_port()).start()
    try:
        body = {"channel": "sms", "url": gateway.url, "secret": MANAGED_SECRET, "priority": 1}
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
        li = await resident(p)
        await notice(p, units=[li["unit"]["id"]])
        await wait_until(lambda: _first(gateway.requests), message="the SMS through the managed provider")
        [request] = gateway.requests
        assert Webhook(MANAGED_SECRET).verify(request.body, request.headers)["to"] == "+8613912345678"
        assert p["sinks"]["primary"].requests == []  # the settings-configured provider was not needed
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
    finally:
        gateway.stop()


async def _first(items):
    return items[0] if items else None


async def _n(coro, n):
    items = await coro
    return items if len(items) >= n else None
