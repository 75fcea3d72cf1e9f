"""Request limits: a body over an operation's limit is refused (413) while it streams in, before it is held
in memory; an import takes more, as its route says."""

from __future__ import annotations

import gc

import httpx
import psutil
import pytest

from propdesk.common.services import definitions
from propdesk.common.web import MAX_BODY_BYTES, create_service_app

MB = 2**20


async def chunks(total: int, size: int = MB):
    sent = 0
    yield b'{"name": "'
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("intake", "/v1/estates"),
        ("billing", "/v1/webhooks/payments"),  # anonymous: the signature is checked after the body
        ("incidents", "/v1/webhooks/alarm-panel/01a23b7c-6a72-7000-8f88-bf7d2610405f"),
        ("notify", "/v1/templates/preview"),
        ("repairs", "/v1/estates/01a23b7c-6a72-7000-8f88-bf7d2610405f/work-orders"),
    ],
)
async def test_a_50_mb_body_is_refused_without_being_held(service: str, path: str):
    d = next(x for x in definitions() if x.name == service)
    app = create_service_app(d)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        r = await client.post(path, content=chunks(50 * MB), headers={"content-type": "application/json"})
    grown = process.memory_info().rss - before
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert grown < 20 * MB, f"the process grew {grown / MB:.1f} MiB reading a refused body"
    assert MAX_BODY_BYTES == MB
