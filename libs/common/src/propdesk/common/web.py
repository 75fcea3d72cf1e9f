"""HTTP kit: the app factory every service uses, RFC 9457 problem+json errors in zh-CN/en, a
correlation-id middleware, health and readiness, Prometheus metrics, the request's unit of work,
Idempotency-Key handling and the admin endpoints the CLI talks to."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from propdesk.common.auth import Principal, Role, get_principal, require_roles
from propdesk.common.consumer import dead_letter_row, replay_dead_letter
from propdesk.common.db import platform_of
from propdesk.common.errors import DomainError, IdempotencyMismatch, NotFound, Unauthorized
from propdesk.common.events import Actor, EventContext, bind_context, current_context, reset_context
from propdesk.common.i18n import Text, negotiate
from propdesk.common.logging import configure_logging, get_logger
from propdesk.common.runtime import Runtime, ServiceDefinition
from propdesk.common.settings import ServiceSettings
from propdesk.common.uow import unit_of_work

log = get_logger("propdesk.web")

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://propdesk.dev/problems/"

_STATUS_TITLES = {
    400: Text("请求无效", "Bad request"),
    401: Text("未认证", "Not authenticated"),
    403: Text("无权执行此操作", "Forbidden"),
    404: Text("资源不存在", "Not found"),
    405: Text("不支持的请求方法", "Method not allowed"),
    409: Text("与当前状态冲突", "Conflict"),
    415: Text("不支持的媒体类型", "Unsupported media type"),
    422: Text("请求参数校验失败", "Validation failed"),
    500: Text("服务器内部错误", "Internal server error"),
    503: Text("服务暂不可用", "Service unavailable"),
}


def problem_response(
    request: Request, *, status: int, code: str, title: Text, detail: str | None = None, **extra: Any
) -> JSONResponse:
    lang = negotiate(request.headers.get("accept-language"))
    body = {
        "type": PROBLEM_BASE + code,
        "title": title.get(lang),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "titles": title.as_dict(),
        "correlation_id": current_context().correlation_id,
        **extra,
    }
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM, headers={"Content-Language": lang}
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, exc: DomainError) -> JSONResponse:
        lang = negotiate(request.headers.get("accept-language"))
        return problem_response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail_for(lang),
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
        return problem_response(
            request,
            status=422,
            code="validation-failed",
            title=_STATUS_TITLES[422],
            detail=summary,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _STATUS_TITLES.get(exc.status_code, Text("请求失败", "Request failed"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request, status=exc.status_code, code=f"http-{exc.status_code}", title=title, detail=detail
        )

    @app.exception_handler(IntegrityError)
    async def on_integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("db.integrity_error", error=str(exc.orig)[:300])
        return problem_response(
            request,
            status=409,
            code="conflict",
            title=Text("与已有数据冲突", "Conflicts with existing data"),
            detail=str(getattr(exc.orig, "__cause__", exc.orig) or exc.orig).split("\n")[0],
        )

    @app.exception_handler(DBAPIError)
    async def on_dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            log.warning("db.unavailable", error=str(exc.orig)[:300])
            return problem_response(
                request, status=503, code="database-unavailable", title=_STATUS_TITLES[503]
            )
        log.error("db.error", error=str(exc.orig)[:300])
        return problem_response(request, status=500, code="internal", title=_STATUS_TITLES[500])

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", path=request.url.path)
        return problem_response(request, status=500, code="internal", title=_STATUS_TITLES[500])


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "propdesk_http_requests", "HTTP requests", ["service", "method", "route", "status"], registry=r
        )
        self._children: dict[tuple, tuple] = {}  # (method, route, status) -> the two labelled metrics
        self.latency = Histogram(
            "propdesk_http_request_seconds",
            "HTTP request latency",
            ["service", "route"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        labels = ["service"]
        self.outbox_backlog = Gauge(
            "propdesk_outbox_backlog", "Committed events not yet published", labels, registry=r
        )
        self.consumer_lag = Gauge(
            "propdesk_consumer_lag", "Events pending or unacked per stream", ["service", "stream"], registry=r
        )
        self.redeliveries = Gauge(
            "propdesk_consumer_redeliveries", "Events delivered more than once", labels, registry=r
        )
        self.dead_letters = Gauge("propdesk_dead_letters", "Dead letters not replayed", labels, registry=r)
        self.timer_lag = Gauge(
            "propdesk_timer_lag_seconds", "Age of the oldest due, unfired timer", labels, registry=r
        )
        self.published = Gauge(
            "propdesk_events_published", "Events published by this process", labels, registry=r
        )
        self.service = service

    async def refresh(self, runtime: Runtime) -> None:
        st = await runtime.status()
        s = self.service
        self.outbox_backlog.labels(s).set(st["outbox_backlog"])
        self.dead_letters.labels(s).set(st["dead_letters"])
        self.timer_lag.labels(s).set(st["timer_lag_seconds"])
        self.redeliveries.labels(s).set(st["redeliveries"])
        self.published.labels(s).set(st["events_published"])
        for stream, lag in st["consumer_lag_by_stream"].items():
            self.consumer_lag.labels(s, stream).set(lag)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """One request: counted and timed (the labelled children are looked up once per route and status)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(self.service, method, route, str(status)),
                self.latency.labels(self.service, route),
            )
        children[0].inc()
        children[1].observe(seconds)


