"""The technician's phone view (维修工): my jobs in order (the soonest deadline first), accept or decline,
on my way, arrived, pause with a reason, parts from the price list, labour minutes and a completion note,
and whether the resident has confirmed. Large touch targets; made for a 360 px screen."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from propdesk.console import clients
from propdesk.console.web import Context, context, order_panel, submit

router = APIRouter()
ROLES = ("technician",)
OPEN = ("assigned", "accepted", "en_route", "on_site", "paused", "reopened")
# what a technician may do next, by state (repairs decides; these are the buttons shown)
NEXT: dict[str, tuple[str, ...]] = {
    "assigned": ("accept", "decline"),
    "accepted": ("en_route", "arrive"),
    "en_route": ("arrive",),
    "on_site": ("complete", "pause"),
    "paused": ("resume",),
}


async def my_jobs(ctx: Context) -> dict[str, Any]:
    estate_id = ctx.estate["id"]
    listed = await ctx.call_or_none(
        clients.WORK_ORDERS,
        default=None,
        path={"estate_id": estate_id},
        params={"technician_id": ctx.user.principal.sub, "limit": 100},
    )
    items = (listed or {}).get("items", [])
    open_jobs = [o for o in items if o["state"] in OPEN]
    open_jobs.sort(key=lambda o: (o.get("next_due_at") or "9999", o["created_at"]))
    finished = [o for o in items if o["state"] in ("completed", "closed")][:10]
    return {"jobs": open_jobs, "finished": finished, "repairs_down": listed is None}


@router.get("/jobs")
async def jobs(request: Request) -> Response:
    ctx = await context(request, *ROLES)
    if ctx.estate is None:
        return ctx.render("no_estate.html")
    return ctx.render(
        "jobs.html",
        cursor=request.app.state.hub.cursor(),
        NEXT=NEXT,
        **await my_jobs(ctx),
    )


@router.get("/jobs/list")
async def jobs_list(request: Request) -> Response:
    ctx = await context(request, *ROLES)
    if ctx.estate is None:
        return ctx.render("no_estate.html")
    return ctx.render("jobs_list.html", NEXT=NEXT, **await my_jobs(ctx))


async def _job(ctx: Context, work_order_id: str, **values: Any) -> Response:
    async def price_list(order: dict) -> dict[str, Any]:
        prices = await ctx.call_or_none(
            clients.PRICE_ITEMS, default=[], path={"estate_id": order["estate_id"]}
        )
        return {"NEXT": NEXT, "prices": [p for p in prices or [] if p.get("active", True)]}

    return await order_panel(ctx, work_order_id, "job.html", price_list, **values)


@router.get("/jobs/{work_order_id}")
async def job(request: Request, work_order_id: str) -> Response:
    ctx = await context(request, *ROLES)
    return await _job(ctx, work_order_id)


@router.post("/jobs/{work_order_id}/actions")
async def act(
    request: Request,
    work_order_id: str,
    action: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=600)] = "",
    pause_reason: Annotated[str, Form(max_length=32)] = "",
    labour_minutes: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=5100)] = "",
) -> Response:
    ctx = await context(request, *ROLES)
    typed = {
        "action": action,
        "reason": reason,
        "pause_reason": pause_reason,
        "labour_minutes": labour_minutes,
        "note": note,
    }
    body: dict[str, Any] = {"action": action}
    if reason.strip():
        body["reason"] = reason.strip()
    if action == "pause":
        body["pause_reason"] = pause_reason or None
    if note.strip():
        body["note"] = note.strip()
    if labour_minutes.strip():
        # a number is sent as one; anything else is sent as typed, and repairs says what is wrong with it
        body["labour_minutes"] = (
            int(labour_minutes) if labour_minutes.strip().isdigit() else labour_minutes.strip()
        )
    return await submit(
        ctx,
        clients.ACT,
        path={"work_order_id": work_order_id},
        json=body,
        show=lambda **shown: _job(ctx, work_order_id, **shown),
        typed=typed,
        saved=action,
    )


@router.post("/jobs/{work_order_id}/parts")
async def add_part(
    request: Request,
    work_order_id: str,
    code: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=16)] = "1",
) -> Response:
    ctx = await context(request, *ROLES)
    typed = {"code": code, "quantity": quantity}
    return await submit(
        ctx,
        clients.PART,
        path={"work_order_id": work_order_id},
        json={"code": code, "quantity": quantity},
        show=lambda **shown: _job(ctx, work_order_id, **shown),
        typed=typed,
        saved="part",
        prefix="part_",
    )
