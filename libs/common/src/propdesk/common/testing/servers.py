"""Where the tests' PostgreSQL and NATS come from: env URLs, else testcontainers when a Docker engine
answers, else the embedded servers. Always real servers."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from propdesk.common.broker import Users
from propdesk.common.embedded import EmbeddedNats, EmbeddedPostgres, free_port


@dataclass
class Servers:
    database_url: str
    nats_url: str
    source: str
    _stops: list = field(default_factory=list)
    embedded_nats: EmbeddedNats | None = None
    nats_users: Users | None = None  # embedded NATS runs with a user per service; nats_url is the platform's

    def stop(self) -> None:
        for stop in reversed(self._stops):
            stop()


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (subprocess.TimeoutExpired, OSError):
        return False


def start_servers(base_dir: Path) -> Servers:
    db, nats_url = os.environ.get("PROPDESK_TEST_DATABASE_URL"), os.environ.get("PROPDESK_TEST_NATS_URL")
    if db and nats_url:
        return Servers(db, nats_url, source="environment")
    if docker_available():
        from testcontainers.core.container import DockerContainer
        from testcontainers.postgres import PostgresContainer

        pg = PostgresContainer("postgres:17-alpine", driver=None).start()
        nats = DockerContainer("nats:2.11-alpine").with_command("-js").with_exposed_ports(4222).start()
        url = f"nats://{nats.get_container_host_ip()}:{nats.get_exposed_port(4222)}"
        servers = Servers(pg.get_connection_url(), url, source="testcontainers")
        servers._stops += [pg.stop, nats.stop]
        return servers
    pg = _start_with_retries(lambda: EmbeddedPostgres(base_dir / "pg", port=free_port(), durable=False))
    users = Users.generate()
    nats = _start_with_retries(
        lambda: EmbeddedNats(base_dir / "nats", port=free_port(), sync_always=False, users=users)
    )
    servers = Servers(pg.url, users.url(nats.url), source="embedded", embedded_nats=nats, nats_users=users)
    servers._stops += [pg.stop, nats.stop]
    return servers


def _start_with_retries(make, attempts: int = 5):
    """free_port() gives the port back before the server binds it, so a parallel run (or the other xdist
    worker) can take it first: try again on a fresh port."""
    for attempt in range(attempts):
        server = make()
        try:
            server.start()
            return server
        except (RuntimeError, TimeoutError, subprocess.CalledProcessError):
            server.stop()
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
