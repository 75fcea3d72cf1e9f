"""Who may do what on NATS: one user per service, a platform user for operators.

A service's user may publish only its own events (`<namespace>.<service>.>`, any namespace) and use the
JetStream API to read streams through consumers; it may not delete or purge a stream, delete a message or a
consumer, or subscribe to anything but its own reply inbox (`_INBOX_<service>.>`). So a service cannot forge
another service's events, and a client without credentials cannot connect at all.

The platform user (`platform`) may do everything: `propdesk up`, `propdesk status`, `propdesk events tail`,
the test harness. Operators keep its password to themselves.

Credentials come from settings (`PROPDESK_<SERVICE>_NATS_USER` / `_NATS_PASSWORD`, or an nkey/JWT
`.creds` file in `_NATS_CREDENTIALS_FILE`; TLS with `_NATS_TLS_CA_FILE` and, for mutual TLS,
`_NATS_TLS_CERT_FILE` / `_NATS_TLS_KEY_FILE`). The embedded NATS (`propdesk up`, the tests) runs with
generated passwords kept in `<data>/nats/users.json` (mode 0600), so the default is secure.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PLATFORM_USER = "platform"
# users that only listen (the console): they read streams through consumers of their own and publish nothing
READERS = ("console",)

# Every JetStream API call a service makes: stream info / create / update (its own stream and those of the
# producers it consumes, so it can start first), consumers (create, info, fetch), acks and flow control.
SERVICE_JS_API = [
    "$JS.API.INFO",
    "$JS.API.STREAM.NAMES",
    "$JS.API.STREAM.INFO.*",
    "$JS.API.STREAM.CREATE.*",
    "$JS.API.STREAM.UPDATE.*",
    "$JS.API.CONSUMER.>",
    "$JS.ACK.>",
    "$JS.FC.>",
]
SERVICE_DENIED = [
    "$JS.API.STREAM.DELETE.>",
    "$JS.API.STREAM.PURGE.>",
    "$JS.API.STREAM.MSG.DELETE.>",
    "$JS.API.CONSUMER.DELETE.>",
]


def inbox_prefix(user: str) -> str:
    return f"_INBOX_{user}"


def permissions(service: str) -> dict[str, Any]:
    """A service user's NATS permissions (a reader's: the JetStream API only, no events of its own)."""
    if service in READERS:
        return {
            "publish": {
                "allow": SERVICE_JS_API,
                "deny": [*SERVICE_DENIED, "$JS.API.STREAM.CREATE.*", "$JS.API.STREAM.UPDATE.*"],
            },
            "subscribe": {"allow": [f"{inbox_prefix(service)}.>"]},
        }
    return {
        "publish": {"allow": [f"*.{service}.>", *SERVICE_JS_API], "deny": SERVICE_DENIED},
        "subscribe": {"allow": [f"{inbox_prefix(service)}.>"]},
    }


def services() -> list[str]:
    """Every user but the platform's: the services, then the readers."""
    from propdesk.common.events import SERVICES

    return [*SERVICES, *READERS]


@dataclass(frozen=True)
class Users:
    """user -> password: one per service and the platform's."""

    passwords: dict[str, str]

    @classmethod
    def generate(cls) -> Users:
        return cls({u: secrets.token_urlsafe(24) for u in [*services(), PLATFORM_USER]})

    @classmethod
    def load_or_create(cls, path: Path) -> Users:
        """The users kept at `path` (adding any service that is new), else fresh ones written there."""
        if path.exists():
            kept = json.loads(path.read_text())
            users = cls({**cls.generate().passwords, **kept})
            if users.passwords.keys() == kept.keys():
                return users
        else:
            users = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(users.passwords, f)
        return users

    def server_config(self) -> str:
        """The `authorization` block of a nats-server configuration."""
        return authorization(self.passwords)

    def env_for_services(self) -> dict[str, str]:
        """Environment variables that give each service (and the CLI, as the platform) its credentials."""
        env = {"PROPDESK_NATS_USER": PLATFORM_USER, "PROPDESK_NATS_PASSWORD": self.passwords[PLATFORM_USER]}
        for service in services():
            key = f"PROPDESK_{service.upper()}_NATS"
            env[f"{key}_USER"] = service
            env[f"{key}_PASSWORD"] = self.passwords[service]
        return env

    def url(self, url: str, user: str = PLATFORM_USER) -> str:
        """`url` with `user`'s credentials in it (for tools that take one URL: tests, benchmarks)."""
        return with_credentials(url, user, self.passwords[user])


def authorization(passwords: dict[str, str], *, from_env: bool = False) -> str:
    """A nats-server `authorization` block (JSON is valid NATS config). `from_env`: each password is the
    server's environment variable `PROPDESK_<USER>_NATS_PASSWORD` (deploy/nats/auth.conf)."""
    entries = []
    for user, password in sorted(passwords.items()):
        entry: dict[str, Any] = {"user": user, "password": password}
        if user != PLATFORM_USER:
            entry["permissions"] = permissions(user)
        entries.append(entry)
    text = "authorization " + json.dumps({"users": entries}, indent=2) + "\n"
    if from_env:  # NATS reads `$NAME` (unquoted) as an environment variable
        for user in passwords:
            text = text.replace(f'"{passwords[user]}"', passwords[user])
    return text


def password_variable(user: str) -> str:
    return f"PROPDESK_{user.upper()}_NATS_PASSWORD"


def deploy_config() -> str:
    """deploy/nats/auth.conf: the users and permissions, passwords from the server's environment."""
    users = [*services(), PLATFORM_USER]
    header = (
        "# Generated by `propdesk nats-auth` from libs/common/src/propdesk/common/broker.py: do not edit.\n"
        "# One user per service (publish only its own events; no stream deletion), `platform` for operators.\n"
        "# The server reads each password from its environment: "
        + ", ".join(password_variable(u) for u in users)
        + ".\n"
    )
    return header + authorization({u: "$" + password_variable(u) for u in users}, from_env=True)


def with_credentials(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connect_options(settings: Any, *, user_default: str | None = None) -> dict[str, Any]:
    """nats.connect keyword arguments from settings: credentials, TLS, the user's reply inbox."""
    options: dict[str, Any] = {}
    user = settings.nats_user or user_default
    if settings.nats_credentials_file:
        options["user_credentials"] = str(settings.nats_credentials_file)
    elif settings.nats_password is not None:
        options["user"] = user
        options["password"] = settings.nats_password.get_secret_value()
    if user and user != PLATFORM_USER:
        options["inbox_prefix"] = inbox_prefix(user)
    if settings.nats_tls_ca_file or settings.nats_tls_cert_file:
        context = ssl.create_default_context(cafile=settings.nats_tls_ca_file)
        if settings.nats_tls_cert_file:
            context.load_cert_chain(settings.nats_tls_cert_file, settings.nats_tls_key_file)
        options["tls"] = context
    return options


def dev_platform_credentials(data_dir: Path) -> tuple[str, str] | None:
    """The platform user of the embedded NATS that `propdesk up` started under `data_dir`, if any."""
    path = data_dir / "nats" / "users.json"
    if not path.exists():
        return None
    return PLATFORM_USER, json.loads(path.read_text())[PLATFORM_USER]


def platform_options(settings: Any) -> dict[str, Any]:
    """Connect options for the CLI (the platform user): from settings, else, in dev mode, the embedded NATS
    that `propdesk up` started under the data directory."""
    if settings.nats_password is None and not settings.nats_credentials_file and settings.dev:
        found = dev_platform_credentials(settings.data_dir)
        if found is not None:
            return {"user": found[0], "password": found[1]}
    return connect_options(settings)
