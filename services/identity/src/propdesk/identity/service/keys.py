"""Signing keys: Ed25519, sealed at rest, rotated every `key_rotation_days`. The newest signs; a retired key
stays in the JWKS until the last token it signed has expired, so services never see an unknown `kid`."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import settings_of
from propdesk.common.sealing import seal, unseal
from propdesk.common.timeutil import utcnow
from propdesk.identity.models import SigningKey

LOCK = 0x1D_5E_C0  # advisory lock: one process creates a key at a time

# The key that signs, opened (unsealed, parsed) once per process: (kid, retires_at, key, checked_until). It is
# looked up again after CHECK_SECONDS (another replica may have rotated) and when it retires. Only a key read
# from a committed row is kept (one this unit of work makes is not, until a later unit reads it).
_SIGNING: dict[str | None, tuple[str, dt.datetime, Ed25519PrivateKey, float]] = {}  # per database
CHECK_SECONDS = 30.0


def _new(settings, now: dt.datetime) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    kid = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": kid, "use": "sig", "alg": "EdDSA"})
    retires = now + dt.timedelta(days=settings.key_rotation_days)
    return SigningKey(
        kid=kid,
        private_sealed=seal(pem, settings.sealing_key),
        public_jwk=public,
        created_at=now,
        retires_at=retires,
        expires_at=retires + dt.timedelta(minutes=settings.access_token_minutes + 5),
    )


async def signing_key(session: AsyncSession) -> tuple[str, Ed25519PrivateKey]:
    """The key that signs now (made on first use, and when the newest is due to retire)."""
    settings, now = settings_of(session), utcnow()
    kept = _SIGNING.get(settings.database_url)
    if kept is not None and kept[1] > now and kept[3] > time.monotonic():
        return kept[0], kept[2]
    current = await _current(session, now)
    if current is not None and current not in session.new:
        pem = unseal(current.private_sealed, settings.sealing_key)
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        _SIGNING[settings.database_url] = (
            current.kid,
            current.retires_at,
            key,
            time.monotonic() + CHECK_SECONDS,
        )  # type: ignore[assignment]
        return current.kid, key  # type: ignore[return-value]
    if current is None:
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK})
        current = await _current(session, now)  # another process may have made it meanwhile
        if current is None:
            current = _new(settings, now)
            session.add(current)
            await session.flush()
    pem = unseal(current.private_sealed, settings.sealing_key)
    return current.kid, serialization.load_pem_private_key(pem.encode(), password=None)  # type: ignore[return-value]


async def _current(session: AsyncSession, now: dt.datetime) -> SigningKey | None:
    return (
        await session.execute(
            select(SigningKey)
            .where(SigningKey.retires_at > now)
            .order_by(SigningKey.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def published(session: AsyncSession) -> list[dict]:
    """The JWKS: every key whose tokens may still be alive, newest first."""
    rows = await session.execute(
        select(SigningKey.public_jwk)
        .where(SigningKey.expires_at > utcnow())
        .order_by(SigningKey.created_at.desc())
    )
    return list(rows.scalars())


async def rotate(session: AsyncSession) -> str:
    """Retire the signing key now (it stays published until its tokens expire) and make a new one."""
    now = utcnow()
    settings = settings_of(session)
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK})
    _SIGNING.pop(
        settings.database_url, None
    )  # this process signs with the new key once it is committed and read
    for key in (await session.execute(select(SigningKey).where(SigningKey.retires_at > now))).scalars():
        key.retires_at = now
        key.expires_at = now + dt.timedelta(minutes=settings.access_token_minutes + 5)
    fresh = _new(settings, now + dt.timedelta(microseconds=1))
    session.add(fresh)
    await session.flush()
    return fresh.kid
