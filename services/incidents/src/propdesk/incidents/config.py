from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator

from propdesk.common.settings import ServiceSettings, webhook_secret


class IncidentsSettings(ServiceSettings):
    """incidents's settings (`PROPDESK_INCIDENTS_*`)."""

    # signs the alarm panel's webhook; required outside dev mode
    alarm_webhook_secret: SecretStr | None = None
    # this many no-power / no-water reports from one building within the window open the outage playbook
    outage_reports_threshold: int = 3
    outage_reports_window_minutes: int = 30

    @model_validator(mode="after")
    def _webhook_secret(self) -> Self:
        self.alarm_webhook_secret = webhook_secret(
            self.alarm_webhook_secret,
            dev=self.dev,
            env="PROPDESK_INCIDENTS_ALARM_WEBHOOK_SECRET",
            label="alarm-panel",
        )
        return self
