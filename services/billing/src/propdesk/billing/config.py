from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator

from propdesk.common.settings import ServiceSettings, webhook_secret


class BillingSettings(ServiceSettings):
    """billing's settings (`PROPDESK_BILLING_*`)."""

    # signs the payment gateways' webhooks (WeChat Pay / Alipay adapter); required outside dev mode
    payment_webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _webhook_secret(self) -> Self:
        self.payment_webhook_secret = webhook_secret(
            self.payment_webhook_secret,
            dev=self.dev,
            env="PROPDESK_BILLING_PAYMENT_WEBHOOK_SECRET",
            label="payment-gateway",
        )
        return self
