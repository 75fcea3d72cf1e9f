"""`propdesk up`: the embedded PostgreSQL and NATS (unless servers are named), migrations, streams, every
service as its own supervised process, the local provider sinks, the demo estate."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import typer

from propdesk.common.runtime import FrontendDefinition, ServiceDefinition
from propdesk.common.services import (
    admin_headers,
    definitions,
    frontends,
    service_port,
    service_url,
    settings,
)


class Supervisor:
    """Runs each service as its own process; restarts a crashed one with backoff."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.restarts: dict[str, int] = {}
        self.stopping = False
        self.tasks: list[asyncio.Task] = []

    def start(self, defs: list[ServiceDefinition | FrontendDefinition]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.tasks += [asyncio.create_task(self._keep(d)) for d in defs]

    async def _keep(self, d: ServiceDefinition | FrontendDefinition) -> None:
        backoff = 1.0
        while not self.stopping:
            started = time.monotonic()
            with open(self.log_dir / f"{d.name}.log", "ab") as log:  # noqa: ASYNC230
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    f"{d.package}.main:create_app",
                    "--host",
                    os.environ.get(f"PROPDESK_{d.name.upper()}_HOST", "127.0.0.1"),
                    "--port",
                    str(service_port(d)),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                    env=self.env,
                    stdout=log,
                    stderr=log,
                )
                self.procs[d.name] = proc
                code = await proc.wait()
            if self.stopping:
                return
            self.restarts[d.name] = self.restarts.get(d.name, 0) + 1
            backoff = 1.0 if time.monotonic() - started > 60 else min(backoff * 2, 30.0)
            typer.secho(
                f"{d.name} exited with {code}; restarting in {backoff:.0f}s "
                f"(log: {self.log_dir / (d.name + '.log')})",
                fg="yellow",
                err=True,
            )
            await asyncio.sleep(backoff)

    async def stop(self) -> None:
        self.stopping = True
        for proc in self.procs.values():
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
        for proc in self.procs.values():
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
        for task in self.tasks:
            task.cancel()


def embedded_servers(data_dir: Path, pg_port: int, nats_port: int) -> tuple:
    """The embedded PostgreSQL and NATS (with its users) that `propdesk up` runs from a data directory, not
    started."""
    from propdesk.common.broker import Users
    from propdesk.common.embedded import EmbeddedNats, EmbeddedPostgres

    users = Users.load_or_create(data_dir / "nats" / "users.json")
    pg = EmbeddedPostgres(data_dir / "postgres", port=pg_port)
    return pg, EmbeddedNats(data_dir / "nats", port=nats_port, users=users), users


