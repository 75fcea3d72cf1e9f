"""Backups that restore (issue 20, item 5): a backup is taken while repairs is down and has not yet heard of
the last building; the database and the streams are destroyed; the restore brings back the same records, and
once the services start the building repairs had missed reaches it, and the platform works (a new building
flows through)."""

from __future__ import annotations

import json

import asyncpg

from propdesk.common import audit, backup, bus
from propdesk.common.db import libpq_url, with_database
from propdesk.common.testing.helpers import running_service, token, wait_until
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)


async def _count(url: str, sql: str) -> int:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_back_up_destroy_restore_and_carry_on(platform_env, tmp_path):
    url = platform_env.database_url
    nats_url = platform_env.nats_url
    definitions = [INTAKE, REPAIRS]

    async def building(intake, eid: str, code: str) -> None:
        manager = token("manager", estates=[eid])
        r = await intake.post(
            f"/v1/estates/{eid}/buildings",
            headers=manager,
            json={"code": code, "name": f"{code}栋", "floors": 6},
        )
        assert r.status_code == 201, r.text

    async def repairs_has(n: int) -> bool:
        return await _count(url, "SELECT count(*) FROM repairs.building") == n

    async with running_service(INTAKE, platform_env) as intake:
        async with running_service(REPAIRS, platform_env):
            estate = (
                await intake.post("/v1/estates", json={"code": "BAK", "name": "备份小区"}, headers=ADMIN)
            ).json()
            for code in ("B1", "B2"):
                await building(intake, estate["id"], code)
            await wait_until(lambda: repairs_has(2), message="repairs to know two buildings")
        await building(intake, estate["id"], "B3")  # repairs is down: it has not heard of B3

        async def published():
            return await _count(url, "SELECT count(*) FROM intake.outbox WHERE published_at IS NULL") == 0

        await wait_until(published, message="intake to publish B3")
        manifest = await backup.backup(
            url, nats_url, platform_env.namespace, tmp_path / "b", audit.subscriptions_of(definitions)
        )
    assert manifest["stream_messages"]["intake"] >= 4  # the estate and three buildings at least
    saved = [
        json.loads(line) for line in (tmp_path / "b" / "streams" / "intake.jsonl").read_text().splitlines()
    ]
    assert {e["payload"].get("code") for e in saved if e["type"] == "intake.building.registered"} == {
        "B1",
        "B2",
        "B3",
    }

    # disaster: the database and the streams are gone
    await backup.drop_database(url)
    conn = await asyncpg.connect(libpq_url(with_database(url, "postgres")))
    await conn.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[-1]}"')
    await conn.close()
    nc = await bus.connect(nats_url, name="disaster")
    await bus.delete_streams(nc.jetstream(), namespace=platform_env.namespace)
    await nc.close()

    result = await backup.restore(tmp_path / "b", url, nats_url, platform_env.namespace)
    assert result["events_to_publish_again"] >= 1  # B3, for repairs
    refused = None
    try:
        await backup.restore(tmp_path / "b", url, nats_url, platform_env.namespace)
    except ValueError as exc:
        refused = exc
    assert refused is not None  # never over a live database
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env),
    ):
        buildings = (await intake.get(f"/v1/estates/{estate['id']}/buildings", headers=ADMIN)).json()
        assert sorted(b["code"] for b in buildings) == ["B1", "B2", "B3"]  # the same records
        await wait_until(lambda: repairs_has(3), message="repairs to receive B3, which it had missed")
        await building(intake, estate["id"], "B4")
        await wait_until(lambda: repairs_has(4), message="the restored platform to carry on")
    assert await _count(url, "SELECT count(*) FROM repairs.dead_letter") == 0
