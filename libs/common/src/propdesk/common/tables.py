"""CSV files as records, with limits: every file a service reads (imports, bank statements) goes through here,
so a huge field, a control character or a broken quote is a 422 naming the row, never a 500."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.inputs import bad_text

MAX_FIELD = 4096  # characters in one cell
MAX_ROWS = 100_000


def _refuse(row: int, why: str) -> InvalidInput:
    return InvalidInput(Text(f"第 {row} 行：{why}", f"row {row}: {why}"))


def read_csv_rows(
    text: str, *, max_rows: int = MAX_ROWS, max_field: int = MAX_FIELD
) -> list[tuple[int, list[str]]]:
    """Every non-blank row as (its number as a spreadsheet shows it, its cells stripped), header included."""
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _refuse(reader.line_num, f"cannot be read as CSV ({exc})") from exc
        row = reader.line_num
        for cell in cells:
            if len(cell) > max_field:
                raise _refuse(row, f"a cell is longer than {max_field} characters")
            if (why := bad_text(cell)) is not None:
                raise _refuse(row, why)
        if not any(c.strip() for c in cells):
            continue
        if len(rows) > max_rows:
            raise _refuse(row, f"a file holds at most {max_rows} rows")
        rows.append((row, [c.strip() for c in cells]))
    return rows


def read_csv(text: str, *, max_rows: int = MAX_ROWS, max_field: int = MAX_FIELD) -> list[dict[str, str]]:
    """Rows keyed by the header row (row 1); cells stripped. Rows are numbered as a spreadsheet shows them."""
    rows = read_csv_rows(text, max_rows=max_rows, max_field=max_field)
    if not rows:
        return []
    header = rows[0][1]
    return [{h: c for h, c in zip(header, cells, strict=False) if h} for _, cells in rows[1:]]


EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as an exported cell (CSV or XLSX): characters a spreadsheet cannot hold dropped, and text that a
    spreadsheet would run as a formula (=, +, -, @ first) kept as text with a leading apostrophe."""
    if not isinstance(value, str):
        return value
    value = EXCEL_ILLEGAL.sub("", value)
    return "'" + value if value.startswith(FORMULA_START) else value


def cells(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]
