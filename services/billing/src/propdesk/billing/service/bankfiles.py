"""A bank's statement export as a table (CSV in UTF-8 or GB18030, or XLSX): the header found among title rows,
the columns from a mapping, a preset or their usual Chinese names, one signed amount or debit and credit
columns, the date forms banks use; and the primitives the wallet bills share. A refusal names the row and the
column."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation

from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.money import to_fen
from propdesk.common.tables import MAX_FIELD, MAX_ROWS, read_csv_rows

FIELDS = ("date", "amount", "credit", "debit", "reference", "name", "memo")
# the names banks give their columns, most specific first: what `auto` looks for in the header row
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "记账日期", "入账日期", "交易时间", "日期", "date"),
    "credit": ("贷方发生额", "贷方金额", "收入金额", "收入", "贷方"),
    "debit": ("借方发生额", "借方金额", "支出金额", "支出", "借方"),
    "amount": ("交易金额", "发生额", "金额", "amount"),
    "reference": ("交易流水号", "流水号", "银行流水号", "凭证号", "交易参考号", "业务流水号", "reference"),
    "name": ("对方户名", "对方账户名称", "对方账户名", "对方名称", "收/付方名称", "付款人名称", "name"),
    "memo": ("摘要", "用途", "附言", "备注", "交易附言", "memo"),
}
# presets for common layouts (the column names of each bank's online-banking export)
PRESETS: dict[str, dict[str, str]] = {
    "icbc": {
        "date": "交易日期",
        "debit": "借方发生额",
        "credit": "贷方发生额",
        "reference": "凭证号",
        "name": "对方户名",
        "memo": "摘要",
    },
    "ccb": {
        "date": "交易时间",
        "debit": "借方发生额（支取）",
        "credit": "贷方发生额（收入）",
        "reference": "账户明细编号-交易流水号",
        "name": "对方户名",
        "memo": "摘要",
    },
    "abc": {
        "date": "交易日期",
        "debit": "支出金额",
        "credit": "收入金额",
        "reference": "交易流水号",
        "name": "对方户名",
        "memo": "交易用途",
    },
    "boc": {
        "date": "交易日期",
        "amount": "交易金额",
        "reference": "交易流水号",
        "name": "对方账户名称",
        "memo": "摘要",
    },
    "cmb": {
        "date": "交易日",
        "debit": "借方金额",
        "credit": "贷方金额",
        "reference": "流水号",
        "name": "收/付方名称",
        "memo": "摘要",
    },
}


def refuse(row: int | None, column: str | None, zh: str, en: str) -> InvalidInput:
    where_zh = "".join([f"第 {row} 行" if row else "", f"「{column}」列" if column else ""])
    where_en = ", ".join(
        x for x in (f"row {row}" if row else "", f"column {column!r}" if column else "") if x
    )
    return InvalidInput(
        Text(f"{where_zh}：{zh}" if where_zh else zh, f"{where_en}: {en}" if where_en else en),
        row=row,
        column=column,
    )


def decode(data: bytes) -> str:
    """UTF-8 with or without a BOM, else GB18030 (a superset of GBK and GB2312), as Chinese banks export."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise refuse(
            None, None, "文件编码无法识别（应为 UTF-8 或 GB18030）", "neither UTF-8 nor GB18030"
        ) from exc


DATE_FORMS = (
    (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), None),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日"), None),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})(?!\d)"), None),
)


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern, _ in DATE_FORMS:
        if m := pattern.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(f"not a date: {text!r}")


