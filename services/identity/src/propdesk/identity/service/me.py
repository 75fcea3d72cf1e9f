"""A signed-in person's own account and sessions."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal
from propdesk.identity.errors import AccountNotFound, SessionNotFound
from propdesk.identity.models import Account, RefreshToken
from propdesk.identity.schemas import Me, SessionRead
from propdesk.identity.service import sessions


async def account_of(session: AsyncSession, principal: Principal, *, lock: bool = False) -> Account:
    sub = principal.subject_id
    if sub is None:
        raise AccountNotFound("this token's subject has no account (a developer token?)")
    stmt = select(Account).where(or_(Account.person_id == sub, Account.id == sub))
    found = (await session.execute(stmt.with_for_update() if lock else stmt)).scalars().first()
    if found is None:
        raise AccountNotFound("this token's subject has no account (a developer token?)")
    return found


async def describe(session: AsyncSession, principal: Principal) -> Me:
    account = await account_of(session, principal)
    return Me(
        account_id=account.id,
        sub=principal.sub,
        name=principal.name,
        roles=sorted(principal.roles),
        estates=sorted(principal.estates),
        units=sorted(principal.units),
        all_estates=principal.all_estates,
        totp_enabled=account.totp_enabled,
    )


async def sessions_of(session: AsyncSession, principal: Principal) -> list[SessionRead]:
    account = await account_of(session, principal)
    out = []
    for row in await sessions.live(session, account):
        out.append(
            SessionRead(
                id=row.family_id,
                method=row.method,
                device=row.device,
                address=row.address,
                started_at=await sessions.started_at(session, row.family_id),
                last_used_at=row.created_at,
                current=str(row.family_id) == principal.session_id,
            )
        )
    return out


async def end(session: AsyncSession, principal: Principal, family_id: uuid.UUID) -> None:
    account = await account_of(session, principal)
    owner = (
        await session.execute(
            select(RefreshToken.account_id).where(RefreshToken.family_id == family_id).limit(1)
        )
    ).scalar_one_or_none()
    if owner != account.id:
        raise SessionNotFound(f"session {family_id} is not one of yours")
    await sessions.revoke_family(session, family_id, reason="sign_out")
