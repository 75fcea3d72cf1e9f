from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request

from propdesk.common.auth import Principal
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import MANAGERS, id_key
from propdesk.intake.errors import EmptyFile, FileTooLarge, UnsupportedFile
from propdesk.intake.schemas import ImportReport
from propdesk.intake.service import importer

router = APIRouter(tags=["imports"])
MAX_BYTES = 64 * 2**20


@router.post(
    "/v1/estates/{estate_id}/imports/{kind}",
    max_body_size=MAX_BYTES,
    status_code=201,
    response_model=ImportReport,
    summary="Bulk import units or residents from CSV (text/csv) or XLSX; all rows or none unless skip_bad_rows",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
async def import_file(
    request: Request,
    estate_id: uuid.UUID,
    kind: Literal["units", "residents"],
    session: Session,
    principal: Principal = Depends(MANAGERS),
    skip_bad_rows: bool = Query(False, description="write the good rows and report the bad ones"),
):
    principal.require_estate(estate_id)
    content = await request.body()
    if len(content) > MAX_BYTES:
        raise FileTooLarge(f"at most {MAX_BYTES // 2**20} MB per file")
    try:
        records = importer.read_table(content, request.headers.get("content-type", ""))
    except (ValueError, UnicodeDecodeError, KeyError, OSError) as exc:
        raise UnsupportedFile(str(exc)[:300]) from exc
    if not records:
        raise EmptyFile("the file has a header row at most: nothing to import")
    limit = request.app.state.runtime.settings.import_max_rows
    if len(records) > limit:
        raise FileTooLarge(f"at most {limit} rows per file")

    async def run() -> ImportReport:
        if kind == "units":
            return await importer.import_units(
                session, estate_id, records, skip_bad_rows=skip_bad_rows, principal=principal
            )
        return await importer.import_residents(
            session,
            estate_id,
            records,
            skip_bad_rows=skip_bad_rows,
            principal=principal,
            id_key=id_key(request),
        )

    return await idempotent(request, session, principal, run)
