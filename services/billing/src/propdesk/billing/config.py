from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator

from propdesk.common.settings import ServiceSettings

DEV_PAYMENT_SECRET = "propdesk-dev-payment-gateway-secret"


class BillingSettings(ServiceSettings):
    """billing's settings (`PROPDESK_BILLING_*`)."""

    # signs the payment gateways' webhooks (WeChat Pay / Alipay adapter); required outside dev mode
    payment_webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _payment_secret_outside_dev(self) -> Self:
        if self.payment_webhook_secret is None:
            if not self.dev:
                raise ValueError("PROPDESK_BILLING_PAYMENT_WEBHOOK_SECRET is required outside dev mode")
            self.payment_webhook_secret = SecretStr(DEV_PAYMENT_SECRET)
        return self
