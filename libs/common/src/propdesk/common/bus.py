"""NATS JetStream: connection and streams. One stream per producing service, file storage."""

from __future__ import annotations

import contextlib

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from propdesk.common.events import SERVICES, stream_name, stream_subjects
from propdesk.common.logging import get_logger

log = get_logger("propdesk.bus")

DUPLICATE_WINDOW_SECONDS = 600.0  # Nats-Msg-Id dedup window: covers a relay restart


async def connect(url: str, *, name: str, **options) -> NATS:
    """A connection that reconnects forever; `options`: credentials, TLS, inbox (broker.connect_options)."""

    async def on_disconnect() -> None:
        log.warning("nats.disconnected", client=name)

    async def on_reconnect() -> None:
        log.info("nats.reconnected", client=name)

    async def on_error(exc: Exception) -> None:
        log.warning("nats.error", client=name, error=str(exc))

    return await nats.connect(
        servers=[u.strip() for u in url.split(",") if u.strip()],  # a cluster: "nats://a:4222,nats://b:4222"
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.25,
        allow_reconnect=True,
        connect_timeout=5,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
        **options,
    )


def stream_config(producer: str, *, namespace: str, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=stream_name(producer, namespace),
        subjects=stream_subjects(producer, namespace),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=30 * 24 * 3600.0,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, producer: str, *, namespace: str, replicas: int = 1) -> None:
    config = stream_config(producer, namespace=namespace, replicas=replicas)
    try:
        await js.stream_info(config.name)
        await js.update_stream(config)
    except NotFoundError:
        await js.add_stream(config)


async def ensure_all_streams(js: JetStreamContext, *, namespace: str, replicas: int = 1) -> None:
    for producer in SERVICES:
        await ensure_stream(js, producer, namespace=namespace, replicas=replicas)


async def delete_streams(js: JetStreamContext, *, namespace: str) -> None:
    for producer in SERVICES:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(stream_name(producer, namespace))
