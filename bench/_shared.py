"""What every benchmark script uses: percentiles, waiting for a service, the markdown result table."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx


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
