"""`propdesk`: run the platform locally and look inside it.

The CLI is a developer and operator tool: unless PROPDESK_DEV=0 it runs in dev mode (dev JWT secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import uuid
from pathlib import Path

import httpx
import typer

os.environ.setdefault("PROPDESK_DEV", "1")

from propdesk.common.auth import issue_token
from propdesk.common.platform import _up, migrate_all, seed_demo
from propdesk.common.runtime import ServiceDefinition
from propdesk.common.services import (
    admin_headers,
    definitions,
    service_url,
    settings,
)

app = typer.Typer(help="propdesk: property-management service desk platform", no_args_is_help=True)
events_app = typer.Typer(help="Watch events on the bus", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters: events and timers that failed every attempt", no_args_is_help=True)
seed_app = typer.Typer(help="Load data", no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(dlq_app, name="dlq")
app.add_typer(seed_app, name="seed")

DEFAULT_PG_PORT = 15432
DEFAULT_NATS_PORT = 14222


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
        from propdesk.common import broker, bus

        s = settings()
        nc = await bus.connect(s.nats_url, name="propdesk-tail", **broker.platform_options(s))
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


@app.command()
def audit(
    since: str = typer.Option("24h", help="how far back: 30m, 24h, 7d, or an ISO time with its offset"),
    as_json: bool = typer.Option(False, "--json"),
    metrics_file: Path = typer.Option(
        None, "--metrics", help="also write Prometheus text (textfile collector)"
    ),
) -> None:
    """Did every event reach every subscriber? Each service's outbox against each subscribing consumer's inbox
    and dead letters; exit code 1 when anything is missing."""
    from propdesk.common import audit as audit_

    now = dt.datetime.now(dt.UTC)
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if since[-1:] in units and since[:-1].isdigit():
        start = now - dt.timedelta(**{units[since[-1]]: int(since[:-1])})
    else:
        start = dt.datetime.fromisoformat(since)

    async def side_of(d: ServiceDefinition, moment: dt.datetime) -> dict:
        async with httpx.AsyncClient(timeout=120) as client:
            r = await client.get(
                service_url(d) + "/admin/audit", params={"since": moment.isoformat()}, headers=admin_headers()
            )
            r.raise_for_status()
            return r.json()

    report = asyncio.run(audit_.run(definitions(), side_of, start, now))
    if metrics_file is not None:
        metrics_file.write_text(audit_.metrics(report))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False) if as_json else audit_.render(report))
    raise typer.Exit(1 if report.missing else 0)


def _servers(pg_port: int, nats_port: int) -> tuple[str, str, dict]:
    """The database and NATS to back up or restore: those named by the environment, else the embedded ones
    `propdesk up` runs (started here for the command if they are not running)."""
    from propdesk.common.broker import platform_options
    from propdesk.common.embedded import port_open
    from propdesk.common.platform import embedded_servers

    s = settings()
    if os.environ.get("PROPDESK_DATABASE_URL") and os.environ.get("PROPDESK_NATS_URL"):
        return s.require_database_url(), s.nats_url, platform_options(s)
    pg, nats, users = embedded_servers(Path(s.data_dir).resolve(), pg_port, nats_port)
    for server, port in ((pg, pg_port), (nats, nats_port)):
        if not port_open(port):
            server.start()
            _STARTED.append(server.stop)
    return f"postgresql://postgres@127.0.0.1:{pg_port}/propdesk", users.url(nats.url), {}


_STARTED: list = []


@app.command()
def backup(
    out: Path = typer.Option(None, help="the directory to write (default: <data dir>/backups/<time>)"),
    pg_port: int = typer.Option(DEFAULT_PG_PORT, envvar="PROPDESK_EMBEDDED_PG_PORT"),
    nats_port: int = typer.Option(DEFAULT_NATS_PORT, envvar="PROPDESK_EMBEDDED_NATS_PORT"),
) -> None:
    """A consistent dump of every service's data (one pg_dump) and the streams' messages."""
    from propdesk.common import audit as audit_
    from propdesk.common import backup as backup_

    s = settings()
    out = out or Path(s.data_dir) / "backups" / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        db, nats_url, options = _servers(pg_port, nats_port)
        subscriptions = audit_.subscriptions_of(definitions())
        manifest = asyncio.run(backup_.backup(db, nats_url, s.namespace, out, subscriptions, **options))
    finally:
        for stop in reversed(_STARTED):
            stop()
    typer.echo(f"backed up to {out}: {json.dumps(manifest['stream_messages'])}")


@app.command()
def restore(
    source: Path,
    replace: bool = typer.Option(False, help="drop the platform's database first (everything in it is lost)"),
    pg_port: int = typer.Option(DEFAULT_PG_PORT, envvar="PROPDESK_EMBEDDED_PG_PORT"),
    nats_port: int = typer.Option(DEFAULT_NATS_PORT, envvar="PROPDESK_EMBEDDED_NATS_PORT"),
) -> None:
    """Load a backup into an empty database (stop the services first); what some subscriber had not received
    is published again when they start."""
    from propdesk.common import backup as backup_
    from propdesk.common.db import with_database
    from propdesk.common.platform import ensure_database

    s = settings()
    try:
        db, nats_url, options = _servers(pg_port, nats_port)
        if replace:
            asyncio.run(backup_.drop_database(db))
        asyncio.run(ensure_database(with_database(db, "postgres"), db.rsplit("/", 1)[-1].split("?")[0]))
        result = asyncio.run(backup_.restore(source, db, nats_url, s.namespace, **options))
    except ValueError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        for stop in reversed(_STARTED):
            stop()
    typer.echo(json.dumps(result))


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


@app.command("nats-auth")
def nats_auth(
    out: Path = typer.Option(Path("deploy/nats/auth.conf")),
    check: bool = typer.Option(False, help="fail if the file is stale"),
) -> None:
    """Generate deploy/nats/auth.conf: a NATS user per service and what it may publish and subscribe."""
    from propdesk.common.broker import deploy_config

    _write_or_check(out, deploy_config(), check, command="nats-auth")


def _write_or_check(path: Path, text: str, check: bool, command: str | None = None) -> None:
    if check:
        if not path.exists() or path.read_text() != text:
            command = command or ("asyncapi" if path.suffix == ".yaml" else "openapi")
            typer.secho(f"{path} is stale: run `propdesk {command}`", fg="red")
            raise typer.Exit(1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    typer.echo(f"wrote {path}")


def _service_commands() -> None:
    """Command groups services add (entry point group `propdesk.cli`: identity's `accounts`)."""
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="propdesk.cli"), key=lambda e: e.name):
        app.add_typer(ep.load(), name=ep.name)


def main() -> None:
    _service_commands()
    app()
