"""Bank statements as files: CSV with a column mapping, MT940 (mt-940), CAMT.053 (pycamt). Each becomes
lines of {booked_on, amount_fen, payer_name, memo, bank_reference}; a file that does not parse is the
sender's problem (422), never a 500."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.money import to_fen
from propdesk.common.tables import read_csv


def parse_csv(data: bytes, mapping: dict[str, str]) -> list[dict]:
    rows = read_csv(data.decode("utf-8-sig"))
    missing = [k for k in ("date", "amount", "reference") if mapping.get(k) not in (rows[0] if rows else {})]
    if missing:
        raise InvalidInput(
            Text(f"列映射缺少：{', '.join(missing)}", f"the column mapping misses: {', '.join(missing)}")
        )
    out = []
    for n, row in enumerate(rows, start=2):
        try:
            amount = to_fen(Decimal(row[mapping["amount"]].replace(",", "")) * 100)
            booked = dt.date.fromisoformat(row[mapping["date"]].strip().replace("/", "-"))
        except (ArithmeticError, ValueError) as exc:
            raise InvalidInput(Text(f"第 {n} 行无法解析", f"line {n} does not parse: {exc}")) from exc
        out.append(
            {
                "booked_on": booked,
                "amount_fen": amount,
                "payer_name": row.get(mapping.get("name", ""), "") or "",
                "memo": row.get(mapping.get("memo", ""), "") or "",
                "bank_reference": row[mapping["reference"]].strip(),
            }
        )
    return out


def parse_mt940(data: bytes) -> list[dict]:
    import mt940

    text_ = data.decode("utf-8", errors="replace")
    if ":20:" not in text_ or ":25:" not in text_:
        raise InvalidInput(Text("不是 MT940 对账单", "not an MT940 statement (no :20: and :25: fields)"))
    out = []
    for tx in mt940.parse(io.StringIO(text_)):
        d = tx.data
        details = d.get("transaction_details") or ""
        out.append(
            {
                "booked_on": d["date"],
                "amount_fen": to_fen(Decimal(str(d["amount"].amount)) * 100),
                "payer_name": d.get("applicant_name") or "",
                "memo": (details or d.get("extra_details") or "").replace("\n", " "),
                "bank_reference": d.get("bank_reference")
                or d.get("customer_reference")
                or f"{d['date']}-{details[:20]}",
            }
        )
    return out


def parse_camt053(data: bytes) -> list[dict]:
    from pycamt.parser import Camt053Parser

    out = []
    for tx in Camt053Parser(data).get_transactions():
        amount = to_fen(Decimal(str(tx.get("Amount"))) * 100)
        if tx.get("CreditDebitIndicator") == "DBIT":
            amount = -amount
        out.append(
            {
                "booked_on": dt.date.fromisoformat(str(tx.get("BookingDate"))[:10]),
                "amount_fen": amount,
                "payer_name": tx.get("DebtorName") or "",
                "memo": tx.get("RemittanceInformation") or "",
                "bank_reference": tx.get("TransactionID") or tx.get("EndToEndId") or "",
            }
        )
    return out


def parse(fmt: str, data: bytes, mapping: dict[str, str] | None) -> list[dict]:
    return {
        "csv": lambda: parse_csv(data, mapping or {}),
        "mt940": lambda: parse_mt940(data),
        "camt053": lambda: parse_camt053(data),
    }[fmt]()


def read_file(fmt: str, data: bytes, mapping: str | None) -> list[dict]:
    """A statement file as it arrives over HTTP (a CSV's column mapping as JSON)."""
    columns = None
    if fmt == "csv":
        try:
            columns = json.loads(mapping or "")
            assert isinstance(columns, dict)
        except (ValueError, AssertionError) as exc:
            raise InvalidInput(
                Text(
                    "CSV 须提供列映射 mapping（JSON）", "A CSV import needs the mapping of its columns (JSON)"
                )
            ) from exc
    try:
        return parse(fmt, data, columns)
    except InvalidInput:
        raise
    except Exception as exc:  # a file the parser cannot read is the sender's problem, not a 500
        raise InvalidInput(
            Text("无法解析银行流水文件", f"the statement does not parse as {fmt}: {exc}")
        ) from exc
