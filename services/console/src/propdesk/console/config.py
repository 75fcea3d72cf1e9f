"""The console's settings (`PROPDESK_CONSOLE_*`, else `PROPDESK_*`)."""

from __future__ import annotations

import os
from typing import Self

from pydantic import SecretStr, model_validator

from propdesk.common.sealing import sealing_key
from propdesk.common.settings import CommonSettings, scoped_environment

BACKENDS = ("intake", "repairs", "billing", "incidents", "notify", "identity")
DEFAULT_PORTS = {
    "intake": 8101,
    "repairs": 8102,
    "billing": 8103,
    "incidents": 8104,
    "notify": 8105,
    "identity": 8106,
}


class ConsoleSettings(CommonSettings):
    service_name: str = "console"
    host: str = "127.0.0.1"
    port: int = 8107
    # where the services' public APIs are (default: PROPDESK_<SERVICE>_HOST/_PORT as `propdesk up` runs them)
    service_urls: dict[str, str] = {}
    # the session cookie is sealed (Fernet) with this key; in dev the platform's sealing key
    session_key: SecretStr | None = None
    session_hours: int = (
        12  # a signed-in console stays signed in this long without activity (refresh permitting)
    )
    secure_cookies: bool | None = None  # Secure cookies (default: outside dev mode)
    api_timeout_seconds: float = 8.0
    # live updates: the streams the console listens to and how many recent changes it keeps for reconnects
    live_streams: list[str] = ["repairs"]
    live_buffer: int = 5000
    board_limit: int = 200  # work orders on the board at once (the rest behind "more")

    @model_validator(mode="after")
    def _keys(self) -> Self:
        self.session_key = sealing_key(self.session_key or self.sealing_key, dev=self.dev)
        if not self.dev and self.nats_password is None and self.nats_credentials_file is None:
            raise ValueError(
                "PROPDESK_CONSOLE_NATS_PASSWORD (or _NATS_CREDENTIALS_FILE) is required outside dev mode"
            )
        return self

    @property
    def cookie_secure(self) -> bool:
        return (not self.dev) if self.secure_cookies is None else self.secure_cookies

    def url(self, service: str) -> str:
        if service in self.service_urls:
            return self.service_urls[service].rstrip("/")
        host = os.environ.get(f"PROPDESK_{service.upper()}_HOST", "127.0.0.1")
        port = os.environ.get(f"PROPDESK_{service.upper()}_PORT", DEFAULT_PORTS[service])
        return f"http://{host}:{port}"

    @classmethod
    def for_console(cls, **overrides: object) -> Self:
        return cls(**{**scoped_environment(cls, "console"), **overrides})
