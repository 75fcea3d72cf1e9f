"""The console against the real stack: identity, intake and repairs served over HTTP (uvicorn) on the test's
PostgreSQL and NATS, the console in front of them, and Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from propdesk.common.embedded import free_port
from propdesk.common.testing.helpers import served, token, wait_until
from propdesk.common.web import create_service_app
from propdesk.console.config import ConsoleSettings
from propdesk.console.main import create_app
from propdesk.identity.main import SERVICE as IDENTITY
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)
PASSWORD = "Console-Test-2026"
SCREENS = Path(os.environ.get("PROPDESK_SCREENSHOTS", "")) if os.environ.get("PROPDESK_SCREENSHOTS") else None
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}


def chromium_path() -> str | None:
    """Debian's Chromium (make browser installs it), else Playwright's own browser."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Stack:
    console: str
    identity: httpx.AsyncClient
    intake: httpx.AsyncClient
    repairs: httpx.AsyncClient
    console_app: object
    stops: list = field(default_factory=list)
    estate_id: str = ""
    unit_id: str = ""
    building_id: str = ""
    resident_id: str = ""
    logins: dict[str, str] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)

    def resident_headers(self) -> dict[str, str]:
        return token(
            "resident", estates=[self.estate_id], units=[self.unit_id], sub=self.resident_id, name="李娜"
        )


async def _person(stack: Stack, name: str, role: str, phone: str, **extra) -> str:
    department = {"technician": "engineering", "finance": "finance"}.get(role, "customer_service")
    r = await stack.intake.post(
        f"/v1/estates/{stack.estate_id}/staff",
        headers=ADMIN,
        json={"name": name, "department": department, "roles": [role], "phone": phone, **extra},
    )
    assert r.status_code == 201, r.text
    person = r.json()["id"]

    async def account():
        got = await stack.identity.get(f"/v1/people/{person}/account", headers=ADMIN)
        return got.json() if got.status_code == 200 else None

    acc = await wait_until(account, timeout=30, message=f"identity's account for {name}")
    r = await stack.identity.post(
        f"/v1/accounts/{acc['id']}/password", headers=ADMIN, json={"password": PASSWORD, "must_change": False}
    )
    assert r.status_code == 200, r.text
    stack.logins[role] = phone
    stack.people[role] = person
    return person


@pytest.fixture
async def stack(platform_env) -> AsyncIterator[Stack]:
    ports = {name: free_port() for name in ("identity", "intake", "repairs", "console")}
    jwks = {"jwt_jwks_url": f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json"}
    with contextlib.ExitStack() as servers:
        # a wrong password makes the next attempt wait (identity): a short wait here, the rule is the same
        extra = {"identity": {"failure_delay_seconds": 0.05}}
        urls = {
            d.name: servers.enter_context(
                served(
                    create_service_app(
                        d, platform_env.settings(d, port=ports[d.name], **jwks, **extra.get(d.name, {}))
                    ),
                    ports[d.name],
                )
            )
            for d in (IDENTITY, INTAKE, REPAIRS)
        }
        settings = ConsoleSettings(
            dev=True,
            port=ports["console"],
            namespace=platform_env.namespace,
            service_urls=urls,
            **{k: v for k, v in platform_env.nats_credentials("console").items()},
            **jwks,
        )
        app = create_app(settings)
        console = servers.enter_context(served(app, ports["console"]))
        async with (
            httpx.AsyncClient(base_url=urls["identity"], timeout=30) as identity,
            httpx.AsyncClient(base_url=urls["intake"], timeout=30) as intake,
            httpx.AsyncClient(base_url=urls["repairs"], timeout=30) as repairs,
        ):
            yield Stack(console, identity, intake, repairs, app)


@pytest.fixture
async def estate(stack: Stack) -> Stack:
    """An estate with a building, a unit and its owner, a dispatcher, a technician (plumbing, on shift all
    week), a receptionist, a parts price list, and automatic dispatch off so the dispatcher decides."""
    s = stack
    s.estate_id = (
        await s.intake.post("/v1/estates", headers=ADMIN, json={"code": "YMS", "name": "阳明山庄"})
    ).json()["id"]
    b = await s.intake.post(
        f"/v1/estates/{s.estate_id}/buildings", headers=ADMIN, json={"code": "3", "name": "3栋", "floors": 18}
    )
    s.building_id = b.json()["id"]
    unit = await s.intake.post(
        f"/v1/estates/{s.estate_id}/units",
        headers=ADMIN,
        json={"building_id": s.building_id, "number": "3-1201", "floor": 12, "area_m2": "98.50"},
    )
    s.unit_id = unit.json()["id"]
    resident = await s.intake.post(
        f"/v1/estates/{s.estate_id}/residents",
        headers=ADMIN,
        json={"name": "李娜", "phone": "13812345678", "occupancy": {"unit_id": s.unit_id, "role": "owner"}},
    )
    s.resident_id = resident.json()["id"]
    await _person(s, "王调度", "dispatcher", "13900000001")
    tech = await _person(s, "张师傅", "technician", "13900000002", skills=["plumbing", "electrical"])
    await _person(s, "陈前台", "receptionist", "13900000003")

    async def repairs_knows_the_technician():
        r = await s.repairs.get(f"/v1/estates/{s.estate_id}/technicians", headers=ADMIN)
        return r.status_code == 200 and any(t["id"] == tech for t in r.json())

    await wait_until(repairs_knows_the_technician, timeout=30, message="repairs to know the technician")
    weekly = [{"weekday": d, "starts": "00:00", "ends": "23:59"} for d in range(7)]
    r = await s.repairs.put(f"/v1/technicians/{tech}/rota", headers=ADMIN, json={"weekly": weekly})
    assert r.status_code == 200, r.text
    r = await s.repairs.put(
        f"/v1/estates/{s.estate_id}/repair-settings",
        headers=ADMIN,
        json={
            "auto_dispatch": False,
            "auto_close_days": 7,
            "duplicate_window_minutes": 240,
            "labour_rate_fen_per_hour": 8000,
        },
    )
    assert r.status_code == 200, r.text
    r = await s.repairs.put(
        f"/v1/estates/{s.estate_id}/price-items",
        headers=ADMIN,
        json={"code": "VALVE-DN15", "name": "角阀 DN15", "unit": "个", "price_fen": 3550},
    )
    assert r.status_code in (200, 201), r.text
    return s


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        path = chromium_path()
        b = (
            await p.chromium.launch(executable_path=path, args=["--no-sandbox"])
            if path
            else await p.chromium.launch()
        )
        yield b
        await b.close()
