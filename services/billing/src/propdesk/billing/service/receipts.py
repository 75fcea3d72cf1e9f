"""Receipts (收据) as PDF: the estate, the payer, the unit, what the payment settled, the channel, the amount in
figures and in Chinese capital numerals (大写), the receipt number. Everything on it comes from rows that never
change (the payment, its allocations at the time it was made), so a re-print is the same receipt; a reversed
payment's receipt says so."""

from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Allocation, Invoice, Payment, Resident, Unit, estate
from propdesk.common.timeutil import to_local

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL = ("", "拾", "佰", "仟")
LARGE = ("", "万", "亿", "万亿")
KINDS = {"periodic": "月度账单", "late_fee": "滞纳金", "repair_charge": "维修费", "fine": "违章罚款"}
CHANNELS = {
    "cash": "现金",
    "bank_transfer": "银行转账",
    "wechat": "微信支付",
    "alipay": "支付宝",
    "card": "银行卡",
}


def _section(n: int) -> str:
    """0 < n < 10000 as 仟佰拾 digits, zeros inside collapsed to one 零 (trailing zeros dropped)."""
    out, zero = "", False
    for position in range(3, -1, -1):
        digit = n // 10**position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[digit] + SMALL[position]
    return out


def capital(fen: int) -> str:
    """An amount in Chinese capital numerals as written on receipts and cheques (人民币大写):
    12345.67 → 壹万贰仟叁佰肆拾伍元陆角柒分; 100 → 壹佰元整; 1005.50 → 壹仟零伍元伍角; 10.05 → 壹拾元零伍分."""
    if fen < 0:
        return "负" + capital(-fen)
    yuan, jiao, cent = fen // 100, fen // 10 % 10, fen % 10
    words = ""
    if yuan:
        sections = []
        while yuan:
            sections.append(yuan % 10000)
            yuan //= 10000
        pending_zero = False
        for index in range(len(sections) - 1, -1, -1):
            section = sections[index]
            if section == 0:
                pending_zero = bool(words)
                continue
            if words and (pending_zero or section < 1000):
                words += "零"
            words += _section(section) + LARGE[index]
            pending_zero = False
        words += "元"
    if not jiao and not cent:
        return (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if cent:
        words += DIGITS[cent] + "分"
    return words


async def data(session: AsyncSession, payment: Payment) -> dict:
    unit = await session.get(Unit, payment.unit_id)
    place = (
        await session.execute(
            select(estate.c.name, estate.c.timezone).where(estate.c.id == payment.estate_id)
        )
    ).one()
    payer = await session.get(Resident, payment.payer_id) if payment.payer_id else None  # who paid, then
    lines = (
        await session.execute(
            select(
                Invoice.number, Invoice.period, Invoice.source_kind, Allocation.amount_fen, Allocation.kind
            )
            .join(Invoice, Invoice.id == Allocation.invoice_id)
            .where(Allocation.payment_id == payment.id, Allocation.amount_fen > 0)
            .order_by(Invoice.issued_at, Invoice.number)
        )
    ).all()
    return {
        "estate": place.name,
        "number": payment.receipt_number,
        "paid_at": to_local(payment.created_at, place.timezone),
        "payer": payer.name if payer else "—",
        "unit": unit.number if unit else "—",
        "channel": CHANNELS.get(payment.channel, payment.channel),
        "reference": payment.reference,
        "lines": [
            (
                f"{KINDS.get(k, k)} {p or ''} {n}".replace("  ", " ")
                + (" （尾差核销）" if kind == "write_off" else ""),
                amount,
            )
            for n, p, k, amount, kind in lines
        ]
        + ([("预收款（抵扣以后账单）", payment.credit_fen)] if payment.credit_fen else []),
        "amount_fen": payment.amount_fen,
        "received_by": payment.received_by,
        "reversed": payment.state == "reversed",
    }


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def render(d: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"  # a CID font every Chinese PDF reader has: nothing to embed
    title = ParagraphStyle("t", fontName=font, fontSize=18, leading=24, alignment=1)
    number = ParagraphStyle(
        "n", fontName=font, fontSize=11, leading=14, alignment=2, textColor=colors.HexColor("#b00020")
    )
    small = ParagraphStyle("s", fontName=font, fontSize=9, leading=12)
    body = ParagraphStyle("b", fontName=font, fontSize=10.5, leading=14)
    total = ParagraphStyle("T", fontName=font, fontSize=12, leading=16)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A5),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=f"收据 {d['number']}",
        author=d["estate"],
        creator="propdesk",
        invariant=True,  # the same bytes on every print: a re-print is the same receipt
    )
    grid = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 10.5),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    who = Table(
        [
            ["交款人", d["payer"], "房屋", d["unit"]],
            ["收款日期", f"{d['paid_at']:%Y-%m-%d %H:%M}", "收款方式", d["channel"]],
        ],
        colWidths=[22 * mm, 63 * mm, 22 * mm, 63 * mm],
    )
    who.setStyle(
        TableStyle(
            [
                *grid,
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eeeeee")),
                ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#eeeeee")),
            ]
        )
    )
    rows = [["项目", "金额（元）"]] + [[Paragraph(item, body), _yuan(amount)] for item, amount in d["lines"]]
    rows.append(
        [Paragraph(f"合计 人民币（大写）<b>{capital(d['amount_fen'])}</b>", total), _yuan(d["amount_fen"])]
    )
    lines = Table(rows, colWidths=[130 * mm, 40 * mm])
    lines.setStyle(
        TableStyle(
            [
                *grid,
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONTSIZE", (1, -1), (1, -1), 13),
            ]
        )
    )
    signed = Table(
        [[f"收款人：{d['received_by']}", f"交易参考号：{d['reference'] or '—'}", "收款单位（盖章）："]],
        colWidths=[50 * mm, 65 * mm, 55 * mm],
    )
    signed.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 10)]))
    story = [
        Paragraph(f"{d['estate']} 收款收据", title),
        Paragraph(
            ("【已冲销 REVERSED】 " if d["reversed"] else "") + f"No. {d['number']}",
            number,
        ),
        Spacer(1, 2 * mm),
        who,
        Spacer(1, 3 * mm),
        lines,
        Spacer(1, 5 * mm),
        signed,
        Spacer(1, 3 * mm),
        Paragraph(
            "本收据可补打，补打内容与原收据一致。Receipt; a re-print is identical to the original.", small
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


async def pdf(session: AsyncSession, payment: Payment) -> bytes:
    return render(await data(session, payment))
