from __future__ import annotations

from propdesk.common.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Intake's settings (`PROPDESK_INTAKE_*`); the domain's own options arrive with its issues."""
