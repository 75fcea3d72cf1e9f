from __future__ import annotations

from propdesk.common.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """notify's settings (`PROPDESK_NOTIFY_*`); the domain's own options arrive with its issue."""