class CorrelationMiddleware:
    """Binds a correlation id (X-Correlation-ID or a new one) to logs and to every event recorded."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"x-correlation-id", b"").decode("latin-1")[:64]
        correlation_id = raw if raw and raw.isprintable() else str(uuid.uuid4())
        token = bind_context(
            EventContext(correlation_id=correlation_id, actor=Actor(kind="user", id="anonymous"))
        )
        status_holder = {"status": 500}

        async def send_wrapper(message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", []).append((b"x-correlation-id", correlation_id.encode()))
            await send(message)

        started = time.perf_counter()
        try:
            with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
                await self.app(scope, receive, send_wrapper)
        finally:
            reset_context(token)
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(
                scope["method"], route, status_holder["status"], time.perf_counter() - started
            )


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commits after the endpoint returns, before the response is sent."""
    async with unit_of_work(request.app.state.runtime.sessionmaker) as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def current_principal(request: Request) -> Principal:
    principal = await get_principal(request)
    ctx = current_context()
    role = sorted(principal.roles)[0] if principal.roles else None
    bind_context(
        EventContext(correlation_id=ctx.correlation_id, actor=Actor(kind="user", id=principal.sub, role=role))
    )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


async def idempotent(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    create: Callable[[], Awaitable[BaseModel | dict | tuple[BaseModel | dict, int]]],
    *,
    status_code: int = 201,
) -> JSONResponse:
    """Run a creating operation at most once per `Idempotency-Key`: the same key and body replays the
    stored response; the same key with another body is rejected; no key runs it normally. `create` may
    return (result, status) when the outcome decides the status (e.g. 200 for a report linked to an open one)."""

    async def made() -> tuple[object, int]:
        result = await create()
        return result if isinstance(result, tuple) else (result, status_code)

    def encoded(result: object) -> object:  # a model as FastAPI's response_model would give it
        if isinstance(result, BaseModel):
            return result.model_dump(mode="json", by_alias=True)
        return jsonable_encoder(result)

    async def run() -> tuple[object, int]:
        result, status = await made()
        return encoded(result), status

    key = request.headers.get("idempotency-key")
    if key is None:
        result, status = await made()
        if isinstance(result, BaseModel):  # serialised by pydantic in one pass (the hot path of reports)
            return Response(
                result.model_dump_json(by_alias=True), status_code=status, media_type="application/json"
            )
        return JSONResponse(jsonable_encoder(result), status_code=status)
    if not 1 <= len(key) <= 200:
        raise IdempotencyMismatch(Text("幂等键长度须为 1–200", "Idempotency-Key must be 1-200 characters"))
    body = await request.body()
    route = f"{request.method} {request.url.path}"
    digest = hashlib.sha256(route.encode() + b"\n" + body).hexdigest()
    table = platform_of(session).idempotency_key
    stored = (
        (await session.execute(select(table).where(table.c.principal == principal.sub, table.c.key == key)))
        .mappings()
        .first()
    )
    if stored is not None:
        if stored["request_hash"] != digest:
            raise IdempotencyMismatch(
                Text("该幂等键已用于不同的请求内容", "This key was used with a different request")
            )
        return JSONResponse(
            stored["response"], status_code=stored["status_code"], headers={"Idempotent-Replayed": "true"}
        )
    result, status_code = await run()
    await session.execute(
        pg_insert(table).values(
            principal=principal.sub,
            key=key,
            route=route,
            request_hash=digest,
            status_code=status_code,
            response=result,
        )
    )
    return JSONResponse(result, status_code=status_code)


