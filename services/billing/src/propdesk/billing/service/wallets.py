"""WeChat Pay's and Alipay's merchant bills, as their platforms export them."""

from __future__ import annotations

import re

from propdesk.billing.service.bankfiles import decode, parse_amount, parse_date, refuse
from propdesk.common.tables import read_csv_rows


def _wallet_table(
    data: bytes, header_starts: str, *, what: str
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    rows = read_csv_rows(decode(data).replace("\t", ""))
    for index, (_, cells) in enumerate(rows):
        if cells and cells[0].lstrip("`#").startswith(header_starts):
            return [c.lstrip("`") for c in cells], rows[index + 1 :]
    raise refuse(None, None, f"不是{what}账单（找不到表头）", f"not a {what} bill: no header row")


def parse_wechat(data: bytes) -> list[dict]:
    """WeChat Pay's merchant trade bill: header 交易时间,…,微信订单号,商户订单号,…,交易状态,…,应结订单金额,…,
    商品名称,商户数据包,…; values prefixed with a backquote; totals after a 总交易单数 line. Successful payments
    are credits, refunds debits."""
    header, rows = _wallet_table(data, "交易时间", what="微信支付")
    need = ("交易时间", "微信订单号", "交易状态", "应结订单金额")
    missing = [c for c in need if c not in header]
    if missing:
        raise refuse(
            None, None, f"微信账单缺少列：{', '.join(missing)}", f"a WeChat Pay bill lacks {missing}"
        )
    col = {name: i for i, name in enumerate(header)}
    out = []
    for row, raw in rows:
        cells = [c.lstrip("`") for c in raw]
        if cells[0].startswith("总交易单数") or not re.match(r"^\d{4}", cells[0]):
            break  # the totals that end the bill

        record = {name: cells[i] for name, i in col.items() if i < len(cells)}

        def get(name: str, record=record) -> str:
            return record.get(name, "")

        try:
            booked = parse_date(get("交易时间"))
        except ValueError:
            raise refuse(
                row, "交易时间", f"日期无法识别：{get('交易时间')}", f"not a date: {get('交易时间')!r}"
            ) from None
        state = get("交易状态").upper()
        column = "退款金额" if state == "REFUND" else "应结订单金额"
        try:
            amount = parse_amount(get(column)) or 0
        except ValueError:
            raise refuse(
                row, column, f"金额无法识别：{get(column)}", f"not an amount: {get(column)!r}"
            ) from None
        if state == "REFUND":
            amount = -abs(amount)
        elif state != "SUCCESS":
            continue
        reference = get("微信退款单号") if state == "REFUND" else get("微信订单号")
        out.append(
            {
                "booked_on": booked,
                "amount_fen": amount,
                "payer_name": "",
                "memo": " ".join(x for x in (get("商品名称"), get("商户数据包"), get("商户订单号")) if x)[
                    :500
                ],
                "bank_reference": f"wx:{reference}"[:100],
            }
        )
    return out


def parse_alipay(data: bytes) -> list[dict]:
    """Alipay's merchant bill (业务明细): # lines around it, header 支付宝交易号,商户订单号,业务类型,商品名称,
    创建时间,完成时间,…,对方账户,订单金额（元）,商家实收（元）,…,备注. 交易 rows are credits, 退款 rows debits."""
    header, rows = _wallet_table(data, "支付宝交易号", what="支付宝")
    header = [h.strip() for h in header]
    need = ("支付宝交易号", "业务类型", "完成时间", "商家实收（元）")
    missing = [c for c in need if c not in header]
    if missing:
        raise refuse(None, None, f"支付宝账单缺少列：{', '.join(missing)}", f"an Alipay bill lacks {missing}")
    col = {name: i for i, name in enumerate(header)}
    out = []
    for row, cells in rows:
        if cells[0].startswith("#"):
            break  # #-----业务明细列表结束-----

        record = {name: cells[i].strip() for name, i in col.items() if i < len(cells)}

        def get(name: str, record=record) -> str:
            return record.get(name, "")

        kind = get("业务类型")
        if kind not in ("交易", "退款"):
            continue
        try:
            booked = parse_date(get("完成时间") or get("创建时间"))
        except ValueError:
            raise refuse(
                row, "完成时间", f"日期无法识别：{get('完成时间')}", f"not a date: {get('完成时间')!r}"
            ) from None
        try:
            amount = parse_amount(get("商家实收（元）")) or 0
        except ValueError:
            raise refuse(
                row,
                "商家实收（元）",
                f"金额无法识别：{get('商家实收（元）')}",
                f"not an amount: {get('商家实收（元）')!r}",
            ) from None
        if kind == "退款":
            amount = -abs(amount)
        reference = get("支付宝交易号") + (f"/{get('退款批次号/请求号')}" if kind == "退款" else "")
        out.append(
            {
                "booked_on": booked,
                "amount_fen": amount,
                "payer_name": get("对方账户")[:200],
                "memo": " ".join(x for x in (get("商品名称"), get("备注"), get("商户订单号")) if x)[:500],
                "bank_reference": f"ali:{reference}"[:100],
            }
        )
    return out
