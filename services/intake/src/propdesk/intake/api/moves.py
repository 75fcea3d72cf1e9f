from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, DESK
from propdesk.intake.errors import MoveInNotFound
from propdesk.intake.models import MoveIn
from propdesk.intake.schemas import MoveInCreate, MoveInRead, MoveOutCreate
from propdesk.intake.service import moves
from propdesk.intake.service.registry import get_unit

router = APIRouter(tags=["move-in"])


async def _get(session, move_in_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> MoveIn:
    move = await moves.get(session, move_in_id, lock=lock)
    if move is None:
        raise MoveInNotFound(f"move-in {move_in_id} not found")
    principal.require_estate(move.estate_id)
    principal.require_unit(move.unit_id)
    return move


@router.post(
    "/v1/units/{unit_id}/move-ins",
    status_code=201,
    response_model=MoveInRead,
    summary="Hand a unit over (入住交付): checklist, keys, meter readings; starts the occupancy, tells billing "
    "and sends the welcome notice",
)
async def move_in(
    request: Request,
    unit_id: uuid.UUID,
    data: MoveInCreate,
    session: Session,
    principal: Principal = Depends(DESK),
):
    unit = await get_unit(session, unit_id)
    principal.require_estate(unit.estate_id)

    async def create():
        return MoveInRead.model_validate(await moves.move_in(session, unit, data, principal=principal))

    return await idempotent(request, session, principal, create)


@router.get("/v1/units/{unit_id}/move-ins", response_model=list[MoveInRead], summary="A unit's handovers")
async def list_move_ins(unit_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    unit = await get_unit(session, unit_id)
    principal.require_estate(unit.estate_id)
    principal.require_unit(unit.id)
    return [MoveInRead.model_validate(m) for m in await moves.of_unit(session, unit_id)]


@router.get("/v1/move-ins/{move_in_id}", response_model=MoveInRead, summary="One handover")
async def get_move_in(move_in_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return MoveInRead.model_validate(await _get(session, move_in_id, principal))


@router.post(
    "/v1/move-ins/{move_in_id}/move-out",
    response_model=MoveInRead,
    summary="Move out: final meter readings and keys returned; closes the occupancy",
)
async def move_out(
    move_in_id: uuid.UUID, data: MoveOutCreate, session: Session, principal: Principal = Depends(DESK)
):
    move = await _get(session, move_in_id, principal, lock=True)
    return MoveInRead.model_validate(await moves.move_out(session, move, data, principal=principal))
