from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Response

from propdesk.common.auth import Principal
from propdesk.common.inputs import Day
from propdesk.common.timeutil import to_local
from propdesk.common.web import Session
from propdesk.intake.api.deps import DESK
from propdesk.intake.service import kpis
from propdesk.intake.service.estates import get_estate

router = APIRouter(tags=["desk KPIs"])


def _day(on: dt.date | None, tz: str) -> dt.date:
    return on or to_local(dt.datetime.now(dt.UTC), tz).date()


@router.get(
    "/v1/estates/{estate_id}/kpis",
    summary="Desk KPIs for the day, week or month containing `on` (default today, the estate's time zone)",
)
async def get_kpis(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(DESK),
    period: kpis.Period = "month",
    on: Day | None = None,
) -> dict:
    principal.require_estate(estate_id)
    estate = await get_estate(session, estate_id)
    return await kpis.report(session, estate, period, _day(on, estate.timezone))


@router.get(
    "/v1/estates/{estate_id}/kpis/export",
    summary="The KPI report as CSV or XLSX (Summary, Cases, FollowUps and ByCategory sheets) for 月度考核",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
async def export_kpis(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(DESK),
    period: kpis.Period = "month",
    on: Day | None = None,
    format: Literal["csv", "xlsx"] = "xlsx",
):
    principal.require_estate(estate_id)
    estate = await get_estate(session, estate_id)
    day = _day(on, estate.timezone)
    body, media = await kpis.export(session, estate, period, day, format)
    name = f"kpis-{estate.code}-{kpis.Window.of(period, day, estate.timezone).label()}.{format}".replace(
        "..", "_"
    )
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
