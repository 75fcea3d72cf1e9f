"""Sessions: a family of refresh tokens. Opaque tokens, stored as keyed hashes, rotated on every use; a spent
token shown again means it was stolen (or copied): its whole family is revoked (RFC 9700 §4.14.2)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import settings_of
from propdesk.common.timeutil import utcnow
from propdesk.identity.models import Account, RefreshToken
from propdesk.identity.service.passwords import keyed_hash


def _hash(session: AsyncSession, token: str) -> str:
    return keyed_hash(settings_of(session).sealing_key.get_secret_value(), f"refresh:{token}")


def start(
    session: AsyncSession,
    account: Account,
    *,
    method: str,
    device: str | None,
    address: str | None,
    family_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
) -> tuple[str, RefreshToken]:
    """A new refresh token (of a new session, or the next of `family_id`); the token itself is returned once."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = RefreshToken(
        id=uuid.uuid4(),
        family_id=family_id or uuid.uuid4(),
        account_id=account.id,
        token_hash=_hash(session, token),
        parent_id=parent_id,
        method=method,
        device=(device or "")[:200] or None,
        address=address,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings_of(session).refresh_token_days),
    )
    session.add(row)
    return token, row


async def find(session: AsyncSession, token: str) -> RefreshToken | None:
    return (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == _hash(session, token)).with_for_update()
        )
    ).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, *, reason: str) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return result.rowcount


async def revoke_all(session: AsyncSession, account: Account, *, reason: str) -> int:
    """Every live session of the account; the number of sessions ended."""
    families = (
        (
            await session.execute(
                select(RefreshToken.family_id)
                .where(
                    RefreshToken.account_id == account.id,
                    RefreshToken.revoked_at.is_(None),
                    RefreshToken.used_at.is_(None),
                    RefreshToken.expires_at > utcnow(),
                )
                .distinct()
            )
        )
        .scalars()
        .all()
    )
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return len(families)


async def live(session: AsyncSession, account: Account) -> list[RefreshToken]:
    """The account's sessions: the current token of each live family, most recently used first."""
    rows = await session.execute(
        select(RefreshToken)
        .where(
            RefreshToken.account_id == account.id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.used_at.is_(None),
            RefreshToken.expires_at > utcnow(),
        )
        .order_by(RefreshToken.created_at.desc())
    )
    return list(rows.scalars())


async def started_at(session: AsyncSession, family_id: uuid.UUID) -> dt.datetime:
    return (
        await session.execute(
            select(RefreshToken.created_at)
            .where(RefreshToken.family_id == family_id)
            .order_by(RefreshToken.created_at)
            .limit(1)
        )
    ).scalar_one()
