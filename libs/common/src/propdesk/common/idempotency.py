"""Idempotency-Key: a creating request runs at most once per (caller, key); every retry gets the stored answer.

The key is claimed first, inside the request's own transaction (`INSERT … ON CONFLICT DO NOTHING`). A second
request with the same key waits on that row until the first ends: if the first committed, the second finds its
stored answer and replays it (status and body, `Idempotent-Replayed: true`), whatever happened to the first
connection; if the first rolled back, the second runs. A key still held after `WAIT_SECONDS` is answered 409
"in progress" with `Retry-After`. The same key with a different body is 422.

Inbound webhooks use the same table with their sender as the caller and their message or transaction id as
the key (`signatures.idempotent_webhook`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal
from propdesk.common.db import platform_of
from propdesk.common.errors import IdempotencyMismatch, InProgress
from propdesk.common.i18n import Text
from propdesk.common.inputs import bad_text

WAIT_SECONDS = 10
Result = BaseModel | dict | tuple[BaseModel | dict, int]


def _encoded(result: object) -> object:
    """A model as FastAPI's response_model would give it."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True)
    return jsonable_encoder(result)


async def once(
    session: AsyncSession,
    *,
    owner: str,
    key: str,
    route: str,
    fingerprint: bytes,
    run: Callable[[], Awaitable[tuple[object, int]]],
) -> tuple[object, int, bool]:
    """Run `run` at most once for (owner, key) and remember its (json body, status); returns (body, status,
    replayed). `fingerprint` is what must be the same for a repeat (the route and body)."""
    table = platform_of(session).idempotency_key
    digest = hashlib.sha256(fingerprint).hexdigest()
    try:
        await session.execute(text(f"SET LOCAL lock_timeout = '{WAIT_SECONDS}s'"))
        claimed = (
            await session.execute(
                pg_insert(table)
                .values(
                    principal=owner, key=key, route=route, request_hash=digest, status_code=0, response=None
                )
                .on_conflict_do_nothing()
                .returning(table.c.key)
            )
        ).first()
        await session.execute(text("SET LOCAL lock_timeout = 0"))
    except DBAPIError as exc:
        if "lock timeout" in str(exc.orig).lower() or "lock_timeout" in str(exc.orig).lower():
            raise InProgress(
                Text(
                    "相同幂等键的请求仍在处理，请稍后重试", "A request with this key is still being processed"
                ),
                headers={"Retry-After": "2"},
            ) from exc
        raise
    if claimed is None:
        stored = (
            (await session.execute(select(table).where(table.c.principal == owner, table.c.key == key)))
            .mappings()
            .one()
        )
        if stored["request_hash"] != digest:
            raise IdempotencyMismatch(
                Text("该幂等键已用于不同的请求内容", "This key was used with a different request")
            )
        return stored["response"], stored["status_code"], True
    body, status = await run()
    await session.execute(
        update(table)
        .where(table.c.principal == owner, table.c.key == key)
        .values(status_code=status, response=body)
    )
    return body, status, False


async def idempotent(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    create: Callable[[], Awaitable[Result]],
    *,
    status_code: int = 201,
) -> Response:
    """Run a creating operation at most once per `Idempotency-Key` (no key: it simply runs). `create` may return
    (result, status) when the outcome decides the status (e.g. 200 for a report linked to an open one)."""

    async def made() -> tuple[object, int]:
        result = await create()
        return result if isinstance(result, tuple) else (result, status_code)

    key = request.headers.get("idempotency-key")
    if key is None:
        result, status = await made()
        if isinstance(result, BaseModel):  # serialised by pydantic in one pass (the hot path of reports)
            return Response(
                result.model_dump_json(by_alias=True), status_code=status, media_type="application/json"
            )
        return JSONResponse(jsonable_encoder(result), status_code=status)
    if not 1 <= len(key) <= 200 or bad_text(key) is not None:
        raise IdempotencyMismatch(
            Text("幂等键须为 1–200 个可打印字符", "Idempotency-Key must be 1-200 printable characters")
        )

    async def run() -> tuple[object, int]:
        result, status = await made()
        return _encoded(result), status

    route = f"{request.method} {request.url.path}"
    body, status, replayed = await once(
        session,
        owner=principal.sub,
        key=key,
        route=route,
        fingerprint=route.encode() + b"\n" + await request.body(),
        run=run,
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(body, status_code=status, headers=headers)
