"""`propdesk`: run the platform locally and look inside it.

The CLI is a developer and operator tool: unless PROPDESK_DEV=0 it runs in dev mode (dev JWT secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import typer

os.environ.setdefault("PROPDESK_DEV", "1")

from propdesk.common.auth import issue_token
from propdesk.common.runtime import ServiceDefinition
from propdesk.common.settings import CommonSettings

app = typer.Typer(help="propdesk: property-management service desk platform", no_args_is_help=True)
events_app = typer.Typer(help="Watch events on the bus", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters: events and timers that failed every attempt", no_args_is_help=True)
seed_app = typer.Typer(help="Load data", no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(dlq_app, name="dlq")
app.add_typer(seed_app, name="seed")

DEFAULT_PG_PORT = 15432
DEFAULT_NATS_PORT = 14222


def definitions() -> list[ServiceDefinition]:
    defs = [ep.load() for ep in entry_points(group="propdesk.services")]
    return sorted(defs, key=lambda d: d.port)


def settings() -> CommonSettings:
    return CommonSettings()


def service_port(d: ServiceDefinition) -> int:
    return int(os.environ.get(f"PROPDESK_{d.name.upper()}_PORT", d.port))


def service_url(d: ServiceDefinition) -> str:
    host = os.environ.get(f"PROPDESK_{d.name.upper()}_HOST", "127.0.0.1")
    return f"http://{host}:{service_port(d)}"


def admin_headers() -> dict[str, str]:
    s = settings()
    jwt = issue_token(
        s.jwt_secret.get_secret_value(),
        sub="propdesk-cli",
        roles=["admin"],
        all_estates=True,
        issuer=s.jwt_issuer,
    )
    return {"Authorization": f"Bearer {jwt}"}


# ---------------------------------------------------------------- up


class Supervisor:
    """Runs each service as its own process; restarts a crashed one with backoff."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.restarts: dict[str, int] = {}
        self.stopping = False
        self.tasks: list[asyncio.Task] = []

    def start(self, defs: list[ServiceDefinition]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.tasks = [asyncio.create_task(self._keep(d)) for d in defs]

    async def _keep(self, d: ServiceDefinition) -> None:
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


async def wait_ready(defs: list[ServiceDefinition], timeout: float = 90.0) -> dict[str, bool]:
    deadline = time.monotonic() + timeout
    ready = {d.name: False for d in defs}
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline and not all(ready.values()):
            for d in defs:
                if not ready[d.name]:
                    with contextlib.suppress(httpx.HTTPError):
                        ready[d.name] = (await client.get(service_url(d) + "/readyz")).status_code == 200
            if not all(ready.values()):
                await asyncio.sleep(0.3)
    return ready


async def ensure_database(server_url: str, name: str) -> str:
    import asyncpg

    from propdesk.common.db import libpq_url
    from propdesk.common.testing.plugin import _with_database

    conn = await asyncpg.connect(libpq_url(server_url))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _with_database(server_url, name)


async def migrate_all(database_url: str, only: str | None = None) -> None:
    from propdesk.common.migrations import upgrade_async

    for d in definitions():
        if only is None or d.name == only:
            await upgrade_async(d.migrations_dir, database_url)


async def create_streams(nats_url: str, namespace: str, replicas: int) -> None:
    from propdesk.common import bus

    nc = await bus.connect(nats_url, name="propdesk-cli")
    try:
        await bus.ensure_all_streams(nc.jetstream(), namespace=namespace, replicas=replicas)
    finally:
        await nc.close()


async def _up(data_dir: Path, demo: bool, pg_port: int, nats_port: int) -> int:
    from propdesk.common.embedded import EmbeddedNats, EmbeddedPostgres

    data_dir = data_dir.resolve()  # noqa: ASYNC240
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    db_url, nats_url = env.get("PROPDESK_DATABASE_URL"), env.get("PROPDESK_NATS_URL")
    stops: list = []
    supervisor: Supervisor | None = None
    try:
        if db_url and nats_url:
            typer.echo(f"external mode: PostgreSQL {db_url.split('@')[-1]}, NATS {nats_url}")
        else:
            pg = EmbeddedPostgres(data_dir / "postgres", port=pg_port)
            typer.echo(f"starting embedded PostgreSQL on 127.0.0.1:{pg_port} ...")
            server = await asyncio.to_thread(pg.start)
            stops.append(pg.stop)
            db_url = await ensure_database(server, "propdesk")
            nats = EmbeddedNats(data_dir / "nats", port=nats_port)
            typer.echo(
                f"starting embedded NATS (JetStream, sync_interval: always) on 127.0.0.1:{nats_port} ..."
            )
            nats_url = await asyncio.to_thread(nats.start)
            stops.append(nats.stop)
        env.update({"PROPDESK_DATABASE_URL": db_url, "PROPDESK_NATS_URL": nats_url})
        stops += start_provider_sinks(env, data_dir)
        os.environ.update({"PROPDESK_DATABASE_URL": db_url, "PROPDESK_NATS_URL": nats_url})
        s = settings()
        typer.echo("migrating ...")
        await migrate_all(db_url)
        await create_streams(nats_url, s.namespace, s.stream_replicas)
        defs = definitions()
        supervisor = Supervisor(env, data_dir / "logs")
        supervisor.start(defs)
        ready = await wait_ready(defs)
        if not all(ready.values()):
            typer.secho(
                f"not ready: {[n for n, ok in ready.items() if not ok]} (see {data_dir / 'logs'})", fg="red"
            )
            return 1
        marker = data_dir / "demo-seeded"
        if demo or not marker.exists():
            summary = await seed_demo()
            marker.write_text(json.dumps(summary, ensure_ascii=False))
        _print_table(defs, data_dir)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
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


def _print_table(defs: list[ServiceDefinition], data_dir: Path) -> None:
    typer.secho("\npropdesk is up", fg="green", bold=True)
    typer.echo(f"{'service':<10} {'url':<24} {'API docs':<32} title")
    for d in defs:
        url = service_url(d)
        typer.echo(f"{d.name:<10} {url:<24} {url + '/docs':<32} {d.title}")
    typer.echo(f"\ndata: {data_dir}   logs: {data_dir / 'logs'}")
    typer.echo(
        f"mail notify sent: {data_dir / 'mail'} (.eml files)   SMS notify sent: {data_dir / 'sms.log'}"
    )
    typer.echo(
        "try:  propdesk status   |   propdesk events tail   |   propdesk token --role admin --all-estates"
    )
    typer.echo("Ctrl-C stops everything.")


@app.command()
def up(
    demo: bool = typer.Option(False, "--demo", help="seed the demo estate even if it was seeded before"),
    data_dir: Path = typer.Option(None, help="default: $PROPDESK_DATA_DIR or ./.propdesk"),
    pg_port: int = typer.Option(DEFAULT_PG_PORT, envvar="PROPDESK_EMBEDDED_PG_PORT"),
    nats_port: int = typer.Option(DEFAULT_NATS_PORT, envvar="PROPDESK_EMBEDDED_NATS_PORT"),
) -> None:
    """Start everything: embedded PostgreSQL and NATS (unless PROPDESK_DATABASE_URL/NATS_URL are set),
    migrations, streams, the five services (supervised), the demo estate."""
    raise typer.Exit(asyncio.run(_up(data_dir or settings().data_dir, demo, pg_port, nats_port)))


# ---------------------------------------------------------------- status, token


async def collect_status() -> list[dict]:
    rows = []
    headers = admin_headers()
    async with httpx.AsyncClient(timeout=3) as client:
        for d in definitions():
            url = service_url(d)
            row = {
                "name": d.name,
                "url": url,
                "ready": False,
                "outbox_backlog": None,
                "consumer_lag": None,
                "dead_letters": None,
            }
            with contextlib.suppress(httpx.HTTPError, ValueError):
                r = await client.get(url + "/admin/status", headers=headers)
                if r.status_code == 200:
                    data = r.json()
                    row.update(
                        {k: data[k] for k in ("ready", "outbox_backlog", "consumer_lag", "dead_letters")}
                    )
            rows.append(row)
    return rows


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Each service's readiness, outbox backlog, consumer lag and dead letters."""
    rows = asyncio.run(collect_status())
    if as_json:
        typer.echo(json.dumps({"services": rows}, ensure_ascii=False))
    else:
        typer.echo(f"{'service':<10} {'ready':<6} {'backlog':>8} {'lag':>6} {'dead':>6}  url")
        for r in rows:
            typer.echo(
                f"{r['name']:<10} {('yes' if r['ready'] else 'NO'):<6} {r['outbox_backlog']!s:>8} "
                f"{r['consumer_lag']!s:>6} {r['dead_letters']!s:>6}  {r['url']}"
            )
    raise typer.Exit(0 if all(r["ready"] for r in rows) else 1)


@app.command()
def token(
    role: list[str] = typer.Option(
        ...,
        "--role",
        help="resident, receptionist, dispatcher, technician, "
        "duty_officer, finance, manager, admin (repeatable)",
    ),
    estate: list[uuid.UUID] = typer.Option([], "--estate"),
    unit: list[uuid.UUID] = typer.Option([], "--unit"),
    sub: str = typer.Option("dev-user", "--sub"),
    all_estates: bool = typer.Option(False, "--all-estates"),
    hours: int = typer.Option(12, "--hours"),
) -> None:
    """Print a dev JWT for curl: -H "Authorization: Bearer $(propdesk token --role receptionist --estate E)"."""
    import datetime as dt

    from propdesk.common.auth import Role

    try:
        roles = [Role(r) for r in role]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    s = settings()
    typer.echo(
        issue_token(
            s.jwt_secret.get_secret_value(),
            sub=sub,
            roles=roles,
            estates=estate,
            units=unit,
            all_estates=all_estates,
            ttl=dt.timedelta(hours=hours),
            issuer=s.jwt_issuer,
        )
    )


# ---------------------------------------------------------------- events


@events_app.command("tail")
def events_tail(
    subject: str = typer.Argument(None, help="default: every propdesk event (<namespace>.>)"),
    count: int = typer.Option(0, help="stop after this many events (0: until Ctrl-C)"),
) -> None:
    """Print events live as services publish them."""

    async def run() -> None:
        from propdesk.common import bus

        s = settings()
        nc = await bus.connect(s.nats_url, name="propdesk-tail")
        seen = 0
        done = asyncio.Event()

        async def on_msg(msg) -> None:
            nonlocal seen
            seen += 1
            typer.echo(f"{msg.subject} {msg.data.decode()}")
            if count and seen >= count:
                done.set()

        await nc.subscribe(subject or f"{s.namespace}.>", cb=on_msg)
        await nc.flush()
        typer.echo(f"listening on {subject or s.namespace + '.>'} ...", err=True)
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            await done.wait()
        await nc.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


# ---------------------------------------------------------------- dlq


def _service(name: str) -> ServiceDefinition:
    for d in definitions():
        if d.name == name:
            return d
    raise typer.BadParameter(f"unknown service {name!r}; one of {[d.name for d in definitions()]}")


@dlq_app.command("list")
def dlq_list(
    service: str = typer.Option(None, help="one service (default: all)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List dead letters not yet replayed."""
    out = []
    with httpx.Client(timeout=5) as client:
        for d in [_service(service)] if service else definitions():
            r = client.get(service_url(d) + "/admin/dead-letters", headers=admin_headers())
            r.raise_for_status()
            out += [{"service": d.name, **row} for row in r.json()]
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, default=str))
        return
    for row in out:
        typer.echo(
            f"{row['service']:<10} {row['id']}  {row['subject']}  attempts={row['attempts']}  {row['error'][:80]}"
        )
    typer.echo(f"{len(out)} dead letter(s)")


@dlq_app.command("replay")
def dlq_replay(
    dead_letter_id: uuid.UUID, service: str = typer.Option(..., help="the service that holds it")
) -> None:
    """Apply a dead-lettered event again (through the inbox: at most once)."""
    d = _service(service)
    r = httpx.post(
        f"{service_url(d)}/admin/dead-letters/{dead_letter_id}/replay", headers=admin_headers(), timeout=30
    )
    typer.echo(r.text)
    raise typer.Exit(0 if r.status_code == 200 else 1)


# ---------------------------------------------------------------- migrate, seed, generated docs


@app.command()
def republish(service: str = typer.Option(..., help="the producing service, e.g. intake")) -> None:
    """Re-publish everything a service owns as snapshot events, for a new consumer to catch up."""
    d = _service(service)
    r = httpx.post(f"{service_url(d)}/admin/republish", headers=admin_headers(), timeout=600)
    typer.echo(r.text)
    raise typer.Exit(0 if r.status_code == 200 else 1)


@app.command()
def migrate(service: str = typer.Option(None, help="one service (default: all)")) -> None:
    """Run every service's Alembic migrations (each in its own schema) against PROPDESK_DATABASE_URL."""
    asyncio.run(migrate_all(settings().require_database_url(), service))
    typer.echo("migrated")


async def seed_demo() -> dict:
    """Load the demo estate through intake's public API (see `propdesk.common.demo.load`)."""
    from propdesk.common.demo import generate, load, load_rota

    estate = generate()
    intake = next(d for d in definitions() if d.name == "intake")
    repairs = next(d for d in definitions() if d.name == "repairs")
    auth = admin_headers()
    async with (
        httpx.AsyncClient(base_url=service_url(intake), timeout=120) as client,
        httpx.AsyncClient(base_url=service_url(repairs), timeout=30) as repairs_client,
    ):
        summary = await load(client, auth, estate, warn=lambda text: typer.secho(text, fg="yellow"))
        listed = (await client.get("/v1/estates", headers=auth, params={"limit": 500})).json()["items"]
        estate_id = next(e["id"] for e in listed if e["code"] == estate.code)
        summary["technicians_on_rota"] = await load_rota(repairs_client, auth, estate_id)
    typer.echo(f"demo estate {estate.name} ({estate.code}) loaded: {summary}")
    return {"estate": estate.code, **summary}


@seed_app.command("demo")
def seed_demo_cmd() -> None:
    """Seed the demo estate 阳明山庄 into the running services."""
    asyncio.run(seed_demo())


@app.command()
def asyncapi(
    out: Path = typer.Option(Path("docs/asyncapi.yaml")),
    check: bool = typer.Option(False, help="fail if the file is stale"),
) -> None:
    """Generate the AsyncAPI 3 document of every event from the catalog."""
    from propdesk.common.asyncapi import render

    _write_or_check(out, render(), check)


@app.command()
def openapi(
    out_dir: Path = typer.Option(Path("docs/openapi")),
    check: bool = typer.Option(False, help="fail if a file is stale"),
) -> None:
    """Generate each service's OpenAPI document from its code."""
    from propdesk.common.web import dumps, openapi_of

    for d in definitions():
        _write_or_check(out_dir / f"{d.name}.json", dumps(openapi_of(d)) + "\n", check)


def _write_or_check(path: Path, text: str, check: bool) -> None:
    if check:
        if not path.exists() or path.read_text() != text:
            typer.secho(
                f"{path} is stale: run `propdesk {'asyncapi' if path.suffix == '.yaml' else 'openapi'}`",
                fg="red",
            )
            raise typer.Exit(1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    typer.echo(f"wrote {path}")


def main() -> None:
    app()
