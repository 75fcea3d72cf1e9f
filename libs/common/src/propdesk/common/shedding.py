"""Load shedding: each process serves at most `max_in_flight_requests` requests at once; beyond that it answers
503 with Retry-After at once instead of queueing work it would finish too late (after a restart on a busy
machine a queue would push every answer out to minutes). Health, readiness and metrics are never shed."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from propdesk.common.i18n import Text
from propdesk.common.problems import problem_response

EXEMPT = ("/healthz", "/readyz", "/metrics")
BUSY = Text("服务繁忙，请稍后重试", "The service is busy; retry shortly")


class LoadShedding:
    def __init__(self, app, limit: Callable[[], int], on_shed: Callable[[], None] = lambda: None) -> None:
        self.app = app
        self.limit = limit
        self.on_shed = on_shed  # counts a refused request (metrics)
        self.in_flight = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit():
            self.on_shed()
            response = problem_response(
                Request(scope), status=503, code="overloaded", title=BUSY, headers={"Retry-After": "1"}
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
