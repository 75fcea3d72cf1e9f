"""Auth: JWT bearer verification (HS256 in dev; RS256/EdDSA public key or JWKS URL in production),
a principal with roles and estate scope (and, for residents, their unit ids)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterable
from enum import StrEnum

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, false, true

from propdesk.common.errors import Forbidden, Unauthorized
from propdesk.common.events import Actor, bind_context, current_context
from propdesk.common.i18n import Text
from propdesk.common.settings import CommonSettings


class Role(StrEnum):
    resident = "resident"
    receptionist = "receptionist"
    dispatcher = "dispatcher"
    technician = "technician"
    duty_officer = "duty_officer"
    finance = "finance"
    manager = "manager"
    admin = "admin"


STAFF_ROLES = frozenset(Role) - {Role.resident}


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)  # verified once, then shared by the requests carrying the token

    sub: str
    name: str | None = None
    roles: frozenset[Role]
    estates: frozenset[uuid.UUID] = Field(default_factory=frozenset)
    units: frozenset[uuid.UUID] = Field(default_factory=frozenset)
    all_estates: bool = False  # platform admins
    session_id: str | None = None  # identity's session (refresh-token family) the token was issued for

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def subject_id(self) -> uuid.UUID | None:
        """The subject as an id (a resident's or staff member's id in the registry), when it is one."""
        try:
            return uuid.UUID(self.sub)
        except ValueError:
            return None

    @property
    def is_resident_only(self) -> bool:
        return self.roles == {Role.resident}

    def can_see_estate(self, estate_id: uuid.UUID) -> bool:
        return self.all_estates or estate_id in self.estates

    def require_estate(self, estate_id: uuid.UUID) -> None:
        if not self.can_see_estate(estate_id):
            raise Forbidden(Text("无权访问该小区的数据", "No access to this estate"))

    def require_unit(self, unit_id: uuid.UUID) -> None:
        if self.is_resident_only and unit_id not in self.units:
            raise Forbidden(Text("只能访问本人房屋的记录", "You can only access your own units"))


def estate_filter(principal: Principal, column: ColumnElement) -> ColumnElement[bool]:
    """WHERE clause limiting rows to the principal's estates."""
    if principal.all_estates:
        return true()
    return column.in_(list(principal.estates)) if principal.estates else false()


def unit_filter(principal: Principal, unit_column: ColumnElement) -> ColumnElement[bool]:
    """WHERE clause so a resident only ever sees their own units' records; staff are not narrowed."""
    if not principal.is_resident_only:
        return true()
    return unit_column.in_(list(principal.units)) if principal.units else false()


def issue_token(
    secret: str,
    *,
    sub: str,
    roles: Iterable[str],
    estates: Iterable[uuid.UUID | str] = (),
    units: Iterable[uuid.UUID | str] = (),
    name: str | None = None,
    all_estates: bool = False,
    ttl: dt.timedelta = dt.timedelta(hours=12),
    issuer: str = "propdesk",
    audience: str = "propdesk",
) -> str:
    """A developer's HS256 token (`propdesk token`, tests): accepted only where the dev secret is."""
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": sub,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
        "roles": sorted(str(r) for r in roles),
        "estates": [str(e) for e in estates],
        "units": [str(u) for u in units],
        "all_estates": all_estates,
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm="HS256")


ASYMMETRIC = ["EdDSA", "RS256", "ES256"]


