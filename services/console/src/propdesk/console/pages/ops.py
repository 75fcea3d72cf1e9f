"""The ops page for platform admins: `propdesk status` as a table (readiness, outbox backlog, consumer lag,
dead letters, timers) per service, the dead letters, and replaying one."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from propdesk.console import clients
from propdesk.console.clients import Problem, Unavailable
from propdesk.console.config import BACKENDS
from propdesk.console.web import Context, context

router = APIRouter()


async def _status(ctx: Context, service: str) -> dict[str, Any]:
    try:
        status = await ctx.call(clients.STATUS[service])
        dead = await ctx.call(clients.DEAD_LETTERS[service])
        return {
            "service": service,
            "up": True,
            "status": status,
            "dead": dead.get("items", dead) if isinstance(dead, dict) else dead,
        }
    except (Unavailable, Problem) as exc:
        return {
            "service": service,
            "up": False,
            "reason": getattr(exc, "reason", "") or getattr(exc, "title", ""),
            "dead": [],
        }


@router.get("/ops")
async def ops(request: Request) -> Response:
    ctx = await context(request, "admin")
    rows = await asyncio.gather(*(_status(ctx, s) for s in BACKENDS))
    return ctx.render("ops.html", rows=rows, replayed=request.query_params.get("replayed"))


@router.post("/ops/{service}/dead-letters/{dead_letter_id}/replay")
async def replay(request: Request, service: str, dead_letter_id: str) -> Response:
    ctx = await context(request, "admin")
    if service not in BACKENDS:
        return ctx.render("drawer_missing.html", status=404, problem=None)
    problem = None
    try:
        await ctx.call(clients.REPLAY[service], path={"dead_letter_id": dead_letter_id})
    except Problem as exc:
        problem = exc
    except Unavailable:
        ctx.down(service)
    rows = await asyncio.gather(*(_status(ctx, s) for s in BACKENDS))
    return ctx.render("ops.html", rows=rows, replayed=None if problem else dead_letter_id, problem=problem)
