from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator

from propdesk.common.settings import ServiceSettings

DEV_ALARM_SECRET = "propdesk-dev-alarm-panel-secret"


class IncidentsSettings(ServiceSettings):
    """incidents's settings (`PROPDESK_INCIDENTS_*`)."""

    alarm_webhook_secret: SecretStr | None = (
        None  # signs the alarm panel's webhook; required outside dev mode
    )

    @model_validator(mode="after")
    def _alarm_secret_outside_dev(self) -> Self:
        if self.alarm_webhook_secret is None:
            if not self.dev:
                raise ValueError("PROPDESK_INCIDENTS_ALARM_WEBHOOK_SECRET is required outside dev mode")
            self.alarm_webhook_secret = SecretStr(DEV_ALARM_SECRET)
        return self
