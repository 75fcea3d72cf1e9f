"""The console's benchmark (issue 17), on the real stack (embedded PostgreSQL with fsync, NATS; identity,
intake, repairs and the console each its own process):

1. The dispatcher's board of an estate with 2,000 open work orders and 40 technicians: the full page and the
   live-refresh fragment, 100 requests each, time at the client on loopback (p50/p95) and HTML size, next to
   the raw repairs API calls the board makes (dispatch queue + technicians) in the same run.
2. 500 browsers connected over Server-Sent Events to one console process: 20 changes (a new report each
   second through the repairs API); for each, the time from the report's answer to each of the 500 streams
   receiving it (p50/p99 over 10,000 deliveries), and the console's RSS and CPU per connected client.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from _shared import embedded_stack, instrument_gc_off, pct, table, wait_ready

from propdesk.common.auth import issue_token
from propdesk.common.settings import DEV_JWT_SECRET

ADMIN = {
    "Authorization": "Bearer " + issue_token(DEV_JWT_SECRET, sub="bench", roles=["admin"], all_estates=True)
}
ORDERS, TECHNICIANS, CLIENTS, CHANGES = 2000, 40, 500, 20
PASSWORD = "Bench-Console-2026"
SKILLS = ["plumbing", "electrical", "doors_windows", "hvac", "elevator", "fire_systems", "public_facilities"]


async def until(probe, timeout: float = 120.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await probe()
        if got:
            return got
        await asyncio.sleep(0.2)
    raise TimeoutError(what)


async def gather_limited(n: int, coros) -> list:
    sem = asyncio.Semaphore(n)

    async def one(c):
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def seed(intake: httpx.AsyncClient, repairs: httpx.AsyncClient, identity: httpx.AsyncClient) -> dict:
    eid = (await intake.post("/v1/estates", headers=ADMIN, json={"code": "BEN", "name": "基准花园"})).json()[
        "id"
    ]
    buildings = []
    for b in range(10):
        r = await intake.post(
            f"/v1/estates/{eid}/buildings",
            headers=ADMIN,
            json={"code": f"B{b}", "name": f"{b + 1}栋", "floors": 30},
        )
        buildings.append(r.json()["id"])
    units = await gather_limited(
        20,
        [
            intake.post(
                f"/v1/estates/{eid}/units",
                headers=ADMIN,
                json={
                    "building_id": buildings[u % 10],
                    "number": f"{u % 10 + 1}-{u:04d}",
                    "floor": u % 30 + 1,
                    "area_m2": "88.00",
                },
            )
            for u in range(200)
        ],
    )
    unit_ids = [u.json()["id"] for u in units]
    techs = await gather_limited(
        10,
        [
            intake.post(
                f"/v1/estates/{eid}/staff",
                headers=ADMIN,
                json={
                    "name": f"技师{t:02d}",
                    "department": "engineering",
                    "roles": ["technician"],
                    "phone": f"1390000{t:04d}",
                    "skills": [SKILLS[t % 7], SKILLS[(t + 1) % 7], SKILLS[(t + 3) % 7]],
                },
            )
            for t in range(TECHNICIANS)
        ],
    )
    tech_ids = [t.json()["id"] for t in techs]
    dispatcher = (
        await intake.post(
            f"/v1/estates/{eid}/staff",
            headers=ADMIN,
            json={
                "name": "调度员",
                "department": "customer_service",
                "roles": ["dispatcher"],
                "phone": "13800009999",
            },
        )
    ).json()["id"]

    async def all_technicians():
        r = await repairs.get(f"/v1/estates/{eid}/technicians", headers=ADMIN)
        return r.status_code == 200 and len(r.json()) >= TECHNICIANS

    await until(all_technicians, what="repairs to know the technicians")
    weekly = [{"weekday": d, "starts": "00:00", "ends": "23:59"} for d in range(7)]
    await gather_limited(
        10,
        [repairs.put(f"/v1/technicians/{t}/rota", headers=ADMIN, json={"weekly": weekly}) for t in tech_ids],
    )
    await repairs.put(
        f"/v1/estates/{eid}/repair-settings",
        headers=ADMIN,
        json={
            "auto_dispatch": False,
            "auto_close_days": 7,
            "duplicate_window_minutes": 0,
            "labour_rate_fen_per_hour": 8000,
        },
    )
    categories = ["plumbing", "electrical", "doors_windows", "hvac"]
    made = await gather_limited(
        20,
        [
            repairs.post(
                f"/v1/estates/{eid}/work-orders",
                headers=ADMIN,
                json={
                    "unit_id": unit_ids[n % 200],
                    "category": categories[n % 4],
                    "problem": "other",
                    "description": f"基准工单 {n}：水龙头滴水，需要更换阀芯",
                    "reporter_name": "业主",
                },
            )
            for n in range(ORDERS)
        ],
    )
    orders = [m.json() for m in made if m.status_code == 201]
    assert len(orders) == ORDERS, [m.text for m in made if m.status_code != 201][:3]
    # a third of them assigned, so lanes carry loads and rows show technicians
    await gather_limited(
        20,
        [
            repairs.post(
                f"/v1/work-orders/{o['id']}/actions",
                headers=ADMIN,
                json={"action": "assign", "technician_id": tech_ids[i % TECHNICIANS]},
            )
            for i, o in enumerate(orders[: ORDERS // 3])
        ],
    )

    async def account():
        r = await identity.get(f"/v1/people/{dispatcher}/account", headers=ADMIN)
        return r.json() if r.status_code == 200 else None

    acc = await until(account, what="the dispatcher's account")
    r = await identity.post(
        f"/v1/accounts/{acc['id']}/password", headers=ADMIN, json={"password": PASSWORD, "must_change": False}
    )
    assert r.status_code == 200, r.text
    return {"estate": eid, "units": unit_ids, "login": "13800009999"}


async def timed(client: httpx.AsyncClient, url: str, n: int = 100, **kw) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(n):
        start = time.perf_counter()
        r = await client.get(url, **kw)
        times.append(time.perf_counter() - start)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        size = len(r.content)
    return times, size


async def sse_fanout(
    console: str, cookies: dict, estate: str, repairs: httpx.AsyncClient, unit: str, proc
) -> dict:
    import psutil

    p = psutil.Process(proc.pid)
    rss_before = p.memory_info().rss
    received: dict[str, list[float]] = {}
    opened = 0
    ready = asyncio.Event()

    async def browser(client: httpx.AsyncClient) -> None:
        nonlocal opened
        async with client.stream("GET", f"/live?estate={estate}", cookies=cookies, timeout=None) as r:
            assert r.status_code == 200
            opened += 1
            if opened == CLIENTS:
                ready.set()
            data = None
            async for line in r.aiter_lines():
                if line.startswith("data:"):
                    data = line[5:].strip()
                elif line == "" and data:
                    ref = json.loads(data).get("reference")
                    if ref:
                        received.setdefault(ref, []).append(time.perf_counter())
                    data = None

    limits = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=CLIENTS + 10)
    async with httpx.AsyncClient(base_url=console, limits=limits) as client:
        tasks = [asyncio.create_task(browser(client)) for _ in range(CLIENTS)]
        await asyncio.wait_for(ready.wait(), 120)
        await asyncio.sleep(1)
        rss_connected = p.memory_info().rss
        cpu0 = sum(p.cpu_times()[:2])
        sent: dict[str, float] = {}
        with instrument_gc_off():
            for n in range(CHANGES):
                r = await repairs.post(
                    f"/v1/estates/{estate}/work-orders",
                    headers=ADMIN,
                    json={
                        "unit_id": unit,
                        "category": "plumbing",
                        "problem": "other",
                        "description": f"实时 {n}",
                    },
                )
                sent[r.json()["reference"]] = time.perf_counter()
                await asyncio.sleep(1)
            deadline = time.monotonic() + 10
            for _ in range(100):  # the last deliveries, for up to 10 s
                if (
                    time.monotonic() > deadline
                    or sum(len(received.get(r, [])) for r in sent) >= CHANGES * CLIENTS
                ):
                    break
                await asyncio.sleep(0.1)
        cpu = sum(p.cpu_times()[:2]) - cpu0
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [at - sent[ref] for ref in sent for at in received.get(ref, [])]
    return {
        "deliveries": len(latencies),
        "expected": CHANGES * CLIENTS,
        "p50_ms": pct(latencies, 0.5) * 1000 if latencies else float("nan"),
        "p99_ms": pct(latencies, 0.99) * 1000 if latencies else float("nan"),
        "rss_mib": rss_connected / 2**20,
        "rss_per_client_kib": (rss_connected - rss_before) / CLIENTS / 1024,
        "cpu_s": cpu,
        "cpu_per_client_ms": cpu / CLIENTS * 1000,
    }


async def main() -> None:
    async with embedded_stack("console") as stack:
        first = stack.start("identity")
        os.environ["PROPDESK_JWT_JWKS_URL"] = f"http://127.0.0.1:{first['identity']}/.well-known/jwks.json"
        ports = {**first, **stack.start("intake", "repairs")}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        async with (
            httpx.AsyncClient(base_url=urls["identity"], timeout=60) as identity,
            httpx.AsyncClient(base_url=urls["intake"], timeout=60) as intake,
            httpx.AsyncClient(base_url=urls["repairs"], timeout=60) as repairs,
        ):
            for c in (identity, intake, repairs):
                await wait_ready(c, timeout=60)
            seeded = await seed(intake, repairs, identity)
            os.environ["PROPDESK_CONSOLE_SERVICE_URLS"] = json.dumps(urls)
            console_port = stack.start("console")["console"]
            console_proc = stack.procs[-1]
            console = f"http://127.0.0.1:{console_port}"
            async with httpx.AsyncClient(base_url=console, timeout=60) as browser:
                await wait_ready(browser, timeout=60)
                r = await browser.post(
                    "/sign-in", data={"login": seeded["login"], "password": PASSWORD, "next": "/board"}
                )
                assert r.status_code == 303, r.text[:500]
                cookies = dict(browser.cookies)
                eid = seeded["estate"]
                await timed(browser, f"/board?estate={eid}", n=5)  # warm
                page, page_size = await timed(browser, f"/board?estate={eid}")
                fragment, fragment_size = await timed(browser, f"/board/queue?estate={eid}")
                raw_queue, _ = await timed(
                    repairs, f"/v1/estates/{eid}/dispatch-queue", params={"limit": 201}, headers=ADMIN
                )
                raw_techs, _ = await timed(repairs, f"/v1/estates/{eid}/technicians", headers=ADMIN)
                fan = await sse_fanout(console, cookies, eid, repairs, seeded["units"][0], console_proc)
    raw = [a + b for a, b in zip(raw_queue, raw_techs, strict=True)]
    print(
        table(
            [
                (
                    "board page (2,000 open, 40 technicians): p50 / p95",
                    f"{pct(page, 0.5) * 1000:.0f} / {pct(page, 0.95) * 1000:.0f} ms",
                    "p95 ≤ 150 ms",
                ),
                ("board page HTML", f"{page_size / 1024:.0f} KB (first 200 by SLA risk)", "≤ 300 KB"),
                (
                    "live refresh fragment: p50 / p95",
                    f"{pct(fragment, 0.5) * 1000:.0f} / {pct(fragment, 0.95) * 1000:.0f} ms",
                    "",
                ),
                ("live refresh fragment HTML", f"{fragment_size / 1024:.0f} KB", ""),
                (
                    "raw repairs calls the board makes (queue + technicians): p50 / p95",
                    f"{pct(raw, 0.5) * 1000:.0f} / {pct(raw, 0.95) * 1000:.0f} ms",
                    "baseline",
                ),
                ("board p50 / raw p50", f"{pct(page, 0.5) / pct(raw, 0.5):.2f}×", ""),
                (
                    f"SSE: deliveries of {CHANGES} changes to {CLIENTS} browsers",
                    f"{fan['deliveries']} / {fan['expected']}",
                    "all",
                ),
                (
                    "SSE: change → every browser p50 / p99",
                    f"{fan['p50_ms']:.0f} / {fan['p99_ms']:.0f} ms",
                    "p99 ≤ 1 s",
                ),
                (
                    "console RSS with 500 browsers / per browser",
                    f"{fan['rss_mib']:.0f} MiB / {fan['rss_per_client_kib']:.0f} KiB",
                    "",
                ),
                (
                    f"console CPU for {CHANGES} changes × {CLIENTS} browsers / per browser",
                    f"{fan['cpu_s']:.2f} s / {fan['cpu_per_client_ms']:.2f} ms",
                    "",
                ),
            ]
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
