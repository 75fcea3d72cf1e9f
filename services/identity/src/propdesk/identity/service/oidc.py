"""Staff sign-in through an outside OpenID Connect provider (Keycloak, Authing, Azure AD, WeCom via OIDC):
authorization code with PKCE (Authlib's client), the ID token checked against the provider's keys, issuer,
audience and our nonce; the person found in the registry by a configured claim. Roles and estates still come
from the registry, never from the provider."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import settings_of
from propdesk.common.sealing import seal, unseal
from propdesk.common.timeutil import utcnow
from propdesk.identity.config import IdentitySettings
from propdesk.identity.errors import OidcFailed, OidcNotConfigured, ReturnUrlNotAllowed
from propdesk.identity.models import Account, OidcLogin, Person
from propdesk.identity.service import audit, people

_discovery: dict[str, tuple[float, dict]] = {}
STATE_MINUTES = 10


def _settings(session: AsyncSession) -> IdentitySettings:
    s = settings_of(session)
    if not (s.oidc_issuer and s.oidc_client_id and s.oidc_redirect_uri):
        raise OidcNotConfigured("set PROPDESK_IDENTITY_OIDC_ISSUER, _OIDC_CLIENT_ID and _OIDC_REDIRECT_URI")
    return s


async def discovery(issuer: str) -> dict:
    cached = _discovery.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    async with httpx.AsyncClient(timeout=10) as client:
        doc = (
            (await client.get(issuer.rstrip("/") + "/.well-known/openid-configuration"))
            .raise_for_status()
            .json()
        )
    _discovery[issuer] = (time.monotonic() + 600, doc)
    return doc


def _client(s: IdentitySettings) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=s.oidc_client_id,
        client_secret=s.oidc_client_secret.get_secret_value() if s.oidc_client_secret else None,
        redirect_uri=s.oidc_redirect_uri,
        scope=s.oidc_scopes,
        code_challenge_method="S256",
        timeout=10,
    )


async def authorize_url(session: AsyncSession, *, return_to: str | None) -> str:
    s = _settings(session)
    if return_to is not None and return_to not in s.oidc_return_urls:
        raise ReturnUrlNotAllowed(f"{return_to} is not one of PROPDESK_IDENTITY_OIDC_RETURN_URLS")
    doc = await discovery(s.oidc_issuer)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), generate_token(64)
    session.add(
        OidcLogin(
            state=state,
            verifier_sealed=seal(verifier, s.sealing_key),
            nonce=nonce,
            return_to=return_to,
            created_at=utcnow(),
        )
    )
    async with _client(s) as client:
        url, _ = client.create_authorization_url(
            doc["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
        )
    return url


async def callback(
    session: AsyncSession, *, state: str, code: str, address: str | None
) -> tuple[Account, str | None]:
    """The account the provider vouched for, and where to send the browser (None: answer with tokens)."""
    s = _settings(session)
    pending = await session.get(OidcLogin, state, with_for_update=True)
    if pending is None or (utcnow() - pending.created_at).total_seconds() > STATE_MINUTES * 60:
        raise OidcFailed("unknown or expired sign-in (state)")
    await session.delete(pending)  # a state is good once
    doc = await discovery(s.oidc_issuer)
    try:
        async with _client(s) as client:
            token = await client.fetch_token(
                doc["token_endpoint"], code=code, code_verifier=unseal(pending.verifier_sealed, s.sealing_key)
            )
        claims = await _id_claims(doc, s, token.get("id_token"), pending.nonce)
    except (httpx.HTTPError, JoseError, ValueError, KeyError) as exc:
        raise OidcFailed(f"the provider's answer did not check out ({type(exc).__name__})") from exc
    account = await _staff_for(session, s, claims)
    if account is None:
        audit.record(session, "oidc_no_match", actor="oidc", address=address, claim=s.oidc_match_claim)
        raise OidcFailed(f"no staff member matches the provider's {s.oidc_match_claim}")
    return account, pending.return_to


async def _id_claims(doc: dict, s: IdentitySettings, id_token: str | None, nonce: str) -> dict[str, Any]:
    if not id_token:
        raise ValueError("no id_token")
    async with httpx.AsyncClient(timeout=10) as client:
        jwks = (await client.get(doc["jwks_uri"])).raise_for_status().json()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks))
    jwt.JWTClaimsRegistry(
        leeway=30,
        iss={"essential": True, "value": doc.get("issuer", s.oidc_issuer)},
        aud={"essential": True, "value": s.oidc_client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    ).validate(token.claims)
    return dict(token.claims)


async def _staff_for(session: AsyncSession, s: IdentitySettings, claims: dict[str, Any]) -> Account | None:
    value = claims.get(s.oidc_match_claim)
    if not isinstance(value, str) or not value:
        return None
    if s.oidc_match_claim == "phone_number":
        number = people.e164(value)
        person = (
            (
                await session.execute(
                    select(Person).where(Person.phone == number, Person.kind == "staff", Person.active)
                )
            )
            .scalars()
            .first()
        )
        return None if person is None else await people._account_of(session, person)
    return (
        await session.execute(
            select(Account).where(Account.login == value.strip().lower(), Account.kind == "staff")
        )
    ).scalar_one_or_none()
