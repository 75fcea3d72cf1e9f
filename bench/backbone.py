"""make bench-backbone: the backbone's speed, measured against raw baselines in the same run.

Servers: embedded PostgreSQL (fsync on) and embedded NATS (JetStream file storage, sync_interval:
always), started fresh for the run, so every number below is durable.

  raw JetStream     publish with PubAck, pipelined in windows like the relay does (and one-at-a-time)
  raw Postgres      single-row INSERT + COMMIT, one connection
  pipeline          N events already committed to the outbox -> relay -> JetStream -> consumer with
                    inbox -> committed effect: sustained events/s until the last effect is committed
  latency           producers commit one event per transaction at a steady 200 events/s; the time from
                    the event's occurred_at to its effect's commit, p50 / p99
  idle RSS          each of the five services started as its own process, idle, resident memory

Targets (2 cores): pipeline >= 0.3 x raw JetStream; p99 <= 100 ms at 200 events/s; idle <= 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from importlib.metadata import entry_points
from pathlib import Path

import asyncpg
import httpx
import psutil
from _shared import pct, table
from sqlalchemy import text

from propdesk.common import bus, outbox
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from propdesk.common.events import build_envelope
from propdesk.common.migrations import upgrade
from propdesk.common.notifier import Notifier
from propdesk.common.testing.probe import Probe
from propdesk.common.uow import unit_of_work


async def raw_jetstream(nats_url: str, n: int, window: int) -> dict:
    nc = await bus.connect(nats_url, name="bench-raw")
    js = nc.jetstream()
    await js.add_stream(name="BENCHRAW", subjects=["benchraw.>"], storage="file")
    payload = json.dumps(
        build_envelope(
            EstateRegistered(estate_id=uuid.uuid4(), code="B", name="bench"), aggregate_id="x"
        ).model_dump(mode="json")
    ).encode()
    started = time.perf_counter()
    for i in range(0, n, window):
        await asyncio.gather(
            *(
                js.publish("benchraw.e", payload, headers={"Nats-Msg-Id": f"w{i + j}"})
                for j in range(min(window, n - i))
            )
        )
    pipelined = n / (time.perf_counter() - started)
    single_n = max(500, n // 10)
    started = time.perf_counter()
    for i in range(single_n):
        await js.publish("benchraw.e", payload, headers={"Nats-Msg-Id": f"s{i}"})
    single = single_n / (time.perf_counter() - started)
    await js.delete_stream("BENCHRAW")
    await nc.close()
    return {"pipelined_per_s": pipelined, "one_at_a_time_per_s": single}


async def raw_postgres(db_url: str, n: int) -> float:
    conn = await asyncpg.connect(db_url)
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, v uuid, at timestamptz)"
    )
    started = time.perf_counter()
    for _ in range(n):
        await conn.execute("INSERT INTO bench_raw (v, at) VALUES ($1, now())", uuid.uuid4())  # autocommit
    rate = n / (time.perf_counter() - started)
    await conn.close()
    return rate


async def prefill(probe: Probe, n: int) -> None:
    """n events committed to the outbox (through the same bulk path imports use), each its own aggregate."""
    async with unit_of_work(probe.sessionmaker) as session:
        for i in range(0, n, 2000):
            outbox.record_many(
                session,
                [
                    (EstateRegistered(estate_id=uuid.uuid4(), code=f"P{j}", name="bench"), uuid.uuid4())
                    for j in range(i, min(n, i + 2000))
                ],
            )


async def run_workers(probe: Probe, js, stop: asyncio.Event, notifier: Notifier):
    relay = probe.relay(js, batch=500, notifier=notifier, poll_seconds=1.0)
    consumer = probe.consumer(js, batch=200, fetch_timeout=1.0, ack_wait=30)
    await consumer.ensure()
    return [asyncio.create_task(relay.run(stop)), asyncio.create_task(consumer.run(stop))]


async def pipeline_throughput(probe: Probe, n: int) -> float:
    await prefill(probe, n)
    nc, js = await probe.js()
    notifier = Notifier(probe.database_url, [probe.tables.outbox_channel])
    await notifier.start()
    stop = asyncio.Event()
    started = time.perf_counter()
    tasks = await run_workers(probe, js, stop, notifier)
    while (await probe.effects())[0] < n:  # noqa: ASYNC110 - polling the database is the point
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    rows, distinct = await probe.effects()
    assert rows == distinct == n, (rows, distinct)
    await notifier.close()
    await nc.close()
    return n / elapsed


async def steady_latency(probe: Probe, rate: int, seconds: float) -> dict:
    async with probe.engine.begin() as conn:
        await conn.execute(text("TRUNCATE probe.effect"))
    nc, js = await probe.js()
    notifier = Notifier(probe.database_url, [probe.tables.outbox_channel])
    await notifier.start()
    stop = asyncio.Event()
    tasks = await run_workers(probe, js, stop, notifier)
    total = int(rate * seconds)
    interval = 1.0 / rate
    begin = time.perf_counter()
    pending: set[asyncio.Task] = set()
    for i in range(total):  # paced: event i is due at begin + i * interval (open loop)
        delay = begin + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(probe.record(1))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    offered = total / (time.perf_counter() - begin)
    while (await probe.effects())[0] < total:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    async with probe.sessionmaker() as s:
        lat = [
            float(r[0]) * 1000
            for r in await s.execute(
                text("SELECT extract(epoch FROM applied_at - occurred_at) FROM probe.effect")
            )
        ]
    await notifier.close()
    await nc.close()
    return {
        "offered_per_s": offered,
        "events": len(lat),
        "p50_ms": pct(lat, 0.5),
        "p99_ms": pct(lat, 0.99),
        "max_ms": max(lat),
    }


def idle_rss(db_url: str, nats_url: str, workdir: Path) -> dict[str, float]:
    defs = sorted((ep.load() for ep in entry_points(group="propdesk.services")), key=lambda d: d.port)
    for d in defs:
        upgrade(d.migrations_dir, db_url)
    procs, ports = {}, {}
    env = {
        **os.environ,
        "PROPDESK_DEV": "1",
        "PROPDESK_RATE_LIMIT_PER_TOKEN": "",  # a benchmark is one caller at hundreds of requests a second
        "PROPDESK_RATE_LIMIT_PER_ADDRESS": "",
        "PROPDESK_DATABASE_URL": db_url,
        "PROPDESK_NATS_URL": nats_url,
        "PROPDESK_NAMESPACE": "benchidle",
    }
    for d in defs:
        ports[d.name] = free_port()
        procs[d.name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"{d.package}.main:create_app",
                "--port",
                str(ports[d.name]),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=open(workdir / f"{d.name}.log", "wb"),  # noqa: SIM115 - the child keeps it
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        for name, port in ports.items():
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError(f"{name} did not become ready")
        time.sleep(3)  # idle
        return {name: psutil.Process(p.pid).memory_info().rss / 2**20 for name, p in procs.items()}
    finally:
        for p in procs.values():
            p.terminate()
            p.wait(15)


async def main(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="propdesk-bench-"))
    pg = EmbeddedPostgres(workdir / "pg", port=free_port(), durable=True)
    nats = EmbeddedNats(workdir / "nats", port=free_port(), sync_always=True)
    server, nats_url = await asyncio.to_thread(pg.start), await asyncio.to_thread(nats.start)
    try:
        conn = await asyncpg.connect(server)
        await conn.execute("CREATE DATABASE bench")
        await conn.close()
        db_url = server.rsplit("/", 1)[0] + "/bench"
        results: dict = {"cpus": os.cpu_count(), "events": args.events}
        print("raw JetStream publish ...", flush=True)
        results["raw_jetstream"] = await raw_jetstream(nats_url, args.events, window=500)
        print("raw Postgres commit ...", flush=True)
        results["raw_postgres_commit_per_s"] = await raw_postgres(db_url, args.commits)
        probe = Probe(db_url, nats_url, "bench")
        await probe.install()
        print("pipeline throughput ...", flush=True)
        results["pipeline_per_s"] = await pipeline_throughput(probe, args.events)
        print(f"latency at {args.rate} events/s ...", flush=True)
        results["latency"] = await steady_latency(probe, args.rate, args.seconds)
        await probe.close()
        print("idle RSS ...", flush=True)
        results["idle_rss_mb"] = await asyncio.to_thread(idle_rss, db_url, nats_url, workdir)
        return results
    finally:
        await asyncio.to_thread(nats.stop)
        await asyncio.to_thread(pg.stop)


def report(r: dict) -> str:
    raw = r["raw_jetstream"]["pipelined_per_s"]
    ratio = r["pipeline_per_s"] / raw
    lat = r["latency"]
    rss = r["idle_rss_mb"]
    rows = [
        ("raw JetStream publish, pipelined (durable)", f"{raw:,.0f} msg/s", "baseline"),
        (
            "raw JetStream publish, one at a time",
            f"{r['raw_jetstream']['one_at_a_time_per_s']:,.0f} msg/s",
            "",
        ),
        (
            "raw Postgres single-row commit (fsync on)",
            f"{r['raw_postgres_commit_per_s']:,.0f} commits/s",
            "baseline",
        ),
        (
            "pipeline outbox→relay→JetStream→inbox→effect",
            f"{r['pipeline_per_s']:,.0f} events/s",
            f"{ratio:.2f} × raw JetStream (target ≥ 0.30: {'met' if ratio >= 0.3 else 'NOT met'})",
        ),
        (
            "pipeline / raw Postgres commit",
            f"{r['pipeline_per_s'] / r['raw_postgres_commit_per_s']:.2f} ×",
            "",
        ),
        (
            f"end-to-end latency at {lat['offered_per_s']:.0f} events/s offered",
            f"p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, max {lat['max_ms']:.1f} ms",
            f"target p99 ≤ 100 ms: {'met' if lat['p99_ms'] <= 100 else 'NOT met'}",
        ),
        (
            "idle service RSS",
            ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()),
            f"target ≤ 150 MB: {'met' if max(rss.values()) <= 150 else 'NOT met'}",
        ),
    ]
    return table(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--commits", type=int, default=3_000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    result = asyncio.run(main(args))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "backbone.json").write_text(json.dumps(result, indent=2))
    print()
    print(report(result))
    print(f"\nraw numbers: {out / 'backbone.json'}")
