"""Index-friendly search predicates."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_


def successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (code-point order)."""
    chars = list(prefix)
    while chars:
        if ord(chars[-1]) < 0x10FFFF:
            chars[-1] = chr(ord(chars[-1]) + 1)
            return "".join(chars)
        chars.pop()
    return None


def prefix_match(column: ColumnElement, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, written as a range so a btree index serves it under any plan
    (LIKE 'x%' with a bound parameter cannot use an index in PostgreSQL's generic plans).
    The column must use the "C" collation, where string order is code-point order."""
    upper = successor(prefix)
    return and_(column >= prefix) if upper is None else and_(column >= prefix, column < upper)
