"""Accounts as the estate's managers and admins (and the platform's admins) see them: list, set an initial
password, lift a lockout, reset the second factor, end sessions; the audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session
from propdesk.identity.api.deps import ADMINISTRATORS
from propdesk.identity.schemas import AccountRead, AuditRead, PasswordSet
from propdesk.identity.service import accounts

router = APIRouter(tags=["accounts"])


@router.get(
    "/v1/estates/{estate_id}/accounts", response_model=Page[AccountRead], summary="An estate's accounts"
)
async def listing(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ADMINISTRATORS),
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    items, cursor = await accounts.listing(session, estate_id, params)
    return Page(items=[accounts.read(a) for a in items], next_cursor=cursor)


@router.get(
    "/v1/people/{person_id}/account", response_model=AccountRead, summary="A registry person's account"
)
async def of_person(person_id: uuid.UUID, session: Session, principal: Principal = Depends(ADMINISTRATORS)):
    account = await accounts.of_person(session, person_id)
    return accounts.read(await accounts.managed(session, account.id, principal))


@router.post(
    "/v1/accounts/{account_id}/password",
    response_model=AccountRead,
    summary="Give a staff member an initial password (and login; default: their mobile number); they must "
    "change it at first sign-in. Their sessions end",
)
async def set_password(
    account_id: uuid.UUID, data: PasswordSet, session: Session, principal: Principal = Depends(ADMINISTRATORS)
):
    account = await accounts.managed(session, account_id, principal)
    await accounts.set_initial_password(
        session,
        account,
        password=data.password.get_secret_value(),
        login=data.login,
        actor=principal.sub,
        must_change=data.must_change,
    )
    return accounts.read(account)


@router.post("/v1/accounts/{account_id}/unlock", response_model=AccountRead, summary="Lift a lockout")
async def unlock(account_id: uuid.UUID, session: Session, principal: Principal = Depends(ADMINISTRATORS)):
    account = await accounts.managed(session, account_id, principal)
    return accounts.read(accounts.unlock(session, account, actor=principal.sub))


@router.post(
    "/v1/accounts/{account_id}/totp/reset",
    response_model=AccountRead,
    summary="Remove a lost authenticator (the person enrols a new one)",
)
async def reset_totp(account_id: uuid.UUID, session: Session, principal: Principal = Depends(ADMINISTRATORS)):
    account = await accounts.managed(session, account_id, principal)
    return accounts.read(accounts.reset_totp(session, account, actor=principal.sub))


@router.post("/v1/accounts/{account_id}/sign-out", summary="End every session of an account")
async def sign_out(
    account_id: uuid.UUID, session: Session, principal: Principal = Depends(ADMINISTRATORS)
) -> dict[str, int]:
    account = await accounts.managed(session, account_id, principal)
    return {
        "sessions_ended": await accounts.end_sessions(session, account, reason="admin", actor=principal.sub)
    }


@router.get(
    "/v1/audit",
    response_model=Page[AuditRead],
    summary="Sign-ins, failures, lockouts, revocations, password and claims changes, newest first (the caller's "
    "estates; every estate for platform admins)",
)
async def audit_trail(
    session: Session,
    principal: Principal = Depends(ADMINISTRATORS),
    estate_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    params: PageParams = Depends(page_params),
):
    items, cursor = await accounts.trail(
        session, principal, params, estate_id=estate_id, account_id=account_id
    )
    return Page(items=[AuditRead.model_validate(a) for a in items], next_cursor=cursor)
