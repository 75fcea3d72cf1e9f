"""What a signed-in person does with their own account: see it, their sessions, sign out (everywhere),
enrol an authenticator."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.identity.api.deps import ANYONE
from propdesk.identity.schemas import Me, RecoveryCodes, SessionRead, TotpConfirm, TotpEnrolment
from propdesk.identity.service import accounts, me, totp

router = APIRouter(tags=["my account"])


@router.get("/v1/me", response_model=Me, summary="Who my token says I am, and my account's state")
async def whoami(session: Session, principal: Principal = Depends(ANYONE)):
    return await me.describe(session, principal)


@router.get(
    "/v1/me/sessions", response_model=list[SessionRead], summary="My sessions: device, address, last use"
)
async def my_sessions(session: Session, principal: Principal = Depends(ANYONE)):
    return await me.sessions_of(session, principal)


@router.delete("/v1/me/sessions/{session_id}", status_code=204, summary="End one of my sessions")
async def end_session(
    session_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)
) -> Response:
    await me.end(session, principal, session_id)
    return Response(status_code=204)


@router.post(
    "/v1/me/sign-out-everywhere", summary="End every session of mine (access tokens lapse within minutes)"
)
async def everywhere(session: Session, principal: Principal = Depends(ANYONE)) -> dict[str, int]:
    account = await me.account_of(session, principal, lock=True)
    return {
        "sessions_ended": await accounts.end_sessions(
            session, account, reason="everywhere", actor=principal.sub
        )
    }


@router.post(
    "/v1/me/totp",
    response_model=TotpEnrolment,
    summary="Start enrolling an authenticator app: scan the QR code, then confirm with a first code",
)
async def enrol(session: Session, principal: Principal = Depends(ANYONE)):
    return totp.enrol(session, await me.account_of(session, principal, lock=True))


@router.post(
    "/v1/me/totp/confirm",
    response_model=RecoveryCodes,
    summary="Confirm the authenticator with a code it shows: from now on sign-in needs one; recovery codes shown once",
)
async def confirm(data: TotpConfirm, session: Session, principal: Principal = Depends(ANYONE)):
    return totp.confirm(session, await me.account_of(session, principal, lock=True), data.code)
