"""console app factory: the staff screens, their static files, live updates, and the pages' error handling."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sse_starlette.sse import EventSourceResponse

from propdesk.common.auth import TokenVerifier
from propdesk.common.logging import configure_logging, get_logger
from propdesk.common.runtime import FrontendDefinition
from propdesk.console import i18n
from propdesk.console.clients import Api
from propdesk.console.config import ConsoleSettings
from propdesk.console.live import Hub, Topic
from propdesk.console.pages import auth, board, jobs, ops
from propdesk.console.session import Refresher
from propdesk.console.web import (
    HERE,
    CsrfFailed,
    Forbidden,
    SignInRequired,
    language,
    sign_in_redirect,
    signed_in,
    templates,
)

log = get_logger("propdesk.console")


FRONTEND = FrontendDefinition(
    name="console", title="Console (员工工作台)", port=8107, package="propdesk.console"
)

CSP = (
    "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class SecurityHeaders:
    """Pure ASGI (so Server-Sent Event streams pass untouched): CSP, no framing, no sniffing, no caching of
    pages that show personal data."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        return await self.app(scope, receive, with_headers)


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or ConsoleSettings.for_console()
        configure_logging(json=s.json_logs, level=s.log_level, file=s.log_file)
        app.state.settings = s
        app.state.api = Api(s)
        app.state.refresher = Refresher(app.state.api)
        app.state.verifier = TokenVerifier(s)
        app.state.templates = templates()
        app.state.hub = Hub(s)
        await app.state.hub.start()
        log.info("console.started", port=s.port)
        try:
            yield
        finally:
            await app.state.hub.stop()
            await app.state.api.close()

    app = FastAPI(
        title="propdesk console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (auth, board, jobs, ops):
        app.include_router(module.router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> Response:
        ready = request.app.state.hub.connected
        return JSONResponse({"nats": ready}, status_code=200 if ready else 503)

    @app.get("/live")
    async def live(
        request: Request, estate: str, technician: str | None = None, cursor: str | None = None
    ) -> Response:
        """Server-Sent Events for one page: the changes of `estate` (a technician's own when `technician`)."""
        try:
            user = await signed_in(request)
        except SignInRequired:
            return Response(status_code=401)
        if (
            technician is not None
            and technician != user.principal.sub
            and not user.has("dispatcher", "manager")
        ):
            return Response(status_code=403)
        last = request.headers.get("last-event-id") or cursor
        try:
            topic = Topic(str(uuid.UUID(estate)), technician)
        except ValueError:
            return Response(status_code=400)
        return EventSourceResponse(
            request.app.state.hub.stream(user.principal, topic, last), ping=15, send_timeout=10
        )

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return sign_in_redirect(request, exc.reason)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _message(request, "forbidden", 403)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return _message(request, "csrf", 403)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("console.error", path=request.url.path)
        return _message(request, "error", 500)

    return app


def _message(request: Request, key: str, status: int) -> Response:
    t = i18n.Translator(language(request))
    return HTMLResponse(
        request.app.state.templates.get_template("message.html").render(
            t=t, lang=t.lang, key=key, status=status
        ),
        status_code=status,
    )
