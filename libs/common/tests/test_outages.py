"""Degrade, don't fail (issue 20, item 7): with its database gone, a service answers 503 with Retry-After on a
connection that stays usable, and comes back by itself; a consumer waits the outage out without spending
deliveries (nothing dead-lettered); beyond its in-flight bound a process refuses at once with 503.

The database "goes away" through a TCP proxy in front of the test's PostgreSQL: closing the proxy refuses new
connections and cuts the open ones, as a PostgreSQL restart does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from propdesk.common import outages
from propdesk.common.embedded import free_port
from propdesk.common.problems import install_error_handlers
from propdesk.common.shedding import LoadShedding
from propdesk.common.testing.helpers import running_service, served, token, wait_until
from propdesk.common.web import create_service_app
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)


class Proxy:
    """A TCP proxy to PostgreSQL that can be taken down (refusing and cutting connections) and brought back. It
    runs on its own thread and event loop, so a service served on another thread reaches it whatever the test's
    loop is doing."""

    def __init__(self, url: str) -> None:
        target = make_url(url)
        self.target = (target.host or "127.0.0.1", target.port or 5432)
        self.port = free_port()
        self.url = target.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)
        self.writers: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def up(self) -> None:
        async def listen() -> None:
            self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

        self._run(listen())

    def down(self) -> None:
        async def cut() -> None:
            self.server.close()
            for writer in list(self.writers):
                writer.close()
            self.writers.clear()

        self._run(cut())

    def close(self) -> None:
        self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            their_reader, their_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, their_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, their_writer), pipe(their_reader, writer))


def test_outages_are_told_from_bugs():
    refused = ConnectionRefusedError(111, "Connect call failed")
    starting = asyncpg.CannotConnectNowError("the database system is starting up")
    shutdown = asyncpg.AdminShutdownError("terminating connection due to administrator command")
    unique = asyncpg.UniqueViolationError("duplicate key value violates unique constraint")
    assert (
        outages.is_unavailable(refused)
        and outages.is_unavailable(starting)
        and outages.is_unavailable(shutdown)
    )
    assert outages.is_unavailable(DBAPIError("SELECT 1", {}, starting))
    assert not outages.is_unavailable(IntegrityError("INSERT", {}, unique))
    assert not outages.is_unavailable(ValueError("a bug"))


async def _two_on_one_connection(port: int, path: str) -> list[tuple[int, dict]]:
    """Two GETs on one keep-alive connection (the second fails if the server closed it after the first)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = ADMIN["Authorization"]
    answers = []
    try:
        for _ in range(2):
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n".encode())
            await writer.drain()
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
            body = await reader.readexactly(int(headers["content-length"]))
            answers.append((int(head[0].split()[1]), {**headers, "body": json.loads(body)}))
    finally:
        writer.close()
    return answers


async def test_a_database_outage_is_503_on_a_usable_connection_and_passes(platform_env):
    proxy = Proxy(platform_env.database_url)
    proxy.up()
    port = free_port()
    app = create_service_app(INTAKE, platform_env.settings(INTAKE, database_url=proxy.url, port=port))
    with served(app, port) as url:
        async with httpx.AsyncClient(base_url=url, headers=ADMIN) as client:
            assert (await client.get("/v1/estates")).status_code == 200
            proxy.down()
            answers = await _two_on_one_connection(port, "/v1/estates")
            for status, answer in answers:
                assert status == 503 and answer["retry-after"] == str(outages.RETRY_AFTER_SECONDS), answer
                assert answer["body"]["type"].endswith("/database-unavailable")
            proxy.up()

            async def back():
                return (await client.get("/v1/estates")).status_code == 200

            await wait_until(back, message="the service to use its database again")
    proxy.close()


async def test_a_consumer_waits_out_an_outage_without_spending_deliveries(platform_env, db):
    proxy = Proxy(platform_env.database_url)
    proxy.up()
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env, database_url=proxy.url, consumer_max_deliver=3) as repairs,
    ):
        proxy.down()  # repairs loses its database; intake (the producer) keeps its own
        r = await intake.post("/v1/estates", json={"code": "OUT", "name": "断线小区"}, headers=ADMIN)
        assert r.status_code == 201, r.text
        runtime = repairs.app.state.runtime

        async def waiting():
            return sum(c.stats.outages for c in runtime.consumers) >= 3 or None

        await wait_until(waiting, message="repairs' consumer to wait through several retries")
        proxy.up()

        async def known():
            rows = await db("SELECT count(*) FROM repairs.estate WHERE id = :i", i=r.json()["id"])
            return rows[0][0] == 1

        await wait_until(known, timeout=30, message="repairs to apply the event once its database is back")
    assert await db("SELECT count(*) FROM repairs.dead_letter") == [(0,)]  # more waits than max_deliver
    proxy.close()


async def test_beyond_the_in_flight_bound_a_request_is_refused_at_once():
    gate = asyncio.Event()
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/slow")
    async def slow() -> dict:
        await gate.wait()
        return {"ok": True}

    shed = []
    app.add_middleware(LoadShedding, limit=lambda: 2, on_shed=lambda: shed.append(1))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        held = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
        await wait_until(lambda: _settled(app), message="two requests in flight")
        refused = await client.get("/slow", headers={"Accept-Language": "zh-CN"})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert refused.json()["title"] == "服务繁忙，请稍后重试" and shed == [1]
        gate.set()
        assert [t.status_code for t in await asyncio.gather(*held)] == [200, 200]


async def _settled(app) -> bool:
    await asyncio.sleep(0)
    stack = app.middleware_stack
    while stack is not None and not isinstance(stack, LoadShedding):
        stack = getattr(stack, "app", None)
    return stack is not None and stack.in_flight == 2
