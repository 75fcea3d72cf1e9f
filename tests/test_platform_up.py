"""`propdesk up` as a newcomer runs it, then `propdesk status --json` as a script reads it.

embedded: what `make up` does (embedded PostgreSQL and NATS from their wheels).
external: PROPDESK_DATABASE_URL / PROPDESK_NATS_URL pointing at servers started separately: this
machine's own PostgreSQL (5432) and NATS (4222) when they answer, else a second embedded pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from propdesk.common.embedded import EmbeddedNats, EmbeddedPostgres, free_port, free_ports, port_open
from propdesk.common.testing.helpers import wait_until_sync

SERVICES = ["intake", "repairs", "billing", "incidents", "notify", "identity"]
BIN = Path(sys.executable).parent / "propdesk"


def run_status(env: dict) -> dict:
    out = subprocess.run([str(BIN), "status", "--json"], env=env, capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


def wait_settled(env: dict, timeout: float = 120) -> dict:
    """Every service ready, nothing in any outbox, no consumer lag."""

    def settled() -> dict | None:
        status = run_status(env)
        rows = status["services"]
        return (
            status
            if all(r["ready"] and r["outbox_backlog"] == 0 and r["consumer_lag"] == 0 for r in rows)
            else None
        )

    return wait_until_sync(settled, timeout=timeout, interval=0.5, message="the platform to settle")


def platform_env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROPDESK_")}
    names = [*SERVICES, "console", "DEV_SMTP", "DEV_SMS", "EMBEDDED_PG", "EMBEDDED_NATS"]
    ports = dict(zip(names, free_ports(len(names)), strict=True))  # all different from each other
    env.update({"PROPDESK_DEV": "1", "PROPDESK_DATA_DIR": str(tmp_path / "data")})
    env.update({f"PROPDESK_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env.update(extra)
    return env


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=120)


async def plant_dead_letter(database_url: str, estate_id: str) -> str:
    """A dead letter as a failed delivery would leave it: a real event intake handles."""
    from propdesk.common.contracts.repairs import EstateProvisioned
    from propdesk.common.events import build_envelope

    envelope = build_envelope(EstateProvisioned(estate_id=uuid.UUID(estate_id)), aggregate_id=estate_id)
    conn = await asyncpg.connect(database_url)
    try:
        return str(
            await conn.fetchval(
                "INSERT INTO intake.dead_letter (id, source, consumer, event_id, subject, envelope, error, attempts) "
                "VALUES (gen_random_uuid(), 'consumer', 'intake', $1, 'propdesk.repairs.estate.provisioned', $2::jsonb, "
                "'ConnectionError: simulated', 5) RETURNING id",
                envelope.id,
                envelope.model_dump_json(),
            )
        )
    finally:
        await conn.close()


def check_newcomer_sees_messages(env: dict, rows: dict, auth: dict, estate_id: str) -> None:
    """A notice to the whole estate lands as real mails in <data>/mail and SMS requests in <data>/sms.log."""
    import httpx

    units = httpx.get(
        f"{rows['intake']['url']}/v1/estates/{estate_id}/units",
        params={"state": "occupied", "limit": 20},
        headers=auth,
    ).json()["items"]
    sent = httpx.post(
        f"{rows['notify']['url']}/v1/estates/{estate_id}/notices",
        headers=auth,
        json={
            "unit_ids": [u["id"] for u in units],
            "title_zh": "消防演练",
            "body_zh": "明天上午十点消防演练",
            "title_en": "Fire drill",
            "body_en": "Fire drill tomorrow at 10:00",
            "critical": True,
            "category": "safety",
        },
    )
    assert sent.status_code == 201 and sent.json()["recipients"] > 0, sent.text
    data = Path(env["PROPDESK_DATA_DIR"])
    sms = data / "sms.log"
    wait_until_sync(  # earlier notices may have written both already
        lambda: list((data / "mail").glob("*.eml")) and sms.exists() and "消防演练" in sms.read_text(),
        timeout=60,
        message="a mail and the SMS at the local sinks",
    )


def check_demo_sign_in(rows: dict, seeded: dict, estate_url: str) -> None:
    """A demo receptionist signs in with the documented password; the platform takes identity's token."""
    import httpx

    from propdesk.common.demo_accounts import DEMO_PASSWORD

    login = seeded["logins"]["receptionist"]
    r = httpx.post(
        f"{rows['identity']['url']}/v1/token",
        data={"grant_type": "password", "username": login, "password": DEMO_PASSWORD},
    )
    assert r.status_code == 200, r.text
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert httpx.get(f"{estate_url}/residents", params={"name": "王"}, headers=bearer).status_code == 200


