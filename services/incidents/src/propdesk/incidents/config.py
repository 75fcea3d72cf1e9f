from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator

from propdesk.common.settings import ServiceSettings

DEV_ALARM_SECRET = "propdesk-dev-alarm-panel-secret"


class IncidentsSettings(ServiceSettings):
    """incidents's settings (`PROPDESK_INCIDENTS_*`)."""

    # signs the alarm panel's webhook; required outside dev mode
    alarm_webhook_secret: SecretStr | None = None
    # this many no-power / no-water reports from one building within the window open the outage playbook
    outage_reports_threshold: int = 3
    outage_reports_window_minutes: int = 30

    @model_validator(mode="after")
    def _alarm_secret_outside_dev(self) -> Self:
        if self.alarm_webhook_secret is None:
            if not self.dev:
                raise ValueError("PROPDESK_INCIDENTS_ALARM_WEBHOOK_SECRET is required outside dev mode")
            self.alarm_webhook_secret = SecretStr(DEV_ALARM_SECRET)
        return self
