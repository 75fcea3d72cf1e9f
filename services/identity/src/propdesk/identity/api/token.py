"""The token endpoint (RFC 6749 §3.2, form-encoded), sign-in codes, revocation (RFC 7009), password change."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from propdesk.common.inputs import bad_text
from propdesk.common.web import Session
from propdesk.identity.api.deps import address, device
from propdesk.identity.errors import OAuthError
from propdesk.identity.schemas import (
    CodeRequest,
    CodeRequested,
    OAuthErrorBody,
    PasswordChange,
    TokenResponse,
)
from propdesk.identity.service import accounts, sessions, signin

router = APIRouter(tags=["sign-in"])
SMS_GRANT = "urn:propdesk:grant-type:sms-code"
OAUTH_ERRORS = {
    400: {"model": OAuthErrorBody, "description": "RFC 6749 §5.2 error"},
    401: {"model": OAuthErrorBody, "description": "RFC 6749 §5.2 error (invalid_client)"},
}
Field = Annotated[str | None, Form(max_length=4096)]


@router.post(
    "/v1/token",
    response_model=TokenResponse,
    responses=OAUTH_ERRORS,
    summary="Tokens (RFC 6749): grant_type=password (username, password, totp for a second factor), "
    f"{SMS_GRANT} (phone, code, person_id to choose among households), refresh_token (rotated on every use; a "
    "spent one revokes its session), authorization_code (code, redirect_uri: after an outside provider)",
)
async def token(
    request: Request,
    session: Session,
    grant_type: Field = None,
    username: Field = None,
    password: Field = None,
    totp: Field = None,
    phone: Field = None,
    code: Field = None,
    person_id: Field = None,
    refresh_token: Field = None,
    redirect_uri: Field = None,
):
    def need(**fields: str | None) -> dict[str, str]:
        missing = [k for k, v in fields.items() if not v]
        if missing:
            raise OAuthError("invalid_request", f"missing: {', '.join(missing)}")
        return fields  # type: ignore[return-value]

    where = {"device": device(request), "address": address(request)}
    try:
        sent = {
            "grant_type": grant_type,
            "username": username,
            "password": password,
            "totp": totp,
            "phone": phone,
            "code": code,
            "person_id": person_id,
            "refresh_token": refresh_token,
            "redirect_uri": redirect_uri,
        }
        for name, value in sent.items():
            if value is not None and bad_text(value):
                raise OAuthError("invalid_request", f"{name}: control characters are not allowed")
        if grant_type == "password":
            f = need(username=username, password=password)
            answer = await signin.password(
                session, username=f["username"], password_=f["password"], totp_code=totp, **where
            )
        elif grant_type == SMS_GRANT:
            f = need(phone=phone, code=code)
            answer = await signin.code(
                session, phone=f["phone"], code_=f["code"], person_id=_uuid(person_id), **where
            )
        elif grant_type == "refresh_token":
            answer = await signin.refresh(
                session, token=need(refresh_token=refresh_token)["refresh_token"], **where
            )
        elif grant_type == "authorization_code":
            f = need(code=code, redirect_uri=redirect_uri)
            answer = await signin.handoff(session, code_=f["code"], redirect_uri=f["redirect_uri"], **where)
        elif not grant_type:
            raise OAuthError("invalid_request", "missing: grant_type")
        else:
            raise OAuthError("unsupported_grant_type", f"{grant_type[:60]} is not a grant this server takes")
    except OAuthError as exc:
        return exc.response()  # the failure counts are written: the unit of work commits
    return JSONResponse(answer.model_dump(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise OAuthError("invalid_request", "person_id is not an id") from exc


@router.post(
    "/v1/sign-in-codes",
    response_model=CodeRequested,
    status_code=202,
    responses=OAUTH_ERRORS,
    summary="Send a resident a sign-in code by SMS. The answer is the same whether or not the number is a "
    "resident's; one code a minute, a few an hour per number and per address",
)
async def request_code(request: Request, data: CodeRequest, session: Session):
    try:
        answer = await signin.request_code(session, phone=data.phone, address=address(request))
    except OAuthError as exc:
        return exc.response()
    return JSONResponse(answer.model_dump(), status_code=202)


@router.post(
    "/v1/revoke",
    status_code=200,
    summary="Revoke a refresh token and its session (RFC 7009: the answer is 200 even for an unknown token)",
)
async def revoke(session: Session, token: Annotated[str, Form(max_length=4096)]) -> dict[str, bool]:
    row = await sessions.find(session, token)
    if row is not None:
        await sessions.revoke_family(session, row.family_id, reason="sign_out")
    return {"revoked": True}


@router.post(
    "/v1/password-change",
    status_code=204,
    openapi_extra={"x-propdesk-credentials": True},  # the body carries the credentials: 401 when wrong
    summary="Change a password (the initial one at first sign-in too): every session of the account ends",
)
async def change_password(request: Request, data: PasswordChange, session: Session) -> Response:
    await accounts.change_password(
        session,
        username=data.username,
        password=data.password.get_secret_value(),
        new_password=data.new_password.get_secret_value(),
        address=address(request),
    )
    return Response(status_code=204)
