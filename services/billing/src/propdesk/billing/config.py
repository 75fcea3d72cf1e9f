from __future__ import annotations

from propdesk.common.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    """billing's settings (`PROPDESK_BILLING_*`); the domain's own options arrive with its issue."""