def check_console(env: dict, seeded: dict) -> None:
    """The console runs beside the services: the demo dispatcher signs in there and gets the board."""
    import httpx

    from propdesk.common.demo_accounts import DEMO_PASSWORD

    url = f"http://127.0.0.1:{env['PROPDESK_CONSOLE_PORT']}"

    def ready() -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{url}/readyz").status_code == 200
        return False

    wait_until_sync(ready, timeout=60, message="the console to be ready")
    with httpx.Client(base_url=url, headers={"Accept-Language": "zh-CN"}) as browser:
        r = browser.post(
            "/sign-in",
            data={"login": seeded["logins"]["dispatcher"], "password": DEMO_PASSWORD, "next": "/board"},
        )
        assert r.status_code == 303 and r.headers["location"] == "/board", r.text[:500]
        board = browser.get("/board")
        assert board.status_code == 200 and "调度台" in board.text and "阳明山庄" in board.text


def check_operator_commands(env: dict, database_url: str, estate_id: str) -> None:
    assert json.loads(cli(env, "dlq", "list", "--json").stdout) == []
    dead = asyncio.run(plant_dead_letter(database_url, estate_id))
    [listed] = json.loads(cli(env, "dlq", "list", "--json").stdout)
    assert (listed["id"], listed["service"], listed["attempts"]) == (dead, "intake", 5)
    assert [r["dead_letters"] for r in run_status(env)["services"] if r["name"] == "intake"] == [1]
    replay = cli(env, "dlq", "replay", "--service", "intake", dead)
    assert replay.returncode == 0 and json.loads(replay.stdout)["applied"] is True, (
        replay.stdout + replay.stderr
    )
    assert cli(env, "dlq", "replay", "--service", "intake", dead).returncode == 1  # only once
    assert json.loads(cli(env, "dlq", "list", "--json").stdout) == []
    republished = cli(env, "republish", "--service", "intake")
    assert republished.returncode == 0 and json.loads(republished.stdout)["events"] > 500


def check_embedded_servers_come_back(env: dict, calls_url: str, auth: dict) -> None:
    """Issue 20, item 7: `propdesk up` supervises its embedded PostgreSQL and NATS as it does the services.
    Both are SIGKILLed; they are started again, the services reconnect, and the desk can log a call."""
    import httpx

    data = Path(env["PROPDESK_DATA_DIR"])
    for pid_file in (data / "postgres" / "pgdata" / "postmaster.pid", data / "nats" / "nats.pid"):
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)

    def logged() -> bool:
        with contextlib.suppress(httpx.HTTPError):
            r = httpx.post(
                calls_url, headers=auth, json={"phone": "13900009999", "topic": "inquiry"}, timeout=5
            )
            return r.status_code == 201
        return False

    wait_until_sync(logged, timeout=90, interval=0.5, message="the platform to work again after the kills")
    wait_settled(env)


