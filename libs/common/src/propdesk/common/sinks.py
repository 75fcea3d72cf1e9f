"""Stand-ins for outside providers: a real SMTP server and a real HTTP server on this machine that record
what they receive. `propdesk up` runs them so a newcomer sees real mails and SMS requests; tests use them
to check what was actually sent (and to make a provider fail on purpose)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller


@dataclass
class CaughtMail:
    sender: str
    recipients: list[str]
    subject: str
    body: str
    raw: bytes


class SmtpSink:
    """An SMTP server that keeps every mail (and, given a folder, writes each as a .eml file). A mail whose
    Message-ID it already has is a repeat: accepted, not delivered again, and kept in `repeats` (a provider
    that honours idempotency keys, as ours must be to send each message at most once)."""

    def __init__(self, port: int, folder: Path | None = None, on_mail=None) -> None:
        self.mails: list[CaughtMail] = []
        self.repeats: list[CaughtMail] = []
        self._ids: set[str] = set()
        self.folder = folder
        self.on_mail = on_mail  # called with each CaughtMail (`propdesk up` prints a line)
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.port = port

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        caught = CaughtMail(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            str(message["subject"] or ""),
            body.get_content() if body else "",
            envelope.content,
        )
        message_id = str(message["message-id"] or "")
        with self._lock:
            if message_id and message_id in self._ids:
                self.repeats.append(caught)
                if self.folder is not None:
                    with (self.folder / "repeats.log").open("a", encoding="utf-8") as log:
                        log.write(f"repeat dropped: {message_id}\n")
                return "250 OK (a repeat of a message already delivered: dropped)"
            self._ids.add(message_id)
            self.mails.append(caught)
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                (self.folder / f"{len(self.mails):05d}.eml").write_bytes(envelope.content)
        if self.on_mail is not None:
            self.on_mail(caught)
        return "250 OK"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class HttpRequestRecord:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class HttpSink:
    """An HTTP/1.1 server (keep-alive, asyncio in its own thread) that records every POST. `fail_with`
    makes it answer with that status (a provider that is down); `fail_first` fails the first N requests
    (a flaky one); `fail_every` fails every Nth (a steady error rate). A POST whose `webhook-id` (the
    sender's idempotency key) it has accepted before is a repeat: answered as the first was, not recorded
    again, kept in `repeats`."""

    port: int
    fail_with: int | None = None
    fail_first: int = 0
    fail_every: int = 0
    log_file: Path | None = None
    requests: list[HttpRequestRecord] = field(default_factory=list)
    repeats: list[HttpRequestRecord] = field(default_factory=list)
    attempts: int = 0
    accepted: dict[str, bytes] = field(default_factory=dict)  # idempotency key → the answer given

    def start(self) -> HttpSink:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=1024)
            )
            ready.set()
            self._loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.attempts += 1
                status = (
                    self.fail_with
                    or (500 if self.attempts <= self.fail_first else None)
                    or (503 if self.fail_every and self.attempts % self.fail_every == 0 else None)
                )
                payload = b""
                key = headers.get("webhook-id")
                if status is None and key in self.accepted:
                    status, payload = 202, self.accepted[key]
                    self.repeats.append(HttpRequestRecord(path, headers, body))
                    self._log(json.dumps({"repeat_dropped": key}))
                elif status is None:
                    status = 202
                    self.requests.append(HttpRequestRecord(path, headers, body))
                    self._log(body.decode(errors="replace"))
                    payload = json.dumps({"id": f"sink-{len(self.requests)}", "status": "accepted"}).encode()
                    if key:
                        self.accepted[key] = payload
                writer.write(
                    b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                    % (status, len(payload), payload)
                )
                await writer.drain()
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.LimitOverrunError,
            asyncio.CancelledError,
        ):
            pass
        finally:
            writer.close()

    def _log(self, line: str) -> None:
        if self.log_file is not None:
            with self.log_file.open("a", encoding="utf-8") as log:
                log.write(line + "\n")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in handlers:  # open keep-alive connections
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self.thread.join(10)
