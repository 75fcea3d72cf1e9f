"""Settings: `PROPDESK_` prefix, per-service sections (`PROPDESK_REPAIRS_PORT`), nothing built at import."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import typing
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "propdesk-dev-secret-do-not-use-in-production"
MIN_JWT_SECRET = 32  # characters of an HS256 secret outside dev mode
MIN_SECRET_BYTES = 24  # bytes behind a Standard Webhooks secret


def webhook_secret_bytes(secret: str) -> bytes:
    """The key a Standard Webhooks secret (`whsec_` + base64) stands for; ValueError when it is not one or
    holds fewer than MIN_SECRET_BYTES bytes."""
    raw = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is whsec_ followed by base64") from exc
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"a webhook secret must hold at least {MIN_SECRET_BYTES} bytes")
    return key


def dev_webhook_secret(label: str) -> str:
    """The published secret dev mode uses for one sender (never accepted outside dev mode)."""
    return "whsec_" + base64.b64encode(hashlib.sha256(f"propdesk-dev:{label}".encode()).digest()).decode()


def webhook_secret(value: SecretStr | None, *, dev: bool, env: str, label: str) -> SecretStr:
    """A webhook secret from settings: required outside dev mode (and never the dev one), long enough."""
    if value is None:
        if not dev:
            raise ValueError(
                f"{env} is required outside dev mode (a whsec_ secret of {MIN_SECRET_BYTES}+ bytes)"
            )
        return SecretStr(dev_webhook_secret(label))
    try:
        webhook_secret_bytes(value.get_secret_value())
    except ValueError as exc:
        raise ValueError(f"{env}: {exc}") from exc
    if not dev and value.get_secret_value() == dev_webhook_secret(label):
        raise ValueError(f"{env} is the published dev secret: set a secret of your own")
    return value


def scoped_environment(settings_cls: type[BaseSettings], scope: str) -> dict[str, object]:
    """`PROPDESK_<SCOPE>_<FIELD>` values for the fields of `settings_cls`; a list or dict field's value is JSON,
    as pydantic-settings reads it from `PROPDESK_<FIELD>` (`PROPDESK_CONSOLE_SERVICE_URLS='{"intake": …}'`)."""
    prefix = f"PROPDESK_{scope.upper()}_"
    found: dict[str, object] = {}
    for key, value in os.environ.items():
        name = key[len(prefix) :].lower()
        if not key.startswith(prefix) or name not in settings_cls.model_fields:
            continue
        annotation = settings_cls.model_fields[name].annotation
        complex_ = typing.get_origin(annotation) in (list, dict) or annotation in (list, dict)
        found[name] = json.loads(value) if complex_ else value
    return found


class CommonSettings(BaseSettings):
    """What every service and the CLI share."""

    model_config = SettingsConfigDict(env_prefix="PROPDESK_", extra="ignore")

    dev: bool = False
    log_json: bool | None = None
    log_level: str = "INFO"
    log_file: Path | None = None  # append log lines here instead of stderr
    database_url: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    # NATS credentials (broker.py says what each user may do): a user and password, or an nkey/JWT .creds file;
    # TLS with a CA (and a client certificate for mutual TLS)
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_credentials_file: Path | None = None
    nats_tls_ca_file: str | None = None
    nats_tls_cert_file: str | None = None
    nats_tls_key_file: str | None = None
    namespace: str = Field(default="propdesk", pattern=r"^[a-z][a-z0-9_]*$")
    stream_replicas: int = 1
    jwt_secret: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "propdesk"
    jwt_audience: str = "propdesk"  # the `aud` every access token must carry
    # identity seals the SMS codes notify sends (and its own secrets at rest) with it: sealing.py
    sealing_key: SecretStr | None = None
    data_dir: Path = Path(".propdesk")
    timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _secrets_only_default_in_dev(self) -> Self:
        if self.jwt_secret is None and self.dev:
            # dev mode always takes `propdesk token`'s tokens, beside identity's keys when those are set
            self.jwt_secret = SecretStr(DEV_JWT_SECRET)
        if self.jwt_secret is None and not (self.jwt_public_key or self.jwt_jwks_url):
            raise ValueError(
                "PROPDESK_JWT_JWKS_URL (identity's keys), PROPDESK_JWT_PUBLIC_KEY or PROPDESK_JWT_SECRET is "
                "required outside dev mode (set PROPDESK_DEV=1 for local development)"
            )
        if not self.dev and self.jwt_secret is not None:
            secret = self.jwt_secret.get_secret_value()
            if secret == DEV_JWT_SECRET:
                raise ValueError("PROPDESK_JWT_SECRET is the published dev secret: production refuses it")
            if len(secret) < MIN_JWT_SECRET:
                raise ValueError(f"PROPDESK_JWT_SECRET must be at least {MIN_JWT_SECRET} characters")
        return self

    @property
    def json_logs(self) -> bool:
        return (not self.dev) if self.log_json is None else self.log_json

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ValueError("PROPDESK_DATABASE_URL is not set")
        return self.database_url


class ServiceSettings(CommonSettings):
    """One service's settings. `PROPDESK_<SERVICE>_<FIELD>` overrides `PROPDESK_<FIELD>`."""

    service_name: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    relay_batch: int = 500
    relay_poll_seconds: float = 1.0
    # after a NOTIFY, wait this long before the relay or timer pass: under load one pass then carries the
    # commits of several requests (each pass costs a transaction of its own)
    wakeup_coalesce_seconds: float = 0.02
    consumer_batch: int = 100
    consumer_max_deliver: int = 5
    consumer_backoff_seconds: float = 0.5
    timer_batch: int = 200
    timer_poll_seconds: float = 1.0
    timer_max_attempts: int = 5
    # connections kept open; up to half as many more are opened under bursts and closed again. A closed
    # connection loses its prepared statements (each new one prepares and introspects types again), so the
    # kept pool is sized for the request concurrency plus the relay, timer worker and consumers.
    db_pool_size: int = 20
    # requests one process serves at once; beyond, 503 with Retry-After at once (shedding.py)
    max_in_flight_requests: int = 256
    run_workers: bool = True
    # requests per caller (ratelimit.py): a token, or an anonymous client's address; "" switches one off
    rate_limit_per_token: str = "1200/minute"
    rate_limit_per_address: str = "600/minute"

    @model_validator(mode="after")
    def _nats_credentials_outside_dev(self) -> Self:
        if not self.dev and self.nats_password is None and self.nats_credentials_file is None:
            name = self.service_name.upper() or "<SERVICE>"
            raise ValueError(
                f"PROPDESK_{name}_NATS_PASSWORD (or _NATS_CREDENTIALS_FILE) is required outside dev mode: "
                "the broker gives each service its own user (deploy/nats/README.md)"
            )
        return self

    @classmethod
    def for_service(cls, name: str, **overrides: object) -> Self:
        return cls(service_name=name, **{**scoped_environment(cls, name), **overrides})
