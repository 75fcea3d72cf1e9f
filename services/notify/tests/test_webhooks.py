"""Outbound webhooks: another system receives the events it subscribed to, signed with its secret,
retried when it is down, once per event."""

from __future__ import annotations

import json

from standardwebhooks.webhooks import Webhook

from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing.helpers import wait_until

from .conftest import ADMIN


async def test_subscribed_events_arrive_signed_and_retried(platform):
    p = platform
    receiver = HttpSink(free_port(), fail_first=1).start()  # down for the first attempt
    try:
        r = await p["notify"].post(
            "/v1/webhooks", headers=ADMIN, json={"url": receiver.url, "event_types": ["intake.case.*"]}
        )
        assert r.status_code == 201 and r.json()["secret"].startswith("whsec_")
        secret = r.json()["secret"]
        assert "secret" not in (await p["notify"].get("/v1/webhooks", headers=ADMIN)).json()[0]
        assert (
            await p["notify"].post(
                "/v1/webhooks", headers=p["manager"], json={"url": receiver.url, "event_types": ["x"]}
            )
        ).status_code == 403
        case = (
            await p["intake"].post(
                f"/v1/estates/{p['estate']['id']}/cases",
                headers=p["desk"],
                json={"kind": "inquiry", "subject": "停车", "description": "月卡"},
            )
        ).json()
        await p["intake"].post(
            f"/v1/cases/{case['id']}/actions", json={"action": "acknowledge"}, headers=p["desk"]
        )
        await p["intake"].post(
            f"/v1/cases/{case['id']}/actions", headers=p["desk"], json={"action": "resolve", "note": "已办理"}
        )

        async def arrived():
            return [json.loads(q.body)["type"] for q in receiver.requests]

        types = await wait_until(
            lambda: _has(arrived(), {"intake.case.opened", "intake.case.resolved"}),
            message="the subscribed events at the receiver",
        )
        assert receiver.attempts == len(receiver.requests) + 1  # the first attempt failed and was retried
        for request in receiver.requests:
            envelope = Webhook(secret).verify(request.body, request.headers)
            assert request.headers["webhook-id"] == envelope["id"]  # receivers deduplicate on it
        assert sorted(set(types)) == sorted(types)  # each event once
        assert not any(t.startswith("intake.estate") for t in types)  # only what was subscribed to
    finally:
        receiver.stop()


async def _has(coro, wanted: set[str]):
    types = await coro
    return types if wanted <= set(types) else None
