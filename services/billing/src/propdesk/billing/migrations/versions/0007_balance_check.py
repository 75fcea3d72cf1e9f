"""the balance check reads only the statement's own lines

Every INSERT into journal_line is checked when it happens, so an entry balances after a statement exactly
when the lines that statement added to it balance among themselves (an entry is empty before its first
statement). Checking the transition table alone is as strict and does not read the entries' earlier lines
back through the index: it matters for a 100,000-line import.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 20:50:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CHECK = """
    CREATE OR REPLACE FUNCTION billing.journal_balanced() RETURNS trigger AS $$
    DECLARE bad record;
    BEGIN
      SELECT {source} INTO bad
      {body}
      GROUP BY entry_id HAVING sum(debit_fen) <> sum(credit_fen) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance: debits % fen, credits % fen', bad.entry_id, bad.d, bad.c
          USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.execute(
        CHECK.format(source="entry_id, sum(debit_fen) AS d, sum(credit_fen) AS c", body="FROM new_lines")
    )


def downgrade() -> None:
    op.execute(
        CHECK.format(
            source="l.entry_id, sum(l.debit_fen) AS d, sum(l.credit_fen) AS c",
            body="FROM billing.journal_line l WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM new_lines)",
        ).replace(
            "GROUP BY entry_id HAVING sum(debit_fen) <> sum(credit_fen)",
            "GROUP BY l.entry_id HAVING sum(l.debit_fen) <> sum(l.credit_fen)",
        )
    )
