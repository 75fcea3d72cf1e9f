"""Events produced by identity: sign-ins and their failures, lockouts, revoked sessions, changed claims, and
the sign-in codes notify sends by SMS (sealed: only notify's sender opens them, at the moment it sends)."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from propdesk.common.events import EventPayload, Field, event, personal


@event(
    "identity.estate.provisioned",
    summary="identity knows a newly registered estate: its staff and residents can be given accounts.",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "identity"
    detail: dict[str, str | int | bool] = {}


@event(
    "identity.sign_in_code.issued",
    summary="A resident asked to sign in by phone: notify sends the code by SMS. The code is sealed with the "
    "platform's sealing key (PROPDESK_SEALING_KEY) and expires within minutes.",
)
class SignInCodeIssued(EventPayload):
    resident_id: uuid.UUID
    estate_id: uuid.UUID
    phone: str = personal(description="E.164, the number the code goes to")
    language: Literal["zh-CN", "en"] = "zh-CN"
    sealed_code: str = Field(description="Fernet token holding the code; never the code itself")
    expires_at: datetime.datetime


@event("identity.sign_in.succeeded", summary="Someone signed in (password, SMS code, outside provider).")
class SignedIn(EventPayload):
    account_id: uuid.UUID
    person_id: uuid.UUID | None = None
    estate_id: uuid.UUID | None = None
    method: Literal["password", "sms_code", "oidc"]
    session_id: uuid.UUID
    address: str | None = personal(default=None, description="the client's IP address")


@event("identity.sign_in.failed", summary="A sign-in failed (wrong password or code, locked, throttled).")
class SignInFailed(EventPayload):
    account_id: uuid.UUID | None = None
    estate_id: uuid.UUID | None = None
    method: Literal["password", "sms_code", "oidc", "refresh_token"]
    reason: str
    address: str | None = personal(default=None)


@event("identity.account.locked", summary="An account was locked after repeated failures (or by an admin).")
class AccountLocked(EventPayload):
    account_id: uuid.UUID
    estate_id: uuid.UUID | None = None
    until: datetime.datetime | None = None
    reason: str


@event("identity.account.unlocked", summary="An admin lifted an account's lockout.")
class AccountUnlocked(EventPayload):
    account_id: uuid.UUID
    estate_id: uuid.UUID | None = None
    by: str


@event(
    "identity.session.revoked",
    summary="Sessions (refresh-token families) were revoked: sign-out, sign-out everywhere, reuse of a spent "
    "refresh token, changed claims (a move-out, a role change), or an admin.",
)
class SessionsRevoked(EventPayload):
    account_id: uuid.UUID
    estate_id: uuid.UUID | None = None
    sessions: int
    reason: Literal["sign_out", "everywhere", "reuse", "claims_changed", "admin", "password_changed"]


@event(
    "identity.claims.changed",
    summary="What a person's tokens may claim changed (roles, estates, units): their sessions were revoked.",
)
class ClaimsChanged(EventPayload):
    person_id: uuid.UUID
    estate_id: uuid.UUID | None = None
    roles: list[str]
    estates: list[uuid.UUID]
    units: list[uuid.UUID]
