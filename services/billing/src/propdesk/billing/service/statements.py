"""Bank and wallet statements as files, as Chinese banks and payment platforms export them, each becoming lines
of {booked_on, amount_fen, payer_name, memo, bank_reference}:

- a bank's CSV or XLSX export: UTF-8 (with or without BOM) or GB18030/GBK, title rows above the header and
  totals below it skipped, one signed amount column or separate debit (借方) and credit (贷方) columns, dates
  as 2026-12-03, 2026/12/03, 20261203 or 2026年12月3日 (a time after them ignored). The columns come from a
  mapping given with the file, one saved for the estate, a preset for a common layout, or are recognised by
  their usual Chinese names;
- WeChat Pay's merchant trade bill (微信支付 交易账单, values prefixed with a backquote) and Alipay's merchant
  bill (支付宝 业务明细, GB18030, # comment lines around it);
- MT940 (mt-940) and CAMT.053 (pycamt).

A file that does not parse is the sender's problem: 422 naming the row and the column, never a 500."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

from propdesk.billing.service.bankfiles import PRESETS, parse_csv, parse_xlsx, refuse
from propdesk.billing.service.wallets import parse_alipay, parse_wechat
from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.money import to_fen

__all__ = ["PRESETS", "mapping_of", "parse", "read_file"]


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


FORMATS = ("csv", "xlsx", "wechat", "alipay", "mt940", "camt053")
CHANNEL = {"wechat": "wechat", "alipay": "alipay"}  # the rest is money in the bank


def parse(fmt: str, data: bytes, mapping: dict[str, str] | None) -> list[dict]:
    return {
        "csv": lambda: parse_csv(data, mapping),
        "xlsx": lambda: parse_xlsx(data, mapping),
        "wechat": lambda: parse_wechat(data),
        "alipay": lambda: parse_alipay(data),
        "mt940": lambda: parse_mt940(data),
        "camt053": lambda: parse_camt053(data),
    }[fmt]()


def mapping_of(mapping: str | None, saved: dict | None) -> dict[str, str] | None:
    """The columns of a CSV or XLSX: JSON given with the file, a preset's name, or the estate's saved mapping
    of that name; None recognises the usual column names."""
    if mapping is None or mapping.strip() in ("", "auto"):
        return None
    if mapping in PRESETS:
        return PRESETS[mapping]
    if saved is not None:
        return saved
    try:
        columns = json.loads(mapping)
    except ValueError as exc:
        raise refuse(
            None,
            None,
            "列映射 mapping 须为 JSON、预设名或已保存的映射名",
            "mapping is JSON, a preset's name or a saved mapping's name",
        ) from exc
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise refuse(None, None, "列映射须为 JSON 对象", "mapping is a JSON object of column names")
    return columns


def read_file(fmt: str, data: bytes, mapping: dict[str, str] | None) -> list[dict]:
    """A statement file as it arrives over HTTP."""
    try:
        return parse(fmt, data, mapping)
    except InvalidInput:
        raise
    except Exception as exc:  # a file the parser cannot read is the sender's problem, not a 500
        raise InvalidInput(
            Text("无法解析银行流水文件", f"the statement does not parse as {fmt}: {exc}")
        ) from exc
