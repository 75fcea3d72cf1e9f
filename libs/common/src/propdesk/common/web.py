"""HTTP kit: the app factory every service uses (problem+json errors, the OpenAPI document that lists them,
body limits, text without control characters), a correlation-id middleware, health and readiness, Prometheus
metrics, the request's unit of work."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import faults
from propdesk.common.admin import admin_router
from propdesk.common.auth import Principal, get_principal
from propdesk.common.events import Actor, EventContext, bind_context, current_context, reset_context
from propdesk.common.idempotency import idempotent
from propdesk.common.inputs import reject_control_characters
from propdesk.common.logging import configure_logging, get_logger
from propdesk.common.problems import document_problems, install_error_handlers
from propdesk.common.ratelimit import rate_limit
from propdesk.common.runtime import Runtime, ServiceDefinition
from propdesk.common.settings import ServiceSettings
from propdesk.common.shedding import LoadShedding
from propdesk.common.uow import unit_of_work

__all__ = ["CurrentPrincipal", "Session", "create_service_app", "idempotent", "openapi_of"]

# a JSON body larger than this is refused (413) before it is read; routes that take files set their own
MAX_BODY_BYTES = 1024 * 1024
SIGNED = {"x-propdesk-signed": "standard-webhooks"}  # openapi_extra of a route that verifies a webhook

log = get_logger("propdesk.web")


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
        self.shed = Counter(
            "propdesk_requests_shed",
            "Requests refused with 503 beyond max_in_flight_requests",
            labels,
            registry=r,
        )
        self.consumer_outages = Gauge(
            "propdesk_consumer_outages", "Consumer batches that waited for the database", labels, registry=r
        )
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
        self.consumer_outages.labels(s).set(st["consumer_outages"])
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
    faults.hit("http.after_commit")  # the crash tests: committed, and the client never hears


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

    return router


def create_service_app(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> FastAPI:
    """The app factory every service's `create_app()` calls. Nothing is connected until the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or definition.settings()
        configure_logging(json=resolved.json_logs, level=resolved.log_level, file=resolved.log_file)
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
        dependencies=[Depends(rate_limit), Depends(reject_control_characters)],
        max_body_size=MAX_BODY_BYTES,
    )
    metrics = Metrics(definition.name)
    app.state.metrics = metrics
    app.add_middleware(
        LoadShedding, limit=lambda: _in_flight_limit(app), on_shed=metrics.shed.labels(definition.name).inc
    )  # inside: shed requests are counted
    app.add_middleware(CorrelationMiddleware, metrics=metrics)
    install_error_handlers(app)
    routers = [platform_router(), admin_router(), *definition.routers()]
    for router in routers:
        app.include_router(router)
    facts = {
        (method, route.path): _facts(route, method)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build(), facts)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _in_flight_limit(app: FastAPI) -> int:
    runtime = getattr(app.state, "runtime", None)
    return runtime.settings.max_in_flight_requests if runtime is not None else 256


def _facts(route: APIRoute, method: str) -> dict[str, bool]:
    """What an operation takes, for the problems it can answer with."""

    def calls(dependant) -> set:
        return {dependant.call} | {c for d in dependant.dependencies for c in calls(d)}

    extra = route.openapi_extra or {}
    authenticated = bool({get_principal, current_principal} & calls(route.dependant)) or bool(
        extra.get("x-propdesk-signed") or extra.get("x-propdesk-credentials")
    )
    return {
        "authenticated": authenticated,
        "path_params": bool(route.dependant.path_params),
        "body": route.body_field is not None,
        "raw_body": "requestBody" in (route.openapi_extra or {}),
        "changes": method in ("POST", "PUT", "PATCH", "DELETE"),
    }


def openapi_of(definition: ServiceDefinition) -> dict[str, Any]:
    return create_service_app(definition).openapi()


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
