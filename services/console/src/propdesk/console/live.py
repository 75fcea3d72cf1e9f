"""Live updates: one ordered JetStream consumer per stream per console process (new events only, no state on
the server, replayed from where it was after a reconnect), fanned out to the browsers' Server-Sent Event
streams by estate and topic.

Each change a browser receives carries, as its SSE id, the stream sequences it has seen (`repairs:1234`), so a
browser that reconnects (its `Last-Event-ID`) is sent what it missed from the recent-changes buffer; one that
was away longer than the buffer reaches is told to reload (`reload`), never left showing an old board. The ids
are JetStream's own sequences, so a browser may reconnect to any console process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS
from nats.js.api import DeliverPolicy

from propdesk.common import broker, bus
from propdesk.common.auth import Principal
from propdesk.common.events import stream_name
from propdesk.common.logging import get_logger
from propdesk.console.config import ConsoleSettings

log = get_logger("propdesk.console.live")

QUEUE_SIZE = 256  # changes waiting for one slow browser; beyond it the browser is told to reload


@dataclass(frozen=True)
class Change:
    stream: str
    seq: int
    type: str
    estate_id: str | None
    aggregate_id: str
    technician_id: str | None
    reference: str | None

    def data(self) -> str:
        return json.dumps(
            {"type": self.type, "id": self.aggregate_id, "reference": self.reference}, ensure_ascii=False
        )


@dataclass(frozen=True)
class Topic:
    """What a browser listens to: an estate's board, or one technician's jobs in an estate."""

    estate_id: str
    technician_id: str | None = None

    def wants(self, change: Change) -> bool:
        if change.estate_id != self.estate_id:
            return False
        if self.technician_id is None:
            return True
        # a technician's page: their own orders, and every assignment (one may have taken an order away)
        return change.technician_id == self.technician_id or change.type.endswith(".assigned")


@dataclass(eq=False)
class Listener:
    topic: Topic
    cursor: dict[str, int]
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False


def parse_cursor(value: str | None) -> dict[str, int]:
    cursor: dict[str, int] = {}
    for part in (value or "").split(","):
        stream, _, seq = part.partition(":")
        if stream and seq.isdigit():
            cursor[stream] = int(seq)
    return cursor


def format_cursor(cursor: dict[str, int]) -> str:
    return ",".join(f"{s}:{n}" for s, n in sorted(cursor.items()))


class Hub:
    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.nc: NATS | None = None
        self.buffer: dict[str, deque[Change]] = {
            s: deque(maxlen=settings.live_buffer) for s in settings.live_streams
        }
        self.last: dict[str, int] = {}  # the newest sequence heard per stream
        self.listeners: set[Listener] = set()
        self._subs: list = []
        self._task: asyncio.Task | None = None
        self.subscribed = False

    async def start(self) -> None:
        s = self.settings
        self.nc = await bus.connect(
            s.nats_url, name="propdesk-console", **broker.connect_options(s, user_default="console")
        )
        self._task = asyncio.create_task(self._subscribe(), name="console-live")

    async def _subscribe(self) -> None:
        """Listen to each stream once it exists (the console may start before the services that make them;
        it may not create streams itself)."""
        s = self.settings
        js = self.nc.jetstream()  # type: ignore[union-attr]
        for stream in s.live_streams:
            name = stream_name(stream, s.namespace)
            delay = 0.2
            while True:
                try:
                    info = await js.stream_info(name)
                    break
                except Exception as exc:
                    log.info("console.live.waiting", stream=name, reason=type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            self.last[stream] = info.state.last_seq
            sub = await js.subscribe(
                f"{s.namespace}.{stream}.>",
                stream=name,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
                cb=self._handler(stream),
            )
            self._subs.append(sub)
        self.subscribed = True
        log.info("console.live.started", streams=s.live_streams)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for listener in list(self.listeners):
            with contextlib.suppress(asyncio.QueueFull):
                listener.queue.put_nowait(None)
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), 3)

    def cursor(self) -> str:
        """Where the streams are now: a page rendered now listens from here (no change lost in between)."""
        return format_cursor(self.last)

    @property
    def connected(self) -> bool:
        return self.subscribed and self.nc is not None and self.nc.is_connected

    def _handler(self, stream: str):
        async def on_message(msg) -> None:
            try:
                envelope = json.loads(msg.data)
                payload = envelope.get("payload") or {}
                change = Change(
                    stream=stream,
                    seq=msg.metadata.sequence.stream,
                    type=str(envelope.get("type", "")),
                    estate_id=str(envelope["estate_id"]) if envelope.get("estate_id") else None,
                    aggregate_id=str(envelope.get("aggregate_id", "")),
                    technician_id=str(payload["technician_id"]) if payload.get("technician_id") else None,
                    reference=payload.get("reference"),
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("console.live.unreadable", subject=msg.subject)
                return
            self.publish(change)

        return on_message

    def publish(self, change: Change) -> None:
        self.buffer.setdefault(change.stream, deque(maxlen=self.settings.live_buffer)).append(change)
        self.last[change.stream] = max(self.last.get(change.stream, 0), change.seq)
        for listener in self.listeners:
            if listener.overflowed or not listener.topic.wants(change):
                continue
            try:
                listener.queue.put_nowait(change)
            except asyncio.QueueFull:
                listener.overflowed = True
                with contextlib.suppress(asyncio.QueueEmpty):
                    listener.queue.get_nowait()
                listener.queue.put_nowait("reload")

    def missed(self, listener: Listener) -> list[Change] | None:
        """What `listener` missed since its cursor, or None when the buffer no longer reaches back that far."""
        out: list[Change] = []
        for stream, seen in listener.cursor.items():
            buffered = self.buffer.get(stream)
            if buffered is None:
                continue
            if seen < self.last.get(stream, 0) and (not buffered or buffered[0].seq > seen + 1):
                return None
            out += [c for c in buffered if c.seq > seen and listener.topic.wants(c)]
        return out

    async def stream(
        self, principal: Principal, topic: Topic, last_event_id: str | None
    ) -> AsyncIterator[dict]:
        """SSE events for one browser: first what it missed since `last_event_id` (the browser's Last-Event-ID,
        or the cursor its page was rendered at), then each change as it happens."""
        if not (principal.all_estates or uuid.UUID(topic.estate_id) in principal.estates):
            return
        listener = Listener(topic, parse_cursor(last_event_id) or dict(self.last))
        self.listeners.add(listener)
        try:
            yield {"event": "hello", "id": format_cursor(listener.cursor), "data": "{}", "retry": 2000}
            if last_event_id:
                missed = self.missed(listener)
                if missed is None:
                    listener.cursor.update(self.last)
                    yield {"event": "reload", "id": format_cursor(listener.cursor), "data": "{}"}
                else:
                    for change in missed:
                        yield self._event(listener, change)
            while True:
                item = await listener.queue.get()
                if item is None:
                    return
                if item == "reload":
                    listener.overflowed = False
                    listener.cursor.update(self.last)
                    yield {"event": "reload", "id": format_cursor(listener.cursor), "data": "{}"}
                    continue
                if item.seq <= listener.cursor.get(item.stream, 0):
                    continue  # already sent while catching up
                yield self._event(listener, item)
        finally:
            self.listeners.discard(listener)

    def _event(self, listener: Listener, change: Change) -> dict:
        listener.cursor[change.stream] = change.seq
        return {"event": "change", "id": format_cursor(listener.cursor), "data": change.data()}
