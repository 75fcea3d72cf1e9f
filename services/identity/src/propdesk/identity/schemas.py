"""identity's request and response models."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from propdesk.common.inputs import Input

Password = SecretStr


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TokenResponse(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="seconds the access token lives")
    refresh_token: str
    scope: str = ""


class OAuthErrorBody(BaseModel):
    """RFC 6749 §5.2."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    ]
    error_description: str
    mfa_required: bool | None = None
    password_change_required: bool | None = None


class CodeRequest(Input):
    phone: str = Field(min_length=5, max_length=32, examples=["13812345678"])


class CodeRequested(BaseModel):
    sent: Literal[True] = True
    expires_in: int
    resend_after: int = Field(description="seconds before another code may be asked for")


class PasswordChange(Input):
    username: str = Field(min_length=1, max_length=100)
    password: Password
    new_password: Password = Field(description="10 characters or more, not the login, not the old one")


class PasswordSet(Input):
    password: Password = Field(description="an initial password the person must change at first sign-in")
    login: str | None = Field(default=None, min_length=3, max_length=100, description="default: the phone")
    must_change: bool = Field(default=True, description="the person must change it at first sign-in")


class TotpEnrolment(BaseModel):
    secret: str = Field(description="base32, for authenticator apps that take it typed")
    otpauth_uri: str
    qr_svg: str = Field(description="the otpauth URI as a QR code (SVG)")


class TotpConfirm(Input):
    code: str = Field(pattern=r"^\d{6}$")


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="shown once: each signs in once in place of a TOTP code")


class SessionRead(Output):
    id: uuid.UUID = Field(description="the session (refresh-token family)")
    method: str
    device: str | None
    address: str | None
    started_at: dt.datetime
    last_used_at: dt.datetime
    current: bool = False


class AccountRead(Output):
    id: uuid.UUID
    person_id: uuid.UUID | None
    estate_id: uuid.UUID | None
    kind: str
    login: str | None
    name: str
    has_password: bool
    must_change_password: bool
    totp_enabled: bool
    locked_until: dt.datetime | None
    lock_reason: str | None


class AuditRead(Output):
    id: uuid.UUID
    at: dt.datetime
    kind: str
    account_id: uuid.UUID | None
    estate_id: uuid.UUID | None
    actor: str
    address: str | None
    detail: dict


class Me(BaseModel):
    account_id: uuid.UUID
    sub: str
    name: str | None
    roles: list[str]
    estates: list[uuid.UUID]
    units: list[uuid.UUID]
    all_estates: bool
    totp_enabled: bool