class TokenVerifier:
    """Verifies bearer tokens. A token that verified is remembered until it expires: the same string carries
    the same signed claims, so later requests skip the signature check and claim parsing (a client sends one
    token for its session). At most `CACHE_SIZE` tokens are remembered; the oldest go first."""

    CACHE_SIZE = 10_000

    def __init__(self, settings: CommonSettings) -> None:
        self.settings = settings
        self._jwks = (
            jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=300)
            if settings.jwt_jwks_url
            else None
        )
        self._verified: dict[str, tuple[float, Principal]] = {}
        # identity's public keys by kid, as the JWKS gave them: a token of a known key is checked without a
        # thread hop; a key is asked for again after KEY_SECONDS (a key taken out of the JWKS stops working)
        self._keys: dict[str, tuple[float, object]] = {}

    KEY_SECONDS = 300

    async def verify(self, token: str) -> Principal:
        hit = self._verified.get(token)
        if hit is not None:
            if hit[0] > time.time():
                return hit[1]
            del self._verified[token]
        principal, expires = await self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (expires, principal)
        return principal

    async def _key(self, token: str) -> tuple[object, list[str]]:
        """The key and algorithms a token may be checked with. Identity's keys (JWKS or a public key) sign
        with EdDSA (or RS256/ES256); the HS256 dev secret is accepted beside them only in dev mode, so that
        `propdesk token` keeps working with `make up`. A token never chooses its own algorithm family."""
        secret = self.settings.jwt_secret
        asymmetric = self._jwks is not None or bool(self.settings.jwt_public_key)
        header = jwt.get_unverified_header(token)
        if header.get("alg") == "HS256" and secret is not None and (self.settings.dev or not asymmetric):
            return secret.get_secret_value(), ["HS256"]
        if self._jwks is not None:
            kid = header.get("kid")
            known = self._keys.get(kid) if isinstance(kid, str) else None
            if known is not None and known[0] > time.monotonic():
                return known[1], ASYMMETRIC
            key = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            if isinstance(kid, str):  # only kids the JWKS really has get here (else it raised)
                self._keys[kid] = (time.monotonic() + self.KEY_SECONDS, key)
            return key, ASYMMETRIC
        if self.settings.jwt_public_key:
            return self.settings.jwt_public_key, ASYMMETRIC
        if secret is None:
            raise jwt.InvalidTokenError("no key to check this token with")
        return secret.get_secret_value(), ["HS256"]

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            key, algorithms = await self._key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self.settings.jwt_issuer,
                audience=self.settings.jwt_audience,
                options={"require": ["sub", "exp", "aud", "iss"]},
            )
            principal = Principal(
                sub=claims["sub"],
                name=claims.get("name"),
                roles=frozenset(Role(r) for r in claims.get("roles", [])),
                estates=frozenset(uuid.UUID(e) for e in claims.get("estates", [])),
                units=frozenset(uuid.UUID(u) for u in claims.get("units", [])),
                all_estates=bool(claims.get("all_estates", False)),
                session_id=claims.get("sid"),
            )
            return principal, float(claims["exp"])
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthorized(
                Text("令牌无效或已过期", f"Invalid or expired token: {exc}"),
                headers={"WWW-Authenticate": 'Bearer realm="propdesk", error="invalid_token"'},
            ) from exc


async def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            Text("缺少 Bearer 令牌", "Missing bearer token"),
            headers={"WWW-Authenticate": 'Bearer realm="propdesk"'},
        )
    principal = await request.app.state.runtime.verifier.verify(token)
    request.state.principal = principal
    ctx = current_context()  # events recorded by this request name the caller as their actor
    role = sorted(principal.roles)[0] if principal.roles else None
    bind_context(ctx.model_copy(update={"actor": Actor(kind="user", id=principal.sub, role=role)}))
    return principal


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """Dependency: the caller must hold one of `roles` (admin always passes)."""

    async def dependency(principal: Principal = Depends(get_principal)) -> Principal:
        if not principal.has(*roles, Role.admin):
            raise Forbidden(
                Text(f"需要以下角色之一:{', '.join(roles)}", f"Requires one of the roles: {', '.join(roles)}")
            )
        return principal

    return dependency


async def require_platform_admin(principal: Principal = Depends(get_principal)) -> Principal:
    """Dependency: an admin of the whole platform (all estates), not one scoped to some estates."""
    if not (principal.has(Role.admin) and principal.all_estates):
        raise Forbidden(Text("仅平台管理员可执行此操作", "Only the platform's administrators may do this"))
    return principal
