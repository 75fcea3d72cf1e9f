"""Accounts as administrators see them: set an initial password (changed at first sign-in), lift a lockout,
reset the second factor, end sessions; platform admins made from the CLI; the audit trail."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal, Role
from propdesk.common.contracts import identity as ev
from propdesk.common.db import settings_of
from propdesk.common.pagination import PageParams, fetch_page
from propdesk.identity.errors import AccountNotFound, LoginTaken, NotYourAccount, WrongPassword
from propdesk.identity.models import Account, AuditEntry
from propdesk.identity.schemas import AccountRead
from propdesk.identity.service import audit, sessions
from propdesk.identity.service.passwords import check_strength, hash_password, verify

MANAGING = (Role.manager, Role.admin)


def read(account: Account) -> AccountRead:
    return AccountRead(
        id=account.id,
        person_id=account.person_id,
        estate_id=account.estate_id,
        kind=account.kind,
        login=account.login,
        name=account.name,
        has_password=account.password_hash is not None,
        must_change_password=account.must_change_password,
        totp_enabled=account.totp_enabled,
        locked_until=account.locked_until,
        lock_reason=account.lock_reason,
    )


async def managed(session: AsyncSession, account_id: uuid.UUID, principal: Principal) -> Account:
    """An account the caller administers: one of their estates' (managers, admins), or any (platform admins)."""
    account = await session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise AccountNotFound(f"account {account_id} not found")
    if principal.all_estates and principal.has(Role.admin):
        return account
    if (
        account.estate_id is None
        or not principal.can_see_estate(account.estate_id)
        or not principal.has(*MANAGING)
    ):
        raise NotYourAccount("only the estate's managers and admins, or the platform's admins")
    return account


async def of_person(session: AsyncSession, person_id: uuid.UUID) -> Account:
    account = (
        await session.execute(select(Account).where(Account.person_id == person_id))
    ).scalar_one_or_none()
    if account is None:
        raise AccountNotFound(f"no account for {person_id} (is the person registered in intake?)")
    return account


async def listing(
    session: AsyncSession, estate_id: uuid.UUID, params: PageParams
) -> tuple[list[Account], str | None]:
    stmt = select(Account).where(Account.estate_id == estate_id)
    return await fetch_page(session, stmt, params, key=Account.name, tiebreak=Account.id, descending=False)


async def set_initial_password(
    session: AsyncSession,
    account: Account,
    *,
    password: str,
    login: str | None,
    actor: str,
    must_change: bool = True,
) -> Account:
    if account.kind == "resident":
        raise NotYourAccount("residents sign in with an SMS code, not a password")
    wanted = (login or account.login or await _default_login(session, account) or "").strip().lower()
    if not wanted:
        raise LoginTaken("this person has no phone number: give a login name")
    taken = (
        await session.execute(select(Account.id).where(Account.login == wanted, Account.id != account.id))
    ).first()
    if taken is not None:
        raise LoginTaken(f"{wanted} is taken")
    check_strength(password, login=wanted)
    account.login = wanted
    account.password_hash = hash_password(settings_of(session), password)
    account.must_change_password = must_change
    account.failures, account.next_attempt_at, account.locked_until = 0, None, None
    revoked = await sessions.revoke_all(session, account, reason="password_changed")
    audit.record(session, "password_set", account=account, actor=actor, sessions=revoked)
    return account


async def _default_login(session: AsyncSession, account: Account) -> str | None:
    """A staff member's login is their mobile number's national digits unless another is given."""
    from propdesk.identity.models import Person

    person = await session.get(Person, account.person_id) if account.person_id else None
    if person is None or not person.phone:
        return None
    return person.phone.removeprefix("+86")


async def change_password(
    session: AsyncSession, *, username: str, password: str, new_password: str, address: str | None
) -> Account:
    account = (
        await session.execute(
            select(Account).where(Account.login == username.strip().lower()).with_for_update()
        )
    ).scalar_one_or_none()
    settings = settings_of(session)
    if account is None or not verify(settings, account.password_hash, password):
        raise WrongPassword("wrong login name or password")
    check_strength(new_password, login=account.login, old=password)
    account.password_hash = hash_password(settings, new_password)
    account.must_change_password = False
    revoked = await sessions.revoke_all(session, account, reason="password_changed")
    audit.record(
        session, "password_changed", account=account, actor=str(account.id), address=address, sessions=revoked
    )
    return account


def unlock(session: AsyncSession, account: Account, *, actor: str) -> Account:
    account.locked_until, account.lock_reason, account.failures, account.next_attempt_at = None, None, 0, None
    audit.record(
        session,
        "unlocked",
        account=account,
        actor=actor,
        event=ev.AccountUnlocked(account_id=account.id, estate_id=account.estate_id, by=actor),
    )
    return account


def reset_totp(session: AsyncSession, account: Account, *, actor: str) -> Account:
    account.totp_sealed, account.totp_enabled, account.recovery_hashes = None, False, []
    audit.record(session, "totp_reset", account=account, actor=actor)
    return account


async def end_sessions(session: AsyncSession, account: Account, *, reason: str, actor: str) -> int:
    ended = await sessions.revoke_all(session, account, reason=reason)
    audit.record(
        session,
        "sessions_revoked",
        account=account,
        actor=actor,
        sessions=ended,
        reason=reason,
        event=ev.SessionsRevoked(
            account_id=account.id, estate_id=account.estate_id, sessions=ended, reason=reason
        ),
    )
    return ended


async def create_platform_admin(session: AsyncSession, *, login: str, name: str, password: str) -> Account:
    login = login.strip().lower()
    if (await session.execute(select(Account.id).where(Account.login == login))).first() is not None:
        raise LoginTaken(f"{login} is taken")
    check_strength(password, login=login)
    account = Account(
        kind="platform", login=login, name=name, password_hash=hash_password(settings_of(session), password)
    )
    session.add(account)
    await session.flush()
    audit.record(session, "platform_admin_created", account=account, actor="cli")
    return account


async def trail(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    estate_id: uuid.UUID | None,
    account_id: uuid.UUID | None,
) -> tuple[list[AuditEntry], str | None]:
    stmt = select(AuditEntry)
    if estate_id is not None:
        principal.require_estate(estate_id)
        stmt = stmt.where(AuditEntry.estate_id == estate_id)
    elif not principal.all_estates:
        stmt = stmt.where(AuditEntry.estate_id.in_(list(principal.estates)))
    if account_id is not None:
        stmt = stmt.where(AuditEntry.account_id == account_id)
    return await fetch_page(session, stmt, params, key=AuditEntry.at, tiebreak=AuditEntry.id)
