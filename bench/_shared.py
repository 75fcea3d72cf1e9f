"""What every benchmark script uses: percentiles, waiting for a service, the markdown result table."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@contextlib.contextmanager
def instrument_gc_off() -> Iterator[None]:
    """While a load generator measures, its own garbage collector stays off: it is the instrument, and a full
    collection of its growing result lists (seen here: 140 ms, twice a minute) would be counted as latency
    of every request in flight. Collected and frozen before, back on after. The services keep theirs."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


class CpuMeter:
    """CPU seconds service processes and PostgreSQL (every backend of the server under `pg_dir`) spent since
    it was made: unlike wall time, hardly moved by how fast this machine's disk syncs this hour. `pids`: a
    pid, or {name: pid}."""

    def __init__(self, pids: int | dict[str, int], pg_dir: Path) -> None:
        import psutil

        named = {"service": pids} if isinstance(pids, int) else pids
        self.processes = {name: psutil.Process(pid) for name, pid in named.items()}
        postmaster = int((Path(pg_dir) / "pgdata" / "postmaster.pid").read_text().split()[0])
        self.pg = psutil.Process(postmaster)
        self.start = self._now()

    @staticmethod
    def _cpu(p) -> float:
        t = p.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

    def _now(self) -> dict[str, float]:
        now = {name: self._cpu(p) for name, p in self.processes.items()}
        now["postgres"] = self._cpu(self.pg) + sum(
            self._cpu(c) for c in self.pg.children(recursive=True) if c.is_running()
        )
        return now

    def spent(self) -> dict[str, float]:
        now = self._now()
        return {name: now[name] - self.start[name] for name in now}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def wait_ready(client: httpx.AsyncClient, timeout: float = 30.0) -> None:
    """Until the service's /readyz says yes (its base_url is the client's)."""
    for _ in range(int(timeout * 10)):
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{client.base_url} did not become ready in {timeout} s")


def table(rows: list[tuple[str, str, str]]) -> str:
    return "\n".join(
        ["| measure | result | verdict |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    )


def start_service(name: str, port: int, env: dict, work: Path) -> subprocess.Popen:
    """One propdesk service as its own uvicorn process, logging to <work>/<name>.log."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"propdesk.{name}.main:create_app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-keep-alive",
            "60",
        ],
        env=env,
        stdout=open(work / f"{name}.log", "wb"),
        stderr=subprocess.STDOUT,
    )


def stop_services(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Stack:
    """Embedded PostgreSQL (fsync on) and NATS with every service's schema migrated and the streams made."""

    work: Path
    db_url: str
    nats_url: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, *names: str) -> dict[str, int]:
        """Start services as their own processes; returns their ports."""
        from propdesk.common.embedded import free_port

        env = {
            **os.environ,
            "PROPDESK_DEV": "1",
            "PROPDESK_RATE_LIMIT_PER_TOKEN": "",  # a benchmark is one caller at hundreds of requests a second
            "PROPDESK_RATE_LIMIT_PER_ADDRESS": "",
            "PROPDESK_DATABASE_URL": self.db_url,
            "PROPDESK_NATS_URL": self.nats_url,
        }
        ports = {name: free_port() for name in names}
        self.procs += [start_service(name, ports[name], env, self.work) for name in names]
        return ports


@asynccontextmanager
async def embedded_stack(name: str) -> AsyncIterator[Stack]:
    import asyncpg

    from propdesk.common.embedded import EmbeddedNats, EmbeddedPostgres, free_port
    from propdesk.common.platform import create_streams, migrate_all

    work = Path(tempfile.mkdtemp(prefix=f"propdesk-bench-{name}-"))
    pg, nats = EmbeddedPostgres(work / "pg", port=free_port()), EmbeddedNats(work / "nats", port=free_port())
    server, nats_url = pg.start(), nats.start()
    stack = Stack(work, server.rsplit("/", 1)[0] + "/bench", nats_url)
    try:
        conn = await asyncpg.connect(server)
        await conn.execute("CREATE DATABASE bench")
        await conn.close()
        await migrate_all(stack.db_url)
        await create_streams(nats_url, "propdesk", 1)
        yield stack
    finally:
        stop_services(stack.procs)
        nats.stop()
        pg.stop()
        if os.environ.get("PROPDESK_BENCH_KEEP"):  # the services' logs and the data, to look into a run
            print(f"kept {work}", flush=True)
        else:  # a database and a JetStream store per run add up (hundreds of MB each)
            shutil.rmtree(work, ignore_errors=True)


async def timer_lateness(
    db,
    schema: str,
    keys: list[str],
    *,
    event_types: list[str],
    key_of,
    spread: float = 20.0,
    wait: float = 90.0,
) -> dict:
    """Make the timers under `keys` due one after another over `spread` seconds, wait for the events their
    handler records (`event_types` in <schema>.outbox), and return how late each fired: the event's
    occurred_at after its timer's due time. `key_of(payload)` gives the timer key an event belongs to."""
    start = await db.fetchval("SELECT now() + interval '3 seconds'")
    await db.execute(
        f"UPDATE {schema}.timer t SET due_at = $2::timestamptz + (k.n * $3::float / $4) * interval '1 second' "
        "FROM unnest($1::text[]) WITH ORDINALITY AS k(key, n) WHERE t.key = k.key",
        keys,
        start,
        spread,
        len(keys),
    )
    due = {
        r["key"]: r["due_at"]
        for r in await db.fetch(f"SELECT key, due_at FROM {schema}.timer WHERE key = ANY($1)", keys)
    }
    query = (
        f"SELECT envelope->'payload' AS p, (envelope->>'occurred_at')::timestamptz AS at FROM {schema}.outbox "
        "WHERE event_type = ANY($1) AND (envelope->>'occurred_at')::timestamptz >= $2"
    )
    deadline, rows = time.monotonic() + spread + wait, []
    while time.monotonic() < deadline:
        rows = await db.fetch(query, event_types, start)
        if len(rows) >= len(keys):
            break
        await asyncio.sleep(0.5)
    lateness = []
    for r in rows:
        payload = r["p"] if isinstance(r["p"], dict) else json.loads(r["p"])
        if (k := key_of(payload)) in due:
            lateness.append((r["at"] - due[k]).total_seconds())
    return {
        "timers": len(keys),
        "fired": len(lateness),
        "p50": pct(lateness, 0.5),
        "p99": pct(lateness, 0.99),
        "max": max(lateness),
    }
