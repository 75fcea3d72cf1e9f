"""Cursor pagination over a (sort key, id) pair: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = 50
    cursor: str | None = None


def page_params(
    limit: int = Query(50, ge=1, le=500, description="page size"),
    cursor: str | None = Query(None, description="opaque cursor from the previous page's next_cursor"),
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list):
            raise ValueError
        return values
    except ValueError as exc:
        raise InvalidInput(Text("分页游标无效", "Invalid pagination cursor")) from exc


def _coerce(value: Any, column) -> Any:
    """Turn a cursor value back into the column's Python type (asyncpg binds typed values only)."""
    try:
        python_type = column.type.python_type
        if python_type is dt.datetime:
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive timestamp")
            return parsed
        if python_type is dt.date:
            return dt.date.fromisoformat(value)
        return python_type(value)
    except (ValueError, TypeError, NotImplementedError, AttributeError) as exc:
        raise InvalidInput(Text("分页游标无效", "Invalid pagination cursor")) from exc


def paginate(stmt: Select, params: PageParams, *, key, tiebreak, descending: bool = True) -> Select:
    """Order by (key, tiebreak) and continue after the cursor. Fetches limit + 1 rows."""
    if params.cursor:
        values = decode_cursor(params.cursor)
        if len(values) != 2:
            raise InvalidInput(Text("分页游标无效", "Invalid pagination cursor"))
        k, t = _coerce(values[0], key), _coerce(values[1], tiebreak)
        if descending:
            stmt = stmt.where(or_(key < k, and_(key == k, tiebreak < t)))
        else:
            stmt = stmt.where(or_(key > k, and_(key == k, tiebreak > t)))
    order = (key.desc(), tiebreak.desc()) if descending else (key.asc(), tiebreak.asc())
    return stmt.order_by(*order).limit(params.limit + 1)


def page_of(rows: list[Any], params: PageParams, *, cursor_of) -> tuple[list[Any], str | None]:
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, encode_cursor(cursor_of(rows[-1]))
    return rows, None


async def fetch_page(
    session: AsyncSession, stmt: Select, params: PageParams, *, key, tiebreak, descending: bool = True
) -> tuple[list[Any], str | None]:
    """One page of `stmt`'s rows ordered by (key, tiebreak), and the cursor of the next page (None: the last)."""
    query = paginate(stmt, params, key=key, tiebreak=tiebreak, descending=descending)
    rows = list((await session.execute(query)).scalars())
    return page_of(
        rows, params, cursor_of=lambda row: [_plain(getattr(row, key.key)), str(getattr(row, tiebreak.key))]
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