async def keep_running(servers: list, stop: asyncio.Event, every: float = 2.0) -> None:
    """Until `stop`: the embedded servers are supervised like the services; one that died is started again
    (the services reconnect by themselves: 503 meanwhile, consumers wait without spending deliveries)."""
    while not stop.is_set():
        for name, server in servers:
            if not await asyncio.to_thread(server.alive):
                typer.secho(f"embedded {name} stopped; starting it again", fg="yellow", err=True)
                try:
                    await asyncio.to_thread(server.start)
                    typer.secho(f"embedded {name} is back", fg="green", err=True)
                except Exception as exc:  # tried again on the next round
                    typer.secho(f"embedded {name} did not start: {exc}", fg="red", err=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


STALL_SECONDS = 90.0  # a starting service that used no CPU this long (or kept crashing) is stuck
GIVE_UP_SECONDS = 900.0


async def wait_ready(
    defs: list[ServiceDefinition | FrontendDefinition],
    supervisor: Supervisor | None = None,
    stall: float = STALL_SECONDS,
) -> dict[str, bool]:
    """Until every service answers /readyz, for as long as each one still starting is alive and making
    progress (its process uses CPU; a busy machine only makes it slower), saying every 15 s which ones it waits
    for. One that makes no progress for `stall` seconds, or crashed five times meanwhile, is named and given
    up on."""
    ready = {d.name: False for d in defs}
    progress: dict[str, tuple[float | None, float]] = {}  # name -> (CPU seconds seen, when they last changed)
    began = told = time.monotonic()
    restarts = dict(supervisor.restarts) if supervisor else {}
    async with httpx.AsyncClient(timeout=2) as client:
        while not all(ready.values()):
            for d in defs:
                if not ready[d.name]:
                    with contextlib.suppress(httpx.HTTPError):
                        ready[d.name] = (await client.get(service_url(d) + "/readyz")).status_code == 200
            now = time.monotonic()
            waiting = [n for n, ok in ready.items() if not ok]
            stuck = []
            for name in waiting:
                cpu = _cpu_seconds(supervisor, name)
                seen, since = progress.get(name, (None, now))
                crashed = (
                    supervisor is not None and supervisor.restarts.get(name, 0) - restarts.get(name, 0) >= 5
                )
                if cpu is not None and cpu != seen:
                    progress[name] = (cpu, now)
                elif crashed or now - since > stall or now - began > GIVE_UP_SECONDS:
                    stuck.append(name)
                else:
                    progress.setdefault(name, (cpu, now))
            if stuck:
                typer.secho(f"no progress from {', '.join(stuck)}: giving up on it", fg="red", err=True)
                return ready
            if waiting and now - told > 15:
                typer.echo(f"still starting (alive and working): {', '.join(waiting)}")
                told = now
            if waiting:
                await asyncio.sleep(0.3)
    return ready


def _cpu_seconds(supervisor: Supervisor | None, name: str) -> float | None:
    """CPU time a running service's process has used (Linux /proc), or None."""
    proc = supervisor.procs.get(name) if supervisor else None
    if proc is None or proc.returncode is not None:
        return None
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ensure_database(server_url: str, name: str) -> str:
    import asyncpg

    from propdesk.common.db import libpq_url, with_database

    conn = await asyncpg.connect(libpq_url(server_url))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def migrate_all(database_url: str, only: str | None = None) -> None:
    from propdesk.common.migrations import upgrade_async

    for d in definitions():
        if only is None or d.name == only:
            await upgrade_async(d.migrations_dir, database_url)


async def create_streams(nats_url: str, namespace: str, replicas: int, **options) -> None:
    from propdesk.common import bus

    nc = await bus.connect(nats_url, name="propdesk-cli", **options)
    try:
        await bus.ensure_all_streams(nc.jetstream(), namespace=namespace, replicas=replicas)
    finally:
        await nc.close()


async def _up(data_dir: Path, demo: bool, pg_port: int, nats_port: int) -> int:
    from propdesk.common.broker import platform_options

    data_dir = data_dir.resolve()  # noqa: ASYNC240
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    db_url, nats_url = env.get("PROPDESK_DATABASE_URL"), env.get("PROPDESK_NATS_URL")
    stops: list = []
    embedded: list = []  # (name, server) `propdesk up` keeps running
    supervisor: Supervisor | None = None
    try:
        if db_url and nats_url:
            typer.echo(f"external mode: PostgreSQL {db_url.split('@')[-1]}, NATS {nats_url}")
        else:
            pg, nats, users = embedded_servers(data_dir, pg_port, nats_port)
            typer.echo(f"starting embedded PostgreSQL on 127.0.0.1:{pg_port} ...")
            server = await asyncio.to_thread(pg.start)
            stops.append(pg.stop)
            db_url = await ensure_database(server, "propdesk")
            env.update(users.env_for_services())
            os.environ.update(users.env_for_services())
            typer.echo(
                f"starting embedded NATS (JetStream, sync_interval: always) on 127.0.0.1:{nats_port} ..."
            )
            nats_url = await asyncio.to_thread(nats.start)
            stops.append(nats.stop)
            embedded += [("PostgreSQL", pg), ("NATS", nats)]
        env.update({"PROPDESK_DATABASE_URL": db_url, "PROPDESK_NATS_URL": nats_url})
        identity = next((d for d in definitions() if d.name == "identity"), None)
        if identity is not None and "PROPDESK_JWT_JWKS_URL" not in env:
            # the platform runs on identity's keys; the dev secret stays for `propdesk token` (dev mode only)
            env["PROPDESK_JWT_JWKS_URL"] = service_url(identity) + "/.well-known/jwks.json"
        stops += start_provider_sinks(env, data_dir)
        os.environ.update({"PROPDESK_DATABASE_URL": db_url, "PROPDESK_NATS_URL": nats_url})
        s = settings()
        typer.echo("migrating ...")
        await migrate_all(db_url)
        await create_streams(nats_url, s.namespace, s.stream_replicas, **platform_options(s))
        defs = definitions()
        supervisor = Supervisor(env, data_dir / "logs")
        supervisor.start(defs)
        ready = await wait_ready(defs, supervisor)
        if not all(ready.values()):
            typer.secho(
                f"not ready: {[n for n, ok in ready.items() if not ok]} (see {data_dir / 'logs'})", fg="red"
            )
            return 1
        marker = data_dir / "demo-seeded"
        if demo or not marker.exists():
            summary = await seed_demo()
            marker.write_text(json.dumps(summary, ensure_ascii=False))
        screens = frontends()
        supervisor.start(screens)
        ready = await wait_ready(screens, supervisor)
        if not all(ready.values()):
            typer.secho(
                f"not ready: {[n for n, ok in ready.items() if not ok]} (see {data_dir / 'logs'})", fg="red"
            )
            return 1
        _print_table([*defs, *screens], data_dir)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await keep_running(embedded, stop)
        typer.echo("\nstopping ...")
        return 0
    finally:
        if supervisor is not None:
            await supervisor.stop()
        for stop_fn in reversed(stops):
            await asyncio.to_thread(stop_fn)
        typer.echo("stopped.")


def start_provider_sinks(env: dict[str, str], data_dir: Path) -> list:
    """Unless real providers are configured, run a local SMTP server and a local SMS gateway that keep what
    notify sends: mails as .eml files in <data>/mail, SMS requests as lines in <data>/sms.log."""
    import base64

    from propdesk.common.sinks import HttpSink, SmtpSink

    stops = []
    if "PROPDESK_NOTIFY_SMTP_HOST" not in env:
        port = int(env.get("PROPDESK_DEV_SMTP_PORT", "11025"))
        smtp = SmtpSink(
            port,
            folder=data_dir / "mail",
            on_mail=lambda m: typer.echo(f"mail caught → {', '.join(m.recipients)}: {m.subject}"),
        ).start()
        env.update({"PROPDESK_NOTIFY_SMTP_HOST": "127.0.0.1", "PROPDESK_NOTIFY_SMTP_PORT": str(port)})
        stops.append(smtp.stop)
    if "PROPDESK_NOTIFY_SMS_PROVIDERS" not in env:
        sms = HttpSink(int(env.get("PROPDESK_DEV_SMS_PORT", "11080")), log_file=data_dir / "sms.log").start()
        secret = "whsec_" + base64.b64encode(b"propdesk-dev-sms-gateway-secret!").decode()
        env["PROPDESK_NOTIFY_SMS_PROVIDERS"] = json.dumps(
            [{"name": "dev-sms-sink", "url": sms.url, "secret": secret}]
        )
        stops.append(sms.stop)
    return stops


def _print_table(defs: list[ServiceDefinition | FrontendDefinition], data_dir: Path) -> None:
    from propdesk.common.demo_accounts import DEMO_PASSWORD

    typer.secho("\npropdesk is up", fg="green", bold=True)
    typer.echo(f"{'service':<10} {'url':<24} {'API docs':<32} title")
    for d in defs:
        url = service_url(d)
        docs = url + "/docs" if isinstance(d, ServiceDefinition) else "(screens: open it and sign in)"
        typer.echo(f"{d.name:<10} {url:<24} {docs:<32} {d.title}")
    typer.echo(f"\ndata: {data_dir}   logs: {data_dir / 'logs'}")
    typer.echo(
        f"mail notify sent: {data_dir / 'mail'} (.eml files)   SMS notify sent: {data_dir / 'sms.log'}"
    )
    typer.echo(
        "try:  propdesk status   |   propdesk events tail   |   propdesk token --role admin --all-estates"
    )
    marker = data_dir / "demo-seeded"
    logins = json.loads(marker.read_text()).get("logins", {}) if marker.exists() else {}
    if logins:
        typer.echo(
            "demo sign-in (password "
            + DEMO_PASSWORD
            + "): "
            + ", ".join(f"{role} {login}" for role, login in sorted(logins.items()))
            + "; residents: their phone and the SMS code in sms.log"
        )
    typer.echo("Ctrl-C stops everything.")


async def seed_demo() -> dict:
    """Load the demo estate through intake's public API (see `propdesk.common.demo.load`)."""
    from propdesk.common.demo import generate, load, load_rota
    from propdesk.common.demo_accounts import load_accounts

    estate = generate()
    by_name = {d.name: d for d in definitions()}
    auth = admin_headers()
    async with (
        httpx.AsyncClient(base_url=service_url(by_name["intake"]), timeout=120) as client,
        httpx.AsyncClient(base_url=service_url(by_name["repairs"]), timeout=30) as repairs_client,
    ):
        summary = await load(client, auth, estate, warn=lambda text: typer.secho(text, fg="yellow"))
        listed = (await client.get("/v1/estates", headers=auth, params={"limit": 500})).json()["items"]
        estate_id = next(e["id"] for e in listed if e["code"] == estate.code)
        summary["technicians_on_rota"] = await load_rota(repairs_client, auth, estate_id)
    if "identity" in by_name:
        async with httpx.AsyncClient(base_url=service_url(by_name["identity"]), timeout=30) as identity:
            summary["logins"] = await load_accounts(identity, auth, estate)
    typer.echo(f"demo estate {estate.name} ({estate.code}) loaded: {summary}")
    return {"estate": estate.code, **summary}