def parse_amount(value) -> int | None:
    """Yuan as a bank writes them (1,234.56, ¥1234.56, -12.00, (12.00)) to fen; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return to_fen(Decimal(str(value)) * 100)
    text = str(value).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    text = text.replace("元", "").strip()
    if text in ("", "-", "--"):
        return None
    negative = text.startswith("(") and text.endswith(")")
    try:
        amount = Decimal(text.strip("()"))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    return to_fen(-amount * 100 if negative else amount * 100)


def _cell(value) -> str:
    return "" if value is None else str(value).strip()


def xlsx_rows(data: bytes) -> list[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign file: the sender's problem
        raise refuse(None, None, "不是有效的 XLSX 文件", f"not an XLSX workbook ({exc})") from exc
    sheet = book.worksheets[0]
    rows = []
    for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if n > MAX_ROWS + 50:
            raise refuse(n, None, f"文件最多 {MAX_ROWS} 行", f"a file holds at most {MAX_ROWS} rows")
        cells = list(values)
        if any(_cell(c) for c in cells):
            for c in cells:
                if isinstance(c, str) and len(c) > MAX_FIELD:
                    raise refuse(n, None, "单元格过长", f"a cell is longer than {MAX_FIELD} characters")
            rows.append((n, cells))
    book.close()
    return rows


def _find_header(rows: list[tuple[int, list]], mapping: dict[str, str] | None) -> tuple[int, dict[str, int]]:
    """The header row (within the first 30) and each field's column index: by the mapping's names, or by
    the usual names when there is none."""
    for index, (_, cells) in enumerate(rows[:30]):
        names = [_cell(c) for c in cells]
        if mapping:
            wanted = {f: mapping[f] for f in FIELDS if mapping.get(f)}
            if all(v in names for v in wanted.values()):
                return index, {f: names.index(v) for f, v in wanted.items()}
            continue
        found: dict[str, int] = {}
        for field, aliases in ALIASES.items():
            for alias in aliases:
                if alias in names and names.index(alias) not in found.values():
                    found[field] = names.index(alias)
                    break
        if "date" in found and ("amount" in found or "credit" in found):
            return index, found
    if mapping:
        missing = [v for f, v in mapping.items() if f in FIELDS and v]
        raise refuse(
            None, None, f"找不到列：{', '.join(missing)}", f"columns not found: {', '.join(missing)}"
        )
    raise refuse(
        None,
        None,
        "找不到表头（交易日期、金额或贷方发生额等列），请提供列映射",
        "no header row found (交易日期 and 金额 or 贷方发生额 …): give a column mapping",
    )


def parse_table(rows: list[tuple[int, list]], mapping: dict[str, str] | None) -> list[dict]:
    """A bank's table: header found, the lines below it read; a row without a date (a total, a footer) ends
    nothing but is skipped; each cell that does not read is refused with its row and column."""
    if mapping is not None:
        unknown = sorted(set(mapping) - set(FIELDS))
        if unknown:
            raise refuse(
                None, None, f"未知的映射字段：{', '.join(unknown)}", f"unknown mapping fields: {unknown}"
            )
        if not mapping.get("date") or not (mapping.get("amount") or mapping.get("credit")):
            raise refuse(
                None,
                None,
                "列映射须含 date 与 amount（或 credit）",
                "a mapping names date and amount (or credit)",
            )
    start, columns = _find_header(rows, mapping)
    header = [_cell(c) for c in rows[start][1]]
    out = []
    for row, cells in rows[start + 1 :]:
        get = {f: cells[i] for f, i in columns.items() if i < len(cells)}.get
        raw_date = get("date")
        try:
            booked = parse_date(raw_date)
        except ValueError:
            if re.match(r"^\s*\d", _cell(raw_date)):  # a date that does not read: refuse it
                raise refuse(
                    row,
                    header[columns["date"]],
                    f"日期无法识别：{_cell(raw_date)}",
                    f"not a date: {_cell(raw_date)!r}",
                ) from None
            continue  # 合计, 本页小计, a footer: not a transaction
        try:
            if "amount" in columns:
                field = "amount"
                amount = parse_amount(get("amount")) or 0
            else:
                field = "credit"
                credit = parse_amount(get("credit")) or 0
                field = "debit"
                debit = parse_amount(get("debit")) or 0
                amount = credit - debit
        except (ValueError, ArithmeticError):
            raise refuse(
                row,
                header[columns[field]],
                f"金额无法识别：{_cell(get(field))}",
                f"not an amount: {_cell(get(field))!r}",
            ) from None
        reference = _cell(get("reference")) if "reference" in columns else ""
        if not reference:
            reference = f"{booked:%Y%m%d}-{row}-{amount}"  # a bank without a reference column: row identity
        out.append(
            {
                "booked_on": booked,
                "amount_fen": amount,
                "payer_name": _cell(get("name"))[:200],
                "memo": _cell(get("memo"))[:500],
                "bank_reference": reference[:100],
            }
        )
    return out


def parse_csv(data: bytes, mapping: dict[str, str] | None) -> list[dict]:
    return parse_table(read_csv_rows(decode(data)), mapping)


def parse_xlsx(data: bytes, mapping: dict[str, str] | None) -> list[dict]:
    return parse_table(xlsx_rows(data), mapping)
