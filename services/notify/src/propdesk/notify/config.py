from __future__ import annotations

import json

from pydantic import BaseModel, SecretStr, field_validator, model_validator

from propdesk.common.sealing import sealing_key
from propdesk.common.settings import ServiceSettings, webhook_secret_bytes


class ProviderConfig(BaseModel):
    """An HTTP provider (SMS, push, voice): requests are signed per the Standard Webhooks convention."""

    name: str
    url: str
    secret: SecretStr  # whsec_ + base64 of at least 24 bytes

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        webhook_secret_bytes(value.get_secret_value())
        return value


class NotifySettings(ServiceSettings):
    """notify's settings (`PROPDESK_NOTIFY_*`). Lists are JSON in the environment."""

    sealing_key: SecretStr | None = (
        None  # opens identity's sign-in codes as their SMS goes out (PROPDESK_SEALING_KEY)
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: bool = False
    mail_from: str = "propdesk <no-reply@propdesk.local>"
    sms_providers: list[ProviderConfig] = []  # tried in order; the next one takes over when one fails
    push_providers: list[ProviderConfig] = []
    voice_providers: list[ProviderConfig] = []
    critical_chain: list[str] = ["push", "sms", "voice"]  # tried in turn until the recipient acknowledges
    chain_step_seconds: float = 120.0
    # staff get these at once on every channel; every other non-critical staff alert is routine: in the inbox
    # at once and in the next digest (SMS / e-mail, one message per interval), unless they chose otherwise
    staff_urgent_categories: list[str] = ["sla_breach", "unassignable"]
    digest_interval_seconds: float = 900.0
    send_timeout_seconds: float = 5.0
    max_attempts: int = 6
    retry_base_seconds: float = 2.0

    @field_validator(
        "sms_providers",
        "push_providers",
        "voice_providers",
        "critical_chain",
        "staff_urgent_categories",
        mode="before",
    )
    @classmethod
    def _json(cls, value: object) -> object:
        """`PROPDESK_NOTIFY_SMS_PROVIDERS='[{"name": ..., "url": ..., "secret": ...}]'`, likewise push/voice."""
        return json.loads(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _sealing(self) -> NotifySettings:
        self.sealing_key = sealing_key(self.sealing_key, dev=self.dev)
        return self

    def providers(self, channel: str) -> list[ProviderConfig]:
        return {"sms": self.sms_providers, "push": self.push_providers, "voice": self.voice_providers}.get(
            channel, []
        )
