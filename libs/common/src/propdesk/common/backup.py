"""Backups (`propdesk backup`, `propdesk restore`).

A backup is a directory: `propdesk.dump`, one `pg_dump` of the database (every service's schema in one
snapshot, so consistent across services: outboxes, inboxes, timers, idempotency keys and all); `streams/`,
each JetStream stream's messages as JSON lines (the bus as it was, for the record); `manifest.json`.

A restore loads the dump into an empty database and creates the streams anew. It does not replay the saved
streams: the outboxes in the dump are the source of truth. Every event that some subscriber had not yet
received when the dump was taken is marked unpublished, so the relays publish it again when the services
start; a subscriber that had it already drops the copy (its inbox). Nothing the dump knows is lost, and
nothing is applied twice."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import subprocess
from pathlib import Path

import asyncpg
import nats.errors

from propdesk.common import bus
from propdesk.common.db import libpq_url
from propdesk.common.embedded import _pg_bin
from propdesk.common.events import SERVICES, stream_name

FORMAT = 1


async def backup(
    database_url: str, nats_url: str, namespace: str, out: Path, subscriptions: dict, **nats_options
) -> dict:
    out.mkdir(parents=True, exist_ok=False)  # noqa: ASYNC240 - a CLI command, nothing else runs
    await asyncio.to_thread(
        subprocess.run,
        [
            str(_pg_bin() / "pg_dump"),
            "--format=custom",
            f"--file={out / 'propdesk.dump'}",
            libpq_url(database_url),
        ],
        check=True,
        capture_output=True,
    )
    (out / "streams").mkdir()
    counts = {}
    nc = await bus.connect(nats_url, name="propdesk-backup", **nats_options)
    try:
        js = nc.jetstream()
        for producer in SERVICES:
            counts[producer] = await _save_stream(
                js, producer, namespace, out / "streams" / f"{producer}.jsonl"
            )
    finally:
        await nc.close()
    manifest = {
        "format": FORMAT,
        "taken_at": dt.datetime.now(dt.UTC).isoformat(),
        "namespace": namespace,
        "stream_messages": counts,
        "subscriptions": {c: {p: sorted(t) for p, t in by.items()} for c, by in subscriptions.items()},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


async def _save_stream(js, producer: str, namespace: str, path: Path) -> int:
    try:
        info = await js.stream_info(stream_name(producer, namespace))
    except nats.js.errors.NotFoundError:
        path.write_text("")  # noqa: ASYNC240
        return 0
    last, n = info.state.last_seq, 0
    with path.open("w", encoding="utf-8") as file:
        if info.state.messages:
            sub = await js.subscribe(f"{namespace}.{producer}.>", ordered_consumer=True)
            try:
                while True:
                    msg = await sub.next_msg(timeout=5)
                    file.write(msg.data.decode() + "\n")
                    n += 1
                    if msg.metadata.sequence.stream >= last:
                        break
            except (TimeoutError, nats.errors.TimeoutError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
    return n


async def restore(src: Path, database_url: str, nats_url: str, namespace: str, **nats_options) -> dict:
    manifest = json.loads((src / "manifest.json").read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{src}: not a propdesk backup of format {FORMAT}")
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        taken = await conn.fetchval(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ANY($1::text[])",
            list(SERVICES),
        )
    finally:
        await conn.close()
    if taken:
        raise ValueError("the database already holds propdesk's schemas: restore into an empty database")
    await asyncio.to_thread(
        subprocess.run,
        [
            str(_pg_bin() / "pg_restore"),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={libpq_url(database_url)}",
            str(src / "propdesk.dump"),
        ],
        check=True,
        capture_output=True,
    )
    nc = await bus.connect(nats_url, name="propdesk-restore", **nats_options)
    try:
        js = nc.jetstream()
        await bus.delete_streams(js, namespace=namespace)
        await bus.ensure_all_streams(js, namespace=namespace)
    finally:
        await nc.close()
    republish = await _unpublish_undelivered(database_url, manifest["subscriptions"])
    return {"restored_from": manifest["taken_at"], "events_to_publish_again": republish}


async def _unpublish_undelivered(database_url: str, subscriptions: dict[str, dict[str, list[str]]]) -> int:
    """Mark unpublished every event some subscriber had neither applied nor dead-lettered."""
    conn = await asyncpg.connect(libpq_url(database_url))
    total = 0
    try:
        async with conn.transaction():
            for consumer, by_producer in subscriptions.items():
                for producer, types in by_producer.items():
                    status = await conn.execute(
                        f"UPDATE {producer}.outbox o SET published_at = NULL "
                        "WHERE o.published_at IS NOT NULL AND o.event_type = ANY($1::text[]) "
                        f"AND NOT EXISTS (SELECT 1 FROM {consumer}.inbox i WHERE i.event_id = o.id) "
                        f"AND NOT EXISTS (SELECT 1 FROM {consumer}.dead_letter d WHERE d.event_id = o.id)",
                        types,
                    )
                    total += int(status.split()[-1])
    finally:
        await conn.close()
    return total


async def drop_database(database_url: str) -> None:
    from propdesk.common.db import with_database

    name = libpq_url(database_url).rsplit("/", 1)[-1].split("?")[0]
    conn = await asyncpg.connect(libpq_url(with_database(database_url, "postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
