from __future__ import annotations

from propdesk.common.settings import ServiceSettings


class IncidentsSettings(ServiceSettings):
    """incidents's settings (`PROPDESK_INCIDENTS_*`); the domain's own options arrive with its issue."""
