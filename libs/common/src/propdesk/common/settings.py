"""Settings: `PROPDESK_` prefix, per-service sections (`PROPDESK_REPAIRS_PORT`), nothing built at import."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "propdesk-dev-secret-do-not-use-in-production"


class CommonSettings(BaseSettings):
    """What every service and the CLI share."""

    model_config = SettingsConfigDict(env_prefix="PROPDESK_", extra="ignore")

    dev: bool = False
    log_json: bool | None = None
    log_level: str = "INFO"
    database_url: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    namespace: str = Field(default="propdesk", pattern=r"^[a-z][a-z0-9_]*$")
    stream_replicas: int = 1
    jwt_secret: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "propdesk"
    data_dir: Path = Path(".propdesk")
    timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _secrets_only_default_in_dev(self) -> Self:
        if self.jwt_secret is None and not (self.jwt_public_key or self.jwt_jwks_url):
            if not self.dev:
                raise ValueError(
                    "PROPDESK_JWT_SECRET (or PROPDESK_JWT_PUBLIC_KEY / PROPDESK_JWT_JWKS_URL) is required "
                    "outside dev mode (set PROPDESK_DEV=1 for local development)"
                )
            self.jwt_secret = SecretStr(DEV_JWT_SECRET)
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
    run_workers: bool = True

    @classmethod
    def for_service(cls, name: str, **overrides: object) -> Self:
        prefix = f"PROPDESK_{name.upper()}_"
        fields = set(cls.model_fields)
        scoped = {
            key[len(prefix) :].lower(): value
            for key, value in os.environ.items()
            if key.startswith(prefix) and key[len(prefix) :].lower() in fields
        }
        return cls(service_name=name, **{**scoped, **overrides})