def up_and_check(env: dict, tmp_path: Path, database_url: str | None = None) -> None:
    log = open(tmp_path / "up.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(BIN), "up"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        marker = Path(env["PROPDESK_DATA_DIR"]) / "demo-seeded"
        wait_until_sync(lambda: marker.exists() or proc.poll() is not None, timeout=180, message="the demo")
        assert marker.exists(), (tmp_path / "up.log").read_text()
        status = wait_settled(env)
        rows = {r["name"]: r for r in status["services"]}
        assert sorted(rows) == sorted(SERVICES)
        for name, row in rows.items():
            assert row["ready"] is True, name
            assert row["outbox_backlog"] == 0 and row["dead_letters"] == 0, row
            assert row["url"] == f"http://127.0.0.1:{env[f'PROPDESK_{name.upper()}_PORT']}"
        seeded = json.loads((Path(env["PROPDESK_DATA_DIR"]) / "demo-seeded").read_text())
        assert seeded["estate"] == "YMS" and seeded["units"] > 200
        import httpx

        token = subprocess.run(
            [str(BIN), "token", "--role", "admin", "--all-estates"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        estates = httpx.get(
            f"{rows['intake']['url']}/v1/estates", headers={"Authorization": f"Bearer {token}"}
        ).json()
        [estate] = estates["items"]
        assert estate["name"] == "阳明山庄" and estate["onboarding_complete"] is True
        auth = {"Authorization": f"Bearer {token}"}
        base = f"{rows['intake']['url']}/v1/estates/{estate['id']}"
        assert len(httpx.get(f"{base}/buildings", headers=auth).json()) == 17
        assert len(httpx.get(f"{base}/staff", headers=auth).json()["items"]) == seeded["staff"]
        occupied = httpx.get(f"{base}/units", params={"state": "occupied", "limit": 500}, headers=auth).json()
        assert len(occupied["items"]) > 150
        assert seeded["technicians_on_rota"] == seeded["technicians"]  # repairs can dispatch in the demo
        repairs_base = f"{rows['repairs']['url']}/v1/estates/{estate['id']}"
        techs = httpx.get(f"{repairs_base}/technicians", headers=auth).json()
        assert len(techs) == seeded["technicians"] and all(t["rota"]["weekly"] for t in techs)
        kpis = httpx.get(f"{base}/kpis", headers=auth).json()
        assert kpis["cases"]["total"] >= 18 and kpis["calls"]["total"] == 30  # the demo's month of desk work
        found = httpx.get(f"{base}/residents", params={"name": "王"}, headers=auth).json()
        assert found["items"] and all(r["name"].startswith("王") for r in found["items"])
        check_demo_sign_in(rows, seeded, base)
        check_console(env, seeded)
        check_newcomer_sees_messages(env, rows, auth, estate["id"])
        if database_url is not None:
            check_operator_commands(env, database_url, estate["id"])
            wait_settled(env)
            check_embedded_servers_come_back(env, f"{base}/calls", auth)
            audited = cli(env, "audit", "--since", "2h")  # issue 20, item 4: after the kills too
            assert audited.returncode == 0 and "nothing missing" in audited.stdout, (
                audited.stdout + audited.stderr
            )
            saved = cli(env, "backup", "--out", str(tmp_path / "backup"))  # issue 20, item 5: while running
            assert saved.returncode == 0 and (tmp_path / "backup" / "propdesk.dump").exists(), saved.stderr
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            code = proc.wait(timeout=60)
        finally:
            log.close()
    output = (tmp_path / "up.log").read_text()
    assert code == 0, output
    assert "propdesk is up" in output and "stopped." in output
    console_url = f"console    http://127.0.0.1:{env['PROPDESK_CONSOLE_PORT']}"
    assert console_url in output  # the console's URL printed with the others
    assert (
        "mail caught → resident" in output and "消防演练" in output
    )  # a newcomer sees the mails on the console
    if database_url is not None:
        assert "embedded PostgreSQL is back" in output and "embedded NATS is back" in output
        # the platform stopped, `propdesk restore` starts the embedded servers itself and replaces the database
        restored = cli(env, "restore", str(tmp_path / "backup"), "--replace")
        assert restored.returncode == 0 and "restored_from" in restored.stdout, (
            restored.stdout + restored.stderr
        )
        assert not port_open(int(env["PROPDESK_EMBEDDED_PG_PORT"]))  # and stops them again


def test_make_up_embedded(tmp_path):
    env = platform_env(tmp_path)
    database_url = f"postgresql://postgres@127.0.0.1:{env['PROPDESK_EMBEDDED_PG_PORT']}/propdesk"
    up_and_check(env, tmp_path, database_url)
    assert not port_open(int(env["PROPDESK_EMBEDDED_PG_PORT"])), "embedded PostgreSQL left running"
    assert not port_open(int(env["PROPDESK_EMBEDDED_NATS_PORT"])), "embedded NATS left running"


@pytest.mark.external
def test_external_mode(tmp_path):
    namespace = f"ext{uuid.uuid4().hex[:8]}"
    stops = []
    if port_open(5432) and port_open(4222):
        server, nats_url = "postgresql://postgres@127.0.0.1:5432/postgres", "nats://127.0.0.1:4222"
    else:
        pg = EmbeddedPostgres(tmp_path / "pg", port=free_port(), durable=False)
        nats = EmbeddedNats(tmp_path / "nats", port=free_port())
        server, nats_url = pg.start(), nats.start()
        stops += [pg.stop, nats.stop]
    db = f"propdesk_ext_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{db}"'))
    try:
        env = platform_env(
            tmp_path,
            PROPDESK_DATABASE_URL=server.rsplit("/", 1)[0] + f"/{db}",
            PROPDESK_NATS_URL=nats_url,
            PROPDESK_NAMESPACE=namespace,
        )
        up_and_check(env, tmp_path)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        asyncio.run(_drop_streams(nats_url, namespace))
        for stop in stops:
            stop()


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _drop_streams(url: str, namespace: str) -> None:
    import nats

    from propdesk.common.bus import delete_streams

    nc = await nats.connect(url)
    await delete_streams(nc.jetstream(), namespace=namespace)
    await nc.close()
