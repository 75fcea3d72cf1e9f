from __future__ import annotations

import uuid

from fastapi import APIRouter, Body, Depends

from propdesk.common.auth import Principal
from propdesk.common.projections import require_known_estate
from propdesk.common.web import Session
from propdesk.incidents.api.deps import COMMAND, MANAGERS, STAFF
from propdesk.incidents.errors import PlaybookNotFound, PlaybookRejected
from propdesk.incidents.models import estate
from propdesk.incidents.playbook import PlaybookInvalid
from propdesk.incidents.schemas import PlaybookRead, ResponseTargetRead
from propdesk.incidents.service import estates as estates_service
from propdesk.incidents.service import playbooks

router = APIRouter(tags=["playbooks"])


@router.get(
    "/v1/playbooks", response_model=list[PlaybookRead], summary="The standard playbooks shipped with propdesk"
)
async def standard(principal: Principal = Depends(STAFF)):
    return [
        PlaybookRead(key=k, version=b.version, source="seeded", document=b.model_dump(mode="json"))
        for k, (b, _) in playbooks.SEEDED.items()
    ]


@router.get(
    "/v1/estates/{estate_id}/playbooks",
    response_model=list[PlaybookRead],
    summary="The playbooks in force for an estate",
)
async def in_force(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    await require_known_estate(session, estate, estate_id, "incidents")
    return [
        PlaybookRead(key=b.key, version=b.version, source=src, document=b.model_dump(mode="json"))
        for b, src in await playbooks.all_effective(session, estate_id)
    ]


@router.get(
    "/v1/estates/{estate_id}/playbooks/{key}", response_model=PlaybookRead, summary="One playbook in force"
)
async def one(estate_id: uuid.UUID, key: str, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    found = await playbooks.effective(session, estate_id, key)
    if found is None:
        raise PlaybookNotFound(f"no playbook {key!r}")
    book, src = found
    return PlaybookRead(key=book.key, version=book.version, source=src, document=book.model_dump(mode="json"))


@router.put(
    "/v1/estates/{estate_id}/playbooks/{key}",
    response_model=PlaybookRead,
    summary="The estate's own version of a playbook (YAML); refused with every problem listed when it does not "
    "load (cycles, unknown roles, missing deadlines). Running incidents keep the version they started with",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def put(
    estate_id: uuid.UUID,
    key: str,
    session: Session,
    principal: Principal = Depends(MANAGERS),
    body: bytes = Body(..., media_type="application/yaml"),
):
    principal.require_estate(estate_id)
    await require_known_estate(session, estate, estate_id, "incidents")
    try:
        text = body.decode("utf-8")
        book = await playbooks.save(session, estate_id, key, text, principal.name or principal.sub)
    except UnicodeDecodeError as exc:
        raise PlaybookRejected("the body is not UTF-8 text", problems=["not UTF-8"]) from exc
    except PlaybookInvalid as exc:
        raise PlaybookRejected("; ".join(exc.problems), problems=exc.problems) from exc
    return PlaybookRead(
        key=book.key, version=book.version, source="estate", document=book.model_dump(mode="json")
    )


@router.get(
    "/v1/estates/{estate_id}/response-targets",
    response_model=list[ResponseTargetRead],
    summary="Legal and practical time limits the playbooks are held to (DOMAIN.md), per estate",
)
async def response_targets(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(COMMAND)):
    principal.require_estate(estate_id)
    return await estates_service.list_defaults(session, estate_id)
