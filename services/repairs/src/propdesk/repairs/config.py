from __future__ import annotations

from propdesk.common.settings import ServiceSettings


class RepairsSettings(ServiceSettings):
    """repairs's settings (`PROPDESK_REPAIRS_*`); the domain's own options arrive with its issue."""
