"""The dispatcher's board (调度台): open work orders by SLA risk (unassignable ones on top, paused ones apart)
with each milestone's countdown, technicians as lanes (shift, skills, load, current job), a work order's
drawer (timeline, photos, reporters, location) with assign / reassign with a reason, urgency, pause,
resume, cancel. Changes made anywhere reach the board live (live.py)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from propdesk.console import clients
from propdesk.console.web import Context, context, order_panel, submit

router = APIRouter()
ROLES = ("dispatcher", "manager")
MILESTONES = ("acknowledge", "dispatch", "arrive", "complete")
BUSY = ("assigned", "accepted", "en_route", "on_site", "paused")


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "") for k in ("building", "category", "urgency")}


async def board_data(ctx: Context, filters: dict[str, str]) -> dict[str, Any]:
    """Everything the board shows, from repairs and intake, with the user's token."""
    estate_id = ctx.estate["id"]
    limit = ctx.request.app.state.settings.board_limit
    queue, techs, buildings = await asyncio.gather(  # the three answers at once
        ctx.call_or_none(
            clients.QUEUE, default=None, path={"estate_id": estate_id}, params={"limit": min(limit + 1, 500)}
        ),
        ctx.call_or_none(clients.TECHNICIANS, default=None, path={"estate_id": estate_id}),
        ctx.call_or_none(clients.BUILDINGS, default=[], path={"estate_id": estate_id}),
    )
    buildings = buildings.get("items", []) if isinstance(buildings, dict) else (buildings or [])
    orders = queue or []
    more = len(orders) > limit
    orders = orders[:limit]
    shown = [
        o
        for o in orders
        if (not filters["building"] or o.get("building_id") == filters["building"])
        and (not filters["category"] or o["category"] == filters["category"])
        and (not filters["urgency"] or o["urgency"] == filters["urgency"])
    ]
    names = {t["id"]: t["name"] for t in techs or []}
    current = {}
    for o in orders:
        if o.get("technician_id") and o["state"] in ("en_route", "on_site"):
            current.setdefault(o["technician_id"], o)
    lanes = sorted(techs or [], key=lambda t: (not t["on_shift"], t["load"], t["name"]))
    return {
        "alerts": [o for o in shown if o.get("unassignable_reason") and not o.get("technician_id")],
        "queue": [
            o
            for o in shown
            if o["state"] != "paused" and not (o.get("unassignable_reason") and not o.get("technician_id"))
        ],
        "paused": [o for o in shown if o["state"] == "paused"],
        "shown": len(shown),
        "more": more,
        "repairs_down": queue is None,
        "lanes": lanes,
        "technician_names": names,
        "current": current,
        "buildings": buildings,
        "building_names": {b["id"]: b["name"] for b in buildings},
        "filters": filters,
        "milestones": MILESTONES,
    }


@router.get("/board")
async def board(request: Request) -> Response:
    ctx = await context(request, *ROLES)
    if ctx.estate is None:
        return ctx.render("no_estate.html")
    data = await board_data(ctx, _filters(request))
    return ctx.render("board.html", cursor=request.app.state.hub.cursor(), **data)


@router.get("/board/queue")
async def board_queue(request: Request) -> Response:
    """The queue and the lanes again (htmx, after a live change or a filter)."""
    ctx = await context(request, *ROLES)
    if ctx.estate is None:
        return ctx.render("no_estate.html")
    data = await board_data(ctx, _filters(request))
    return ctx.render("board_body.html", **data)


async def _drawer(ctx: Context, work_order_id: str, **values: Any) -> Response:
    async def technicians(order: dict) -> dict[str, Any]:
        techs = (
            await ctx.call_or_none(clients.TECHNICIANS, default=[], path={"estate_id": order["estate_id"]})
            or []
        )
        return {"technicians": techs, "technician_names": {t["id"]: t["name"] for t in techs}}

    return await order_panel(ctx, work_order_id, "drawer.html", technicians, **values)


@router.get("/board/orders/{work_order_id}")
async def drawer(request: Request, work_order_id: str) -> Response:
    ctx = await context(request, *ROLES)
    return await _drawer(ctx, work_order_id, preselect=request.query_params.get("assign_to"))


ACTIONS = {"assign", "change_urgency", "pause", "resume", "cancel", "triage"}


@router.post("/board/orders/{work_order_id}/actions")
async def act(
    request: Request,
    work_order_id: str,
    action: Annotated[str, Form(max_length=32)],
    technician_id: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=600)] = "",
    urgency: Annotated[str, Form(max_length=32)] = "",
    pause_reason: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=5100)] = "",
) -> Response:
    """One dispatcher action; the drawer comes back with the result, or with the service's message next to
    the field and what the user typed kept."""
    ctx = await context(request, *ROLES)
    typed = {
        "action": action,
        "technician_id": technician_id,
        "reason": reason,
        "urgency": urgency,
        "pause_reason": pause_reason,
        "note": note,
    }
    if action not in ACTIONS:
        return await _drawer(ctx, work_order_id, typed=typed, error=ctx.t("error"))
    body: dict[str, Any] = {"action": action}
    if action == "assign" and technician_id:
        body["technician_id"] = technician_id
    if reason.strip():
        body["reason"] = reason.strip()
    if action == "change_urgency":
        body["urgency"] = urgency or None
    if action == "pause":
        body["pause_reason"] = pause_reason or None
    if note.strip():
        body["note"] = note.strip()
    response = await submit(
        ctx,
        clients.ACT,
        path={"work_order_id": work_order_id},
        json=body,
        show=lambda **shown: _drawer(ctx, work_order_id, **shown),
        typed=typed,
        saved=action,
    )
    response.headers["HX-Trigger"] = "board-changed"  # the board shows the change at once (live follows)
    return response
