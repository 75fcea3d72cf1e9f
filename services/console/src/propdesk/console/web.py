"""What every page shares: the templates, the signed-in user (the sealed session, refreshed server-side),
CSRF on every form, the user's language and estate, and rendering that applies a renewed session cookie."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from propdesk.common.auth import Principal
from propdesk.common.errors import DomainError
from propdesk.console import clients, i18n
from propdesk.console.clients import Api, Problem, Unavailable
from propdesk.console.config import ConsoleSettings
from propdesk.console.session import COOKIE, LANG_COOKIE, REFRESH_EARLY_SECONDS, Refresher, Session, User

HERE = Path(__file__).parent

# menus: (path, text key, roles that see it; admin sees all)
MENUS = [
    ("/board", "board", ("dispatcher", "manager")),
    ("/jobs", "my_jobs", ("technician",)),
    ("/ops", "ops", ()),
]


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters["money"] = i18n.money
    t.env.globals["quote"] = quote
    return t


class SignInRequired(Exception):
    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason


class Forbidden(Exception):
    pass


class CsrfFailed(Exception):
    pass


@dataclass
class Context:
    """One request's view of the console: who, in which language, for which estate."""

    request: Request
    user: User
    lang: str
    estates: list[dict] = field(default_factory=list)
    estate: dict | None = None
    unavailable: list[str] = field(default_factory=list)

    @property
    def t(self) -> i18n.Translator:
        return i18n.Translator(self.lang)

    @property
    def token(self) -> str:
        return self.user.session.access_token

    @property
    def tz(self) -> str:
        return (self.estate or {}).get("timezone") or "Asia/Shanghai"

    @property
    def api(self) -> Api:
        return self.request.app.state.api

    async def call(self, op, **kwargs: Any) -> Any:
        return await self.api.call(op, token=self.token, lang=self.lang, **kwargs)

    async def call_or_none(self, op, default: Any = None, **kwargs: Any) -> Any:
        """The answer, or `default` with a banner naming the service when it does not answer."""
        try:
            return await self.call(op, **kwargs)
        except Unavailable as exc:
            self.down(exc.service)
            return default

    def down(self, service: str) -> None:
        """A banner on this page: `service` did not answer."""
        if service not in self.unavailable:
            self.unavailable.append(service)

    async def problem_names(self) -> dict[tuple[str, str], str]:
        """(category, problem code) -> its name in the user's language, from repairs' taxonomy (reference data
        that changes only with a repairs release: kept per process for an hour)."""
        kept = getattr(self.request.app.state, "taxonomy", None)
        if kept is None or kept[0] < time.monotonic():
            got = await self.call_or_none(clients.TAXONOMY, default=None)
            if not got:
                return {}
            kept = (time.monotonic() + 3600, got)
            self.request.app.state.taxonomy = kept
        i = "zh" if self.lang == "zh-CN" else "en"
        return {(c["category"], p["code"]): p[i] for c in kept[1] for p in c.get("problems", [])}

    def menus(self) -> list[tuple[str, str]]:
        def shown(path: str, roles: tuple[str, ...]) -> bool:
            if path == "/jobs":  # a technician's own jobs: only for technicians (an admin has none)
                return "technician" in self.user.roles
            return self.user.has(*roles)  # (admin passes; the ops page lists no role but admin)

        return [(path, self.t(key)) for path, key, roles in MENUS if shown(path, roles)]

    def render(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        now = dt.datetime.now(dt.UTC)
        response = self.request.app.state.templates.TemplateResponse(
            self.request,
            name,
            {
                "c": self,
                "t": self.t,
                "now": now,
                "local": lambda v, fmt="%m-%d %H:%M": i18n.local_time(v, self.tz, fmt),
                "countdown": lambda due: i18n.countdown(due, now, self.t),
                "next_clock": next_clock,
                **values,
            },
            status_code=status,
        )
        return finish(self.request, response)


def next_clock(order: dict) -> dict | None:
    """The milestone that runs next (the soonest unmet one)."""
    running = [c for c in order.get("clocks", []) if c.get("due_at") and not c.get("met_at")]
    return min(running, key=lambda c: c["due_at"]) if running else None


async def order_panel(
    ctx: Context,
    work_order_id: str,
    template: str,
    extra: Callable[[dict], Awaitable[dict[str, Any]]],
    **values: Any,
) -> HTMLResponse:
    """A work order in a panel (the board's drawer, the technician's job): the order from repairs with its
    problem named in the user's language and what `extra` adds; repairs' refusal or absence shown instead."""
    try:
        order = await ctx.call(clients.WORK_ORDER, path={"work_order_id": work_order_id})
    except Problem as problem:
        return ctx.render("drawer_missing.html", problem=problem)
    except Unavailable as down:
        ctx.down(down.service)
        return ctx.render("drawer_missing.html", problem=None)
    names = await ctx.problem_names()
    return ctx.render(
        template,
        o=order,
        problem_name=names.get((order["category"], order["problem"]), order["problem"]),
        **await extra(order),
        **values,
    )


async def submit(
    ctx: Context,
    op: tuple[str, str, str],
    *,
    path: dict[str, Any],
    json: dict[str, Any],
    show: Callable[..., Awaitable[Response]],
    typed: dict[str, str],
    saved: str,
    prefix: str = "",
) -> Response:
    """Send a form's command; show the result, or the service's message with what the user typed kept
    (`prefix` names a second form of the same panel: `part_typed`, `part_problem`)."""
    try:
        await ctx.call(op, path=path, json=json)
    except Problem as problem:
        return await show(**{f"{prefix}typed": typed, f"{prefix}problem": problem})
    except Unavailable as down:
        ctx.down(down.service)
        return await show(**{f"{prefix}typed": typed})
    return await show(saved=saved)


def finish(request: Request, response: Response) -> Response:
    """Set the renewed session cookie (after a refresh) on `response`."""
    renewed: Session | None = getattr(request.state, "renewed", None)
    if renewed is not None:
        set_session(request, response, renewed)
    return response


def set_session(request: Request, response: Response, session: Session) -> None:
    settings: ConsoleSettings = request.app.state.settings
    response.set_cookie(
        COOKIE,
        session.seal(settings),
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in i18n.LANGS:
        return chosen
    header = (request.headers.get("accept-language") or "").lower()
    return "zh-CN" if "zh" in header else i18n.negotiate(header)  # zh-CN first: any Chinese wins


async def signed_in(request: Request) -> User:
    """The signed-in user, their session refreshed when its access token is about to end."""
    settings: ConsoleSettings = request.app.state.settings
    session = Session.open(request.cookies.get(COOKIE), settings)
    if session is None:
        raise SignInRequired()
    if session.expires_at - REFRESH_EARLY_SECONDS < time.time():
        refresher: Refresher = request.app.state.refresher
        try:
            renewed = await refresher.refresh(session)
        except Unavailable as exc:
            raise SignInRequired("unavailable") from exc
        if renewed is None:
            raise SignInRequired("session_over")
        request.state.renewed = session = renewed
    try:
        principal: Principal = await request.app.state.verifier.verify(session.access_token)
    except DomainError as exc:
        raise SignInRequired("session_over") from exc
    return User(principal, session)


async def context(request: Request, *roles: str) -> Context:
    user = await signed_in(request)
    if roles and not user.has(*roles):
        raise Forbidden()
    ctx = Context(request, user, language(request))
    if request.method == "POST":
        form = await request.form()
        presented = request.headers.get("x-csrf-token") or form.get("csrf")
        if not user.session.csrf_ok(str(presented) if presented else None):
            raise CsrfFailed()
    await choose_estate(ctx)
    return ctx


async def choose_estate(ctx: Context) -> None:
    """The estates of the user's token (all of them for a platform admin), and the one this page is for."""
    p = ctx.user.principal
    if p.all_estates:
        listed = await ctx.call_or_none(clients.ESTATES, default={"items": []}, params={"limit": 500})
        ctx.estates = listed.get("items", []) if isinstance(listed, dict) else []
    else:
        ctx.estates = []
        for estate_id in sorted(str(e) for e in p.estates):
            got = await ctx.call_or_none(clients.ESTATE, path={"estate_id": estate_id})
            ctx.estates.append(got or {"id": estate_id, "name": estate_id[:8], "timezone": "Asia/Shanghai"})
    wanted = ctx.request.query_params.get("estate") or ctx.request.cookies.get("propdesk_estate")
    ctx.estate = next((e for e in ctx.estates if e["id"] == wanted), ctx.estates[0] if ctx.estates else None)


def sign_in_redirect(request: Request, reason: str | None = None) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"/sign-in?next={quote(target)}" + (f"&reason={reason}" if reason else "")
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    response = RedirectResponse(url, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
