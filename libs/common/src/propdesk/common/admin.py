"""The endpoints the CLI and operators use (status, re-publish, dead letters): the platform's admins only (an
admin of all estates), never an admin scoped to some estates, because they see and act on every estate."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from propdesk.common.audit import own_side
from propdesk.common.auth import Principal, require_platform_admin
from propdesk.common.consumer import dead_letter_row, replay_dead_letter
from propdesk.common.db import platform_of
from propdesk.common.errors import NotFound
from propdesk.common.i18n import Text
from propdesk.common.inputs import Moment
from propdesk.common.runtime import Runtime
from propdesk.common.uow import unit_of_work


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def admin_router() -> APIRouter:
    router = APIRouter(tags=["platform"])

    @router.get("/admin/status", summary="Outbox backlog, consumer lag, dead letters, timers")
    async def status(request: Request, _: Principal = Depends(require_platform_admin)) -> dict[str, Any]:
        rt = _runtime(request)
        return {
            "service": rt.definition.name,
            "ready": all((await rt.readiness()).values()),
            **await rt.status(),
        }

    @router.post("/admin/republish", summary="Record snapshot events of everything this service owns")
    async def republish(request: Request, _: Principal = Depends(require_platform_admin)) -> dict[str, Any]:
        rt = _runtime(request)
        if rt.definition.republish is None:
            raise NotFound(Text("此服务没有可重新发布的数据", "This service has nothing to re-publish"))
        async with unit_of_work(rt.sessionmaker) as session:
            return {"service": rt.definition.name, "events": await rt.definition.republish(session)}

    @router.get("/admin/dead-letters", summary="Dead-lettered events and timers, newest first")
    async def dead_letters(
        request: Request, _: Principal = Depends(require_platform_admin), include_replayed: bool = False
    ) -> list[dict[str, Any]]:
        rt = _runtime(request)
        async with rt.sessionmaker() as session:
            dl = platform_of(session).dead_letter
            stmt = select(dl).order_by(dl.c.created_at.desc()).limit(500)
            if not include_replayed:
                stmt = stmt.where(dl.c.replayed_at.is_(None))
            return [dead_letter_row(r) for r in (await session.execute(stmt)).mappings().all()]

    @router.get(
        "/admin/audit", summary="This service's side of the message audit: outbox, inbox, dead letters"
    )
    async def audit(
        request: Request, since: Moment, _: Principal = Depends(require_platform_admin)
    ) -> dict[str, Any]:
        async with _runtime(request).sessionmaker() as session:
            return await own_side(session, since)

    @router.post("/admin/dead-letters/{dead_letter_id}/replay", summary="Apply a dead-lettered event again")
    async def replay(
        request: Request, dead_letter_id: uuid.UUID, _: Principal = Depends(require_platform_admin)
    ) -> dict[str, Any]:
        rt = _runtime(request)
        return await replay_dead_letter(
            dead_letter_id=dead_letter_id,
            consumers=rt.consumers,
            sessionmaker=rt.sessionmaker,
            tables=rt.tables,
        )

    return router
