"""The estate's chart of accounts (会计科目): revenue per fee category, cash per payment channel, named as in
企业会计准则 practice, each estate free to rename accounts, add its own and point a purpose (revenue of
parking, money taken by WeChat Pay, …) at another account. Receivables, customer credit, deposits and
write-offs keep their fixed codes. Entries already posted keep the account they were posted to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import LedgerAccount, estate
from propdesk.common import projections
from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow

FIXED = {"1122", "2203", "2241", "6602"}  # receivable, credit, deposits, write-offs: the code relies on them

# code, 中文, English, kind, purpose
DEFAULTS: list[tuple[str, str, str, str, str | None]] = [
    ("1001", "库存现金", "Cash on hand", "asset", "cash:cash"),
    ("1002", "银行存款", "Bank deposits", "asset", "cash:bank_transfer"),
    ("101201", "其他货币资金—微信支付", "Other monetary funds — WeChat Pay", "asset", "cash:wechat"),
    ("101202", "其他货币资金—支付宝", "Other monetary funds — Alipay", "asset", "cash:alipay"),
    ("101203", "其他货币资金—银行卡收单", "Other monetary funds — card acquiring", "asset", "cash:card"),
    ("1122", "应收账款", "Accounts receivable", "asset", None),
    ("2203", "预收账款", "Advances from customers", "liability", None),
    ("2241", "其他应付款—装修押金", "Other payables — renovation deposits", "liability", None),
    (
        "600101",
        "主营业务收入—物业服务费",
        "Revenue — property management fees",
        "revenue",
        "revenue:property_fee",
    ),
    ("600102", "主营业务收入—停车服务费", "Revenue — parking", "revenue", "revenue:parking"),
    ("600103", "主营业务收入—水电燃气费", "Revenue — water, power and gas", "revenue", "revenue:utilities"),
    ("600104", "主营业务收入—维修服务费", "Revenue — repairs", "revenue", "revenue:repair"),
    ("630101", "营业外收入—滞纳金", "Non-operating income — late fees", "revenue", "revenue:late_fee"),
    ("630102", "营业外收入—罚款", "Non-operating income — fines", "revenue", "revenue:fine"),
    ("6602", "管理费用—坏账核销", "Administrative expenses — write-offs", "expense", None),
]
PURPOSES = {p: code for code, *_, p in DEFAULTS if p}
CHANNELS = ("cash", "bank_transfer", "wechat", "alipay", "card")
CATEGORIES = ("property_fee", "parking", "utilities")  # a fee item's revenue category


@dataclass(frozen=True)
class Chart:
    by_purpose: dict[str, str]

    def cash(self, channel: str) -> str:
        return self.by_purpose[f"cash:{channel}"]

    def revenue(self, category: str) -> str:
        return self.by_purpose[f"revenue:{category}"]


async def chart(session: AsyncSession, estate_id: uuid.UUID) -> Chart:
    """Which account serves each purpose in this estate (the defaults where the estate has set none)."""
    rows = await session.execute(
        select(LedgerAccount.purpose, LedgerAccount.code).where(
            LedgerAccount.estate_id == estate_id, LedgerAccount.purpose.is_not(None)
        )
    )
    return Chart({**PURPOSES, **dict(rows.all())})


def default_rows(estate_id: uuid.UUID) -> list[LedgerAccount]:
    return [
        LedgerAccount(estate_id=estate_id, code=c, name_zh=zh, name_en=en, kind=k, purpose=p)
        for c, zh, en, k, p in DEFAULTS
    ]


async def listing(session: AsyncSession, estate_id: uuid.UUID) -> list[LedgerAccount]:
    await projections.require_known_estate(session, estate, estate_id, "billing")
    rows = await session.execute(
        select(LedgerAccount).where(LedgerAccount.estate_id == estate_id).order_by(LedgerAccount.code)
    )
    return list(rows.scalars().all())


async def save(session: AsyncSession, estate_id: uuid.UUID, code: str, data, actor: str) -> LedgerAccount:
    """Add or rename an account; giving it a purpose takes that purpose from the account that had it."""
    await projections.require_known_estate(session, estate, estate_id, "billing")
    current = (
        await session.execute(
            select(LedgerAccount)
            .where(LedgerAccount.estate_id == estate_id, LedgerAccount.code == code)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if code in FIXED and (current is None or data.kind != current.kind or data.purpose is not None):
        raise InvalidInput(
            Text(f"科目 {code} 为系统固定科目，只能改名", f"Account {code} is fixed: it can only be renamed"),
            account=code,
        )
    if data.purpose is not None:
        wanted = "asset" if data.purpose.startswith("cash:") else "revenue"
        if data.kind != wanted:
            raise InvalidInput(
                Text(
                    f"用途 {data.purpose} 需要{wanted}类科目",
                    f"{data.purpose} needs an account of kind {wanted}",
                ),
                purpose=data.purpose,
            )
        await session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.estate_id == estate_id, LedgerAccount.purpose == data.purpose)
            .values(purpose=None)
        )
    values = {
        "name_zh": data.name_zh,
        "name_en": data.name_en,
        "kind": data.kind,
        "purpose": data.purpose,
        "updated_by": actor,
        "updated_at": utcnow(),
    }
    stmt = pg_insert(LedgerAccount).values(id=uuid.uuid4(), estate_id=estate_id, code=code, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["estate_id", "code"], set_=values).returning(
        LedgerAccount
    )
    return (await session.execute(stmt, execution_options={"populate_existing": True})).scalar_one()
