"""chart of accounts per estate: revenue per fee category and cash per payment channel (a purpose per
account), fee items carry their revenue category; existing estates get the new accounts, and their old
single revenue and bank accounts keep what was posted to them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# code, 中文, English, kind, purpose (as in propdesk.billing.service.accounts.DEFAULTS on this date)
ACCOUNTS = [
    ("1001", "库存现金", "Cash on hand", "asset", "cash:cash"),
    ("1002", "银行存款", "Bank deposits", "asset", "cash:bank_transfer"),
    ("101201", "其他货币资金—微信支付", "Other monetary funds — WeChat Pay", "asset", "cash:wechat"),
    ("101202", "其他货币资金—支付宝", "Other monetary funds — Alipay", "asset", "cash:alipay"),
    ("101203", "其他货币资金—银行卡收单", "Other monetary funds — card acquiring", "asset", "cash:card"),
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
]


def upgrade() -> None:
    op.add_column(
        "ledger_account", sa.Column("purpose", sa.String(length=32), nullable=True), schema="billing"
    )
    op.add_column(
        "ledger_account", sa.Column("updated_by", sa.String(length=100), nullable=True), schema="billing"
    )
    op.execute("""
        CREATE UNIQUE INDEX uq_ledger_account_purpose ON billing.ledger_account (estate_id, purpose)
        WHERE purpose IS NOT NULL
    """)
    op.add_column(
        "fee_item",
        sa.Column("category", sa.String(length=16), server_default="property_fee", nullable=False),
        schema="billing",
    )
    op.execute("UPDATE billing.fee_item SET category = 'utilities' WHERE basis = 'metered'")
    op.execute(
        "UPDATE billing.fee_item SET category = 'parking' WHERE unit_kind = 'parking' AND basis <> 'metered'"
    )
    op.execute("""
        UPDATE billing.ledger_account SET name_zh = '其他应付款—装修押金', name_en = 'Other payables — renovation deposits'
        WHERE code = '2241' AND name_zh = '装修押金'
    """)
    for code, zh, en, kind, purpose in ACCOUNTS:
        op.execute(
            sa.text("""
            INSERT INTO billing.ledger_account (id, estate_id, code, name_zh, name_en, kind, purpose, created_at, updated_at)
            SELECT gen_random_uuid(), e.id, :code, :zh, :en, :kind, :purpose, now(), now() FROM billing.estate e
            ON CONFLICT (estate_id, code) DO UPDATE SET purpose = EXCLUDED.purpose
            """).bindparams(code=code, zh=zh, en=en, kind=kind, purpose=purpose)
        )


def downgrade() -> None:
    op.drop_column("fee_item", "category", schema="billing")
    op.drop_index("uq_ledger_account_purpose", table_name="ledger_account", schema="billing")
    op.drop_column("ledger_account", "updated_by", schema="billing")
    op.drop_column("ledger_account", "purpose", schema="billing")
