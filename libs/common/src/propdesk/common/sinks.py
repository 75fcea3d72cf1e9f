"""Stand-ins for outside providers: a real SMTP server and a real HTTP server on this machine that record
what they receive. `propdesk up` runs them so a newcomer sees real mails and SMS requests; tests use them
to check what was actually sent (and to make a provider fail on purpose)."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    """An SMTP server that keeps every mail (and, given a folder, writes each as a .eml file)."""

    def __init__(self, port: int, folder: Path | None = None) -> None:
        self.mails: list[CaughtMail] = []
        self.folder = folder
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
        with self._lock:
            self.mails.append(caught)
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                (self.folder / f"{len(self.mails):05d}.eml").write_bytes(envelope.content)
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


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # a gateway takes many connections at once; http.server's default is 5
    daemon_threads = True


@dataclass
class HttpSink:
    """An HTTP server that records every POST. `fail_with` makes it answer with that status (a provider
    that is down); `fail_first` fails only the first N requests (a flaky one)."""

    port: int
    fail_with: int | None = None
    fail_first: int = 0
    log_file: Path | None = None
    requests: list[HttpRequestRecord] = field(default_factory=list)
    attempts: int = 0

    def start(self) -> HttpSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                sink.attempts += 1
                failing = sink.fail_with or (500 if sink.attempts <= sink.fail_first else None)
                if failing:
                    self.send_response(failing)
                    self.end_headers()
                    return
                record = HttpRequestRecord(self.path, dict(self.headers), body)
                sink.requests.append(record)
                if sink.log_file is not None:
                    with sink.log_file.open("a", encoding="utf-8") as log:
                        log.write(body.decode(errors="replace") + "\n")
                self.send_response(202)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(
                    json.dumps({"id": f"sink-{len(sink.requests)}", "status": "accepted"}).encode()
                )

            def log_message(self, *args) -> None:
                pass

        self.server = _Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