def platform_router() -> APIRouter:
    router = APIRouter(tags=["platform"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz(request: Request) -> dict[str, str]:
        return {"status": "ok", "service": runtime_of(request).definition.name}

    @router.get("/readyz", summary="Readiness: database and NATS reachable")
    async def readyz(request: Request) -> JSONResponse:
        checks = await runtime_of(request).readiness()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        m: Metrics = request.app.state.metrics
        try:
            await m.refresh(runtime_of(request))
        except Exception as exc:  # metrics must not fail because one gauge could not be read
            log.warning("metrics.refresh_failed", error=repr(exc))
        return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)

    admin = require_roles(Role.admin)

    @router.get("/admin/status", summary="Outbox backlog, consumer lag, dead letters, timers")
    async def status(request: Request, _: Principal = Depends(admin)) -> dict[str, Any]:
        rt = runtime_of(request)
        return {
            "service": rt.definition.name,
            "ready": all((await rt.readiness()).values()),
            **await rt.status(),
        }

    @router.post("/admin/republish", summary="Record snapshot events of everything this service owns")
    async def republish(request: Request, session: Session, _: Principal = Depends(admin)) -> dict[str, Any]:
        rt = runtime_of(request)
        if rt.definition.republish is None:
            raise NotFound(Text("此服务没有可重新发布的数据", "This service has nothing to re-publish"))
        return {"service": rt.definition.name, "events": await rt.definition.republish(session)}

    @router.get("/admin/dead-letters", summary="Dead-lettered events and timers, newest first")
    async def dead_letters(
        request: Request, session: Session, _: Principal = Depends(admin), include_replayed: bool = False
    ) -> list[dict[str, Any]]:
        dl = platform_of(session).dead_letter
        stmt = select(dl).order_by(dl.c.created_at.desc()).limit(500)
        if not include_replayed:
            stmt = stmt.where(dl.c.replayed_at.is_(None))
        return [dead_letter_row(r) for r in (await session.execute(stmt)).mappings().all()]

    @router.post("/admin/dead-letters/{dead_letter_id}/replay", summary="Apply a dead-lettered event again")
    async def replay(
        request: Request, dead_letter_id: uuid.UUID, _: Principal = Depends(admin)
    ) -> dict[str, Any]:
        rt = runtime_of(request)
        return await replay_dead_letter(
            dead_letter_id=dead_letter_id,
            consumers=rt.consumers,
            sessionmaker=rt.sessionmaker,
            tables=rt.tables,
        )

    return router


def create_service_app(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> FastAPI:
    """The app factory every service's `create_app()` calls. Nothing is connected until the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or definition.settings()
        configure_logging(json=resolved.json_logs, level=resolved.log_level)
        runtime = Runtime(definition, resolved)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=f"propdesk {definition.name}",
        summary=definition.title,
        description=definition.description,
        version="0.1.0",
        lifespan=lifespan,
    )
    metrics = Metrics(definition.name)
    app.state.metrics = metrics
    app.add_middleware(CorrelationMiddleware, metrics=metrics)
    install_error_handlers(app)
    app.include_router(platform_router())
    for router in definition.routers():
        app.include_router(router)
    return app


def openapi_of(definition: ServiceDefinition) -> dict[str, Any]:
    return create_service_app(definition).openapi()


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


class BadSignature(Unauthorized):
    code = "bad-signature"
    title = Text("签名无效", "Bad signature")


async def require_signature(request: Request, secret: str, header: str = "x-propdesk-signature") -> None:
    """An inbound webhook signs its body: `<header>: sha256=<hex HMAC-SHA256 of the body>`; anything else is 401."""
    body = await request.body()
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get(header, "")):
        raise BadSignature("the signature does not match the body")
