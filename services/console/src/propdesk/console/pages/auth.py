"""Sign-in (identity's password grant, with the TOTP code when the account has one), sign-out (the refresh
token revoked), the language switch, and the start page that sends each role to its screen."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from propdesk.common.sealing import seal, unseal
from propdesk.console import clients, i18n
from propdesk.console.clients import Problem, Unavailable
from propdesk.console.session import COOKIE, LANG_COOKIE, Session
from propdesk.console.web import context, language, set_session, signed_in

router = APIRouter()


def _safe_next(value: str | None) -> str:
    """Only a path of this console (never another site: an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _sign_in_page(request: Request, *, status: int = 200, **values) -> Response:
    lang = language(request)
    t = i18n.Translator(lang)
    return request.app.state.templates.TemplateResponse(
        request,
        "sign_in.html",
        {"t": t, "lang": lang, "next": _safe_next(request.query_params.get("next")), **values},
        status_code=status,
    )


@router.get("/sign-in")
async def sign_in_form(request: Request, reason: str | None = None) -> Response:
    message = {"session_over": "session_over", "unavailable": "session_over"}.get(reason or "")
    return _sign_in_page(request, message=i18n.Translator(language(request))(message) if message else None)


@router.post("/sign-in")
async def sign_in(
    request: Request,
    login: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    totp: Annotated[str, Form(max_length=12)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    pending: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    lang = language(request)
    t = i18n.Translator(lang)
    key = request.app.state.settings.session_key
    if pending:  # the second step: the login and password of the first, sealed for five minutes
        try:
            login, password = json.loads(unseal(pending, key, ttl=300))
        except (ValueError, TypeError):
            return _sign_in_page(request, status=400, error=t("csrf"))
    form = {"grant_type": "password", "username": login.strip(), "password": password}
    if totp.strip():
        form["totp"] = totp.strip()
    kept = {"login": login, "next": _safe_next(next)}
    try:
        tokens = await request.app.state.api.call(clients.TOKEN, token=None, lang=lang, data=form)
    except Unavailable:
        return _sign_in_page(request, status=503, error=t("unavailable", service="identity"), **kept)
    except Problem as problem:
        said = problem.body
        if said.get("mfa_required"):
            wrong = bool(totp.strip())
            return _sign_in_page(
                request,
                status=400 if wrong else 200,
                need_totp=True,
                pending=seal(json.dumps([login, password]), key),
                message=None if wrong else t("totp_hint"),
                error=t("totp_wrong") if wrong else None,
                **kept,
            )
        if said.get("password_change_required"):
            error = t("password_change_required")
        elif problem.status == 429 or "retry" in str(said.get("error_description", "")):
            error = t("sign_in_wait")
        elif "lock" in str(said.get("error_description", "")).lower():
            error = t("sign_in_locked")
        else:
            error = t("sign_in_failed")
        return _sign_in_page(request, status=400, error=error, **kept)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session(request, response, Session.from_tokens(tokens))
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    ctx = await context(request)  # CSRF checked: nobody signs a user out from another site
    with contextlib.suppress(
        Problem, Unavailable
    ):  # the cookie goes anyway; the refresh token ends on its own
        await ctx.api.call(
            clients.REVOKE,
            token=None,
            data={"token": ctx.user.session.refresh_token, "token_type_hint": "refresh_token"},
        )
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
async def switch_language(request: Request, lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        LANG_COOKIE, lang if lang in i18n.LANGS else "zh-CN", max_age=365 * 86400, samesite="lax"
    )
    return response


@router.get("/")
async def start(request: Request) -> Response:
    user = await signed_in(request)
    if user.has("dispatcher", "manager"):
        return RedirectResponse("/board", status_code=303)
    if user.has("technician"):
        return RedirectResponse("/jobs", status_code=303)
    ctx = await context(request)
    return ctx.render("home.html")
