"""Staff sign-in through an outside OpenID Connect provider (authorization code + PKCE)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from propdesk.common.web import Session
from propdesk.identity.api.deps import address, device
from propdesk.identity.schemas import TokenResponse
from propdesk.identity.service import oidc, signin

router = APIRouter(tags=["sign-in"])


@router.get(
    "/v1/oidc/authorize",
    status_code=302,
    response_class=RedirectResponse,
    summary="Start a sign-in at the outside provider: the browser is sent there (302)",
)
async def authorize(
    session: Session,
    return_to: str | None = Query(None, max_length=500, description="one of the allowed return URLs"),
):
    return RedirectResponse(await oidc.authorize_url(session, return_to=return_to), status_code=302)


@router.get(
    "/v1/oidc/callback",
    response_model=TokenResponse,
    summary="Where the provider sends the browser back: tokens as JSON, or (when the sign-in began with "
    "return_to) a redirect there with a one-time code for grant_type=authorization_code",
)
async def callback(
    request: Request,
    session: Session,
    state: str = Query(..., max_length=200),
    code: str = Query(..., max_length=2000),
):
    account, return_to = await oidc.callback(session, state=state, code=code, address=address(request))
    if return_to is None:
        answer = await signin.issue(
            session, account, method="oidc", device=device(request), address=address(request)
        )
        return JSONResponse(answer.model_dump(), headers={"Cache-Control": "no-store"})
    handoff = signin.new_handoff(session, account, redirect_uri=return_to, method="oidc")
    glue = "&" if "?" in return_to else "?"
    return RedirectResponse(f"{return_to}{glue}{urlencode({'code': handoff})}", status_code=302)
