"""Alembic, one schema per service: each service's `migrations/` holds its own history and its own
version table inside its schema. `platform_v1` creates the backbone tables (outbox, inbox,
dead_letter, timer, idempotency_key) and the NOTIFY triggers that wake the relay and timer worker.
A change to `db.platform_tables()` must come with a new `platform_vN` helper, never an edit of v1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.ext.asyncio import async_engine_from_config

from propdesk.common.db import asyncpg_url, platform_tables

PLATFORM_TABLES = frozenset({"outbox", "inbox", "dead_letter", "timer", "idempotency_key"})


def platform_v1(op, schema: str) -> None:
    install_platform_v1(op.get_bind(), schema)


def install_platform_v1(bind, schema: str) -> None:
    """The v1 backbone tables and triggers on a sync connection (alembic's bind, or run_sync)."""
    platform_tables(schema).metadata.create_all(bind)
    for table, channel in (("outbox", f"{schema}_outbox"), ("timer", f"{schema}_timer")):
        bind.exec_driver_sql(
            f"""
            CREATE OR REPLACE FUNCTION "{schema}".notify_{table}() RETURNS trigger AS $$
            BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END
            $$ LANGUAGE plpgsql
            """
        )
        events = "INSERT" if table == "outbox" else "INSERT OR UPDATE"
        bind.exec_driver_sql(
            f'CREATE TRIGGER {table}_notify AFTER {events} ON "{schema}".{table} '
            f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".notify_{table}()'
        )


def platform_v2(op, schema: str) -> None:
    install_platform_v2(op.get_bind(), schema)


def platform_v2_downgrade(op, schema: str) -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS timer_notify_insert ON "{schema}".timer')
    bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS timer_notify_update ON "{schema}".timer')
    bind.exec_driver_sql(f'DROP FUNCTION IF EXISTS "{schema}".notify_timer_due()')
    bind.exec_driver_sql(
        f'CREATE TRIGGER timer_notify AFTER INSERT OR UPDATE ON "{schema}".timer '
        f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".notify_timer()'
    )


def install_platform_v2(bind, schema: str) -> None:
    """v2: a timer wake-up says when the statement's earliest timer is due (epoch seconds), so the worker
    looks only when something is due before what it already waits for. Under load almost every report arms
    a clock due minutes away: with v1 each of them cost the worker a query. INSERT and UPDATE get a trigger
    each, as a trigger with transition tables may only have one event."""
    channel = f"{schema}_timer"
    bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS timer_notify ON "{schema}".timer')
    bind.exec_driver_sql(
        f"""
        CREATE OR REPLACE FUNCTION "{schema}".notify_timer_due() RETURNS trigger AS $$
        DECLARE earliest timestamptz;
        BEGIN
          SELECT min(due_at) INTO earliest FROM changed;
          IF earliest IS NOT NULL THEN
            PERFORM pg_notify('{channel}', extract(epoch FROM earliest)::text);
          END IF;
          RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    for event in ("INSERT", "UPDATE"):
        bind.exec_driver_sql(
            f'CREATE TRIGGER timer_notify_{event.lower()} AFTER {event} ON "{schema}".timer '
            f'REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".notify_timer_due()'
        )


def platform_v3(op, schema: str) -> None:
    install_platform_v3(op.get_bind(), schema)


def platform_v3_downgrade(op, schema: str) -> None:
    _wakeup_functions(op.get_bind(), schema, skip_local=False)


def install_platform_v3(bind, schema: str) -> None:
    """v3: a service's own connections (those that set `propdesk.wake = local`) do not NOTIFY: the service
    wakes its own relay and timer worker after the commit, in process (`db.wake_after_commit`). A NOTIFY
    makes PostgreSQL serialise the commits of every notifying transaction behind one lock held through the
    commit's WAL flush; under load every report waited there. Writes from anywhere else (another tool, a
    script, psql) still NOTIFY, and every worker polls as well."""
    _wakeup_functions(bind, schema, skip_local=True)


def _wakeup_functions(bind, schema: str, *, skip_local: bool) -> None:
    """The outbox and timer NOTIFY functions, with or without v3's guard. (The timer function restates v2's
    on purpose: a migration's SQL stays as it was released.)"""
    guard = (
        "IF coalesce(current_setting('propdesk.wake', true), '') <> 'local' THEN "
        if skip_local
        else "IF true THEN "
    )
    bind.exec_driver_sql(
        f"""
        CREATE OR REPLACE FUNCTION "{schema}".notify_outbox() RETURNS trigger AS $$
        BEGIN
          {guard}PERFORM pg_notify('{schema}_outbox', ''); END IF;
          RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    bind.exec_driver_sql(
        f"""
        CREATE OR REPLACE FUNCTION "{schema}".notify_timer_due() RETURNS trigger AS $$
        DECLARE earliest timestamptz;
        BEGIN
          {guard}
            SELECT min(due_at) INTO earliest FROM changed;
            IF earliest IS NOT NULL THEN
              PERFORM pg_notify('{schema}_timer', extract(epoch FROM earliest)::text);
            END IF;
          END IF;
          RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )


def run_env(target_metadata: MetaData, schema: str) -> None:
    """Body of every service's migrations/env.py (online mode, asyncpg)."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")

    def do_run(connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: (
                (type_ != "schema" or name == schema) and not (type_ == "table" and name in PLATFORM_TABLES)
            ),
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = async_engine_from_config(
            {"sqlalchemy.url": asyncpg_url(url)}, prefix="sqlalchemy.", poolclass=pool.NullPool
        )
        async with engine.connect() as connection:
            # replicas of one service starting together migrate one at a time
            await connection.execute(
                text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": f"alembic:{schema}"}
            )
            await connection.commit()
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await connection.commit()
            await connection.run_sync(do_run)
            await connection.commit()
            await connection.execute(
                text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": f"alembic:{schema}"}
            )
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Run in a thread when called from async code: env.py runs its own event loop."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


async def upgrade_async(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, migrations_dir, database_url, revision)
