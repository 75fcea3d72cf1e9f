"""The demo estate's staff get accounts in identity: a login each and the documented demo password."""

from __future__ import annotations

import httpx

from propdesk.common.demo import DemoEstate, Staff

DEMO_PASSWORD = (
    "propdesk-demo-2026"  # every demo staff member's (documented in the README); never outside dev
)


def demo_login(estate: DemoEstate, member: Staff) -> str:
    return f"{estate.code.lower()}{member.extension}"


async def load_accounts(
    identity: httpx.AsyncClient, auth: dict, estate: DemoEstate, *, timeout: float = 60
) -> dict[str, str]:
    """Give every demo staff member a login (`yms8001` …) and the demo password, once identity has their
    accounts (it makes them from intake's events). Returns one login per role, to print."""
    import asyncio
    import time

    logins: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    for member in estate.staff:
        if member.registry_id is None:
            continue
        while True:
            r = await identity.get(f"/v1/people/{member.registry_id}/account", headers=auth)
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        if r.status_code != 200:
            raise RuntimeError(
                f"identity has no account for demo staff {member.name}: {r.status_code} {r.text[:200]}"
            )
        account = r.json()
        login = demo_login(estate, member)
        if account["has_password"]:
            logins.setdefault(member.role, login)
            continue
        done = await identity.post(
            f"/v1/accounts/{account['id']}/password",
            headers=auth,
            json={"password": DEMO_PASSWORD, "login": login, "must_change": False},
        )
        if done.status_code != 200:
            raise RuntimeError(f"setting the demo password failed: {done.status_code} {done.text[:300]}")
        logins.setdefault(member.role, login)
    return logins
