from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator

from propdesk.common.sealing import sealing_key
from propdesk.common.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    port: int = 8106
    # what identity's access tokens look like; `jwt_issuer` and `jwt_audience` (common settings) name them
    access_token_minutes: int = 10
    refresh_token_days: int = 30
    key_rotation_days: int = (
        30  # a new signing key this often; the old one stays published until its tokens end
    )
    # password sign-in: argon2id cost (argon2-cffi's RFC 9106 low-memory profile by default)
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # abuse: after `lockout_after` failures in a row an account is locked for `lockout_minutes` (an admin may
    # lift it); each failure also makes the next attempt wait (1, 2, 4 … up to 60 s) per account and address
    failure_delay_seconds: float = 1.0  # the first delay; it doubles with each failure in a row
    lockout_after: int = 5
    lockout_minutes: int = 15
    address_failures_per_hour: int = 50
    # SMS sign-in codes
    code_digits: int = 6
    code_minutes: int = 5
    code_attempts: int = 5
    code_resend_seconds: int = 60
    codes_per_phone_per_hour: int = 5
    codes_per_address_per_hour: int = 30
    # an outside OpenID Connect provider for staff (Keycloak, Authing, Azure AD, WeCom via OIDC)
    oidc_issuer: str | None = None  # its discovery document is at <issuer>/.well-known/openid-configuration
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_uri: str | None = None  # identity's /v1/oidc/callback as the provider knows it
    oidc_match_claim: str = (
        "phone_number"  # phone_number | email | preferred_username: how a staff member is found
    )
    oidc_scopes: str = "openid profile email phone"
    oidc_return_urls: list[str] = []  # where a signed-in browser may be sent back to (the console)
    public_url: str | None = None  # identity's own URL in the discovery document (default: the request's)

    @model_validator(mode="after")
    def _keys(self) -> Self:
        self.sealing_key = sealing_key(self.sealing_key, dev=self.dev)
        return self
