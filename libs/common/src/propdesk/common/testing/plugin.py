"""pytest plugin (entry point `pytest11: propdesk`): every suite gets a real PostgreSQL and NATS.

Per test: a fresh database cloned from a template that has every service migrated, and a NATS
namespace of its own (its streams are deleted afterwards). Works under pytest-xdist: each worker has
its own template (and, in embedded mode, its own servers).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from propdesk.common.db import with_database
from propdesk.common.testing.helpers import PlatformEnv
from propdesk.common.testing.servers import Servers, start_servers


def _service_definitions():
    from importlib.metadata import entry_points

    return [ep.load() for ep in sorted(entry_points(group="propdesk.services"), key=lambda e: e.name)]


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(with_database(url, "postgres"))
    try:
        for stmt in statements:
            await conn.execute(stmt)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def propdesk_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    servers = start_servers(tmp_path_factory.mktemp("servers"))
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def propdesk_template(propdesk_servers: Servers, propdesk_worker: str) -> Iterator[str]:
    """A database with every service's migrations applied, cloned for each test."""
    from propdesk.common.migrations import upgrade

    name = f"pd_tpl_{propdesk_worker}_{os.getpid()}"
    asyncio.run(
        _admin(
            propdesk_servers.database_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'
        )
    )
    url = with_database(propdesk_servers.database_url, name)
    for definition in _service_definitions():
        upgrade(definition.migrations_dir, url)
    yield name
    asyncio.run(_admin(propdesk_servers.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def platform_env(propdesk_servers: Servers, propdesk_template: str) -> Iterator[PlatformEnv]:
    suffix = uuid.uuid4().hex[:10]
    db = f"pd_t_{suffix}"
    asyncio.run(
        _admin(propdesk_servers.database_url, f'CREATE DATABASE "{db}" TEMPLATE "{propdesk_template}"')
    )
    env = PlatformEnv(
        with_database(propdesk_servers.database_url, db),
        propdesk_servers.nats_url,
        f"t{suffix}",
        nats_users=propdesk_servers.nats_users,
    )
    yield env
    asyncio.run(_cleanup(propdesk_servers, db, env.namespace))


@pytest.fixture
async def db(platform_env: PlatformEnv):
    """Run SQL against the test's database: `await db("SELECT …", name=value)` gives the rows (or the row count
    of a statement without rows); each call commits, so a test may also move recorded time."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from propdesk.common.db import asyncpg_url

    engine = create_async_engine(asyncpg_url(platform_env.database_url))

    async def query(sql: str, **params):
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return result.all() if result.returns_rows else result.rowcount

    yield query
    await engine.dispose()


async def _cleanup(servers: Servers, db: str, namespace: str) -> None:
    import nats

    from propdesk.common.bus import delete_streams

    try:
        nc = await nats.connect(servers.nats_url, connect_timeout=3, max_reconnect_attempts=1)
        await delete_streams(nc.jetstream(), namespace=namespace)
        await nc.close()
    except Exception:
        pass  # a test that stopped NATS on purpose cleans its own streams up with the server
    await _admin(servers.database_url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture(scope="session")
def propdesk_worker(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")
