"""make bench-notify: a 10,000-recipient broadcast, beside raw baselines measured in the same run.

notify runs as its own process on embedded PostgreSQL (fsync on) and NATS. Setup (not measured): 10,000
resident recipients in 5,000 units written straight into notify's projection. Then:

  stored      POST one notice to all 5,000 units: time until 10,000 messages (and their deliveries and
              timers) are committed, i.e. in the inboxes
  handed      time until the local SMS sink has received all 10,000 SMS, with retries on: the sink
              fails every 20th request, which notify retries (on the second provider)
  raw HTTP    the same number of signed POSTs to the same sink straight from httpx, 64 in flight
  raw insert  40,000 rows (the messages and deliveries' worth) in one transaction through asyncpg

Targets (2 cores): stored <= 3 s; handed to the SMS adapter >= 500 deliveries/s.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import httpx
from _shared import CpuMeter, table, wait_ready

from propdesk.common.auth import issue_token
from propdesk.common.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from propdesk.common.migrations import upgrade
from propdesk.common.settings import DEV_JWT_SECRET
from propdesk.common.sinks import HttpSink
from propdesk.notify.main import SERVICE

N, UNITS = 10_000, 5_000
SECRET = "whsec_" + base64.b64encode(b"propdesk-bench-provider-secret-32").decode()


async def setup(db_url: str, estate_id: uuid.UUID) -> list[str]:
    conn = await asyncpg.connect(db_url)
    await conn.execute(
        "INSERT INTO notify.estate (id, code, name, timezone, registered_at) "
        "VALUES ($1, 'BIG', '大型小区', 'Asia/Shanghai', now())",
        estate_id,
    )
    await conn.execute(
        "INSERT INTO notify.quiet_hours (id, estate_id, starts, ends, timezone, applies_to) VALUES "
        "(gen_random_uuid(), $1, '03:00', '03:01', 'Asia/Shanghai', 'non_critical')",
        estate_id,
    )
    units = [uuid.uuid4() for _ in range(UNITS)]
    rows = [
        (
            uuid.uuid4(),
            estate_id,
            "resident",
            f"住户{i}",
            f"+86138{i:08d}",
            None,
            "en" if i % 10 == 0 else "zh-CN",
            [units[i // 2]],
            ["resident"],
            True,
        )
        for i in range(N)
    ]
    await conn.copy_records_to_table(
        "recipient",
        schema_name="notify",
        records=rows,
        columns=["id", "estate_id", "kind", "name", "phone", "email", "language", "units", "roles", "active"],
    )
    await conn.execute("ANALYZE")
    await conn.close()
    return [str(u) for u in units]


class SinkProcess:
    """A stand-in gateway in its own process (so it does not share the benchmark's interpreter lock); it
    appends every accepted body to a file, which is how the benchmark counts and checks what arrived."""

    def __init__(self, fail_every: int = 0) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="sink-", suffix=".log")[1])
        self.process = multiprocessing.get_context("spawn").Process(
            target=_run_sink, args=(self.port, fail_every, str(self.log)), daemon=True
        )
        self.process.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=0.2)
                break
            except httpx.HTTPError:
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    def received(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def count(self) -> int:
        return self.log.read_bytes().count(b"\n")

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def _run_sink(port: int, fail_every: int, log: str) -> None:
    HttpSink(port, fail_every=fail_every, log_file=Path(log)).start().thread.join()


async def raw_http(sink: SinkProcess, n: int) -> float:
    """The same client notify uses (aiohttp), the same concurrency (64), no database: the ceiling."""
    limit = asyncio.Semaphore(64)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as client:

        async def one(i: int) -> None:
            async with (
                limit,
                client.post(
                    sink.url,
                    data=json.dumps({"to": f"+86139{i:08d}", "text": "x"}),
                    headers={"content-type": "application/json", "webhook-id": f"raw_{i}"},
                ) as r,
            ):
                await r.read()

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - started)


async def raw_insert(db_url: str, n: int) -> float:
    conn = await asyncpg.connect(db_url)
    await conn.execute("CREATE TABLE raw_rows (id uuid PRIMARY KEY, a uuid, b text, c jsonb, d timestamptz)")
    rows = [(uuid.uuid4(), uuid.uuid4(), "pending", '{"x": 1}', None) for _ in range(n)]
    started = time.perf_counter()
    async with conn.transaction():
        await conn.executemany("INSERT INTO raw_rows VALUES ($1, $2, $3, $4::jsonb, $5)", rows)
    elapsed = time.perf_counter() - started
    await conn.close()
    return elapsed


async def main() -> dict:
    work = Path(tempfile.mkdtemp(prefix="propdesk-bench-notify-"))
    pg, nats = EmbeddedPostgres(work / "pg", port=free_port()), EmbeddedNats(work / "nats", port=free_port())
    server, nats_url = pg.start(), nats.start()
    primary, backup, baseline_sink = SinkProcess(fail_every=20), SinkProcess(), SinkProcess()
    proc = None
    try:
        conn = await asyncpg.connect(server)
        await conn.execute("CREATE DATABASE bench")
        await conn.close()
        db_url = server.rsplit("/", 1)[0] + "/bench"
        await asyncio.to_thread(upgrade, SERVICE.migrations_dir, db_url)
        estate_id = uuid.uuid4()
        units = await setup(db_url, estate_id)
        results: dict = {"recipients": N}
        results["raw_http_per_s"] = await raw_http(baseline_sink, N)
        results["raw_insert_40k_s"] = await raw_insert(db_url, 4 * N)
        port = free_port()
        providers = [
            {"name": "primary", "url": primary.url, "secret": SECRET},
            {"name": "backup", "url": backup.url, "secret": SECRET},
        ]
        env = {
            **os.environ,
            "PROPDESK_DEV": "1",
            "PROPDESK_RATE_LIMIT_PER_TOKEN": "",  # a benchmark is one caller at hundreds of requests a second
            "PROPDESK_RATE_LIMIT_PER_ADDRESS": "",
            "PROPDESK_DATABASE_URL": db_url,
            "PROPDESK_NATS_URL": nats_url,
            "PROPDESK_NOTIFY_SMS_PROVIDERS": json.dumps(providers),
            "PROPDESK_NOTIFY_RETRY_BASE_SECONDS": "0.2",
            "PROPDESK_NOTIFY_TIMER_BATCH": "500",
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "propdesk.notify.main:create_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
            command,
            env=env,
            stdout=open(work / "notify.log", "wb"),  # noqa: SIM115, ASYNC230
            stderr=subprocess.STDOUT,
        )
        token = issue_token(DEV_JWT_SECRET, sub="bench", roles=["manager"], estates=[estate_id])
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=120, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            await wait_ready(client)
            cpu = CpuMeter(proc.pid, pg.data_dir)
            started = time.perf_counter()
            r = await client.post(
                f"/v1/estates/{estate_id}/notices",
                json={
                    "unit_ids": units,
                    "title_zh": "停水通知",
                    "body_zh": "明日 9:00-12:00 停水",
                    "title_en": "Water off",
                    "body_en": "Water is off tomorrow 9:00-12:00",
                    "category": "outage",
                },
            )
            assert r.status_code == 201 and r.json()["recipients"] == N, r.text[:300]
            results["stored_s"] = time.perf_counter() - started
            results["stored_cpu"] = cpu.spent()
            while primary.count() + backup.count() < N:
                if time.perf_counter() - started > 300:
                    raise TimeoutError(f"only {primary.count() + backup.count()} SMS arrived")
                await asyncio.sleep(0.05)
            results["handed_s"] = time.perf_counter() - started
            results["handed_cpu"] = cpu.spent()
            results["handed_per_s"] = N / results["handed_s"]
            arrived = primary.received() + backup.received()
            results["retried"] = len(primary.received()) // 19  # every 20th request to the primary failed
            results["unique_recipients"] = len({body["to"] for body in arrived})
        return results
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(15)
        for sink in (primary, backup, baseline_sink):
            sink.stop()
        nats.stop()
        pg.stop()


def report(r: dict) -> str:
    rows = [
        (
            "broadcast stored in 10,000 inboxes (POST to 201)",
            f"{r['stored_s']:.2f} s",
            f"target ≤ 3 s: {'met' if r['stored_s'] <= 3 else 'NOT met'}",
        ),
        (
            "raw: 40,000 rows inserted in one transaction",
            f"{r['raw_insert_40k_s']:.2f} s",
            f"stored = {r['stored_s'] / r['raw_insert_40k_s']:.1f} × raw",
        ),
        (
            f"10,000 SMS handed to the adapter ({r['retried']} failed first and were retried)",
            f"{r['handed_s']:.1f} s = {r['handed_per_s']:,.0f} deliveries/s",
            f"target ≥ 500/s: {'met' if r['handed_per_s'] >= 500 else 'NOT met'}",
        ),
        (
            "raw: POSTs to the same kind of gateway with notify's client (aiohttp), 64 in flight",
            f"{r['raw_http_per_s']:,.0f} /s",
            f"handed = {r['handed_per_s'] / r['raw_http_per_s']:.2f} × raw",
        ),
        ("distinct phone numbers reached", f"{r['unique_recipients']:,}", "every recipient once"),
        (
            "CPU seconds spent: the broadcast (to 201) / until every SMS was handed",
            f"notify {r['stored_cpu']['service']:.2f} / {r['handed_cpu']['service']:.2f}, PostgreSQL "
            f"{r['stored_cpu']['postgres']:.2f} / {r['handed_cpu']['postgres']:.2f}",
            "(not moved by the disk's speed)",
        ),
    ]
    return table(rows)


if __name__ == "__main__":
    result = asyncio.run(main())
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "notify.json").write_text(json.dumps(result, indent=2))
    print(report(result))
