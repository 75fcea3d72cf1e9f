"""The monthly billing run: set-based and idempotent (a unit is billed once per period, whatever the number of
runs), previewed before it is issued. The period's lines are computed once, into a temporary table, and the
invoices, their lines and their journal entries are written from it; the unit's credit then settles what was
billed."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import estate
from propdesk.billing.service import accounts, credit, numbering, payers
from propdesk.billing.service.invoices import DUE_DAYS  # one payment term for every invoice
from propdesk.common import outbox, projections
from propdesk.common.contracts import billing as ev
from propdesk.common.errors import IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow


def _month(period: str) -> tuple[dt.date, dt.date]:
    try:
        year, month = (int(p) for p in period.split("-"))
        first = dt.date(year, month, 1)
    except ValueError as exc:
        raise InvalidInput(Text("账期格式为 YYYY-MM", "A period is YYYY-MM")) from exc
    return first, first.replace(day=calendar.monthrange(year, month)[1])


# The period's lines for every unit, one definition for the invoices, their lines and the preview. A unit pays
# the fee items of its kind, its building's where one of the same code is set for it. Area and fixed fees are
# prorated by the days the unit was occupied in the month: from each move-in to the next move-in or move-out
# (the move-out day not billed), over the days of the month; a unit handed over later is not billed yet, one
# that never went through the desk is billed in full. Metered fees bill the consumption from the last reading
# before the period (or the first in it, an opening reading) to the last one in it.
LINES = """
    WITH fees AS (
      SELECT f.* FROM billing.fee_item f
      WHERE f.estate_id = :estate AND f.effective_from <= :last AND (f.effective_to IS NULL OR f.effective_to >= :first)
    ), units AS (
      SELECT u.* FROM billing.unit u WHERE u.estate_id = :estate
    ), pairs AS (  -- the fee items each unit pays: of its kind, its building's where one replaces the estate's
      SELECT u.id AS unit_id, f.id AS fee_id
      FROM units u JOIN fees f ON f.unit_kind = u.kind AND (f.building_id IS NULL OR f.building_id = u.building_id)
      WHERE f.building_id IS NOT NULL
         OR NOT EXISTS (SELECT 1 FROM fees g WHERE g.code = f.code AND g.unit_kind = u.kind AND g.building_id = u.building_id)
    ), moves AS (
      SELECT DISTINCT r.unit_id, r.read_on, r.source
      FROM billing.meter_reading r JOIN units u ON u.id = r.unit_id WHERE r.source IN ('move_in', 'move_out')
    ), ordered AS (
      SELECT unit_id, read_on, source, lead(read_on) OVER w AS next_on, lag(source) OVER w AS prev_source
      FROM moves WINDOW w AS (PARTITION BY unit_id ORDER BY read_on, source)
    ), spans AS (  -- occupied from a move-in to the next move-in or move-out (a move-out day is not billed)
      SELECT unit_id, read_on AS s, next_on AS e FROM ordered WHERE source = 'move_in'
      UNION ALL
      SELECT unit_id, NULL, read_on FROM ordered WHERE source = 'move_out' AND prev_source IS NULL
    ), span_days AS (
      SELECT unit_id,
             sum(greatest(0, least(coalesce(e, CAST(:last AS date) + 1), CAST(:last AS date) + 1)
                           - greatest(coalesce(s, CAST(:first AS date)), CAST(:first AS date)))) AS days
      FROM spans GROUP BY unit_id
    ), factor AS (
      SELECT u.id AS unit_id,
             CASE WHEN d.unit_id IS NULL THEN 1::numeric
                  ELSE round(d.days::numeric / (CAST(:last AS date) - CAST(:first AS date) + 1), 6) END AS f
      FROM units u LEFT JOIN span_days d ON d.unit_id = u.id
    )
    SELECT u.id AS unit_id, f.id AS fee_item_id, f.category,
           f.name || ' ' || :period || CASE WHEN x.f < 1 AND f.basis <> 'metered' THEN ' (' || round(x.f * 100, 1) || '%)' ELSE '' END AS description,
           CASE f.basis WHEN 'per_m2' THEN u.area_m2 * x.f WHEN 'fixed' THEN x.f ELSE coalesce(m.used, 0) END AS quantity,
           f.rate AS unit_price,
           round(f.rate * CASE f.basis WHEN 'per_m2' THEN u.area_m2 * x.f WHEN 'fixed' THEN x.f ELSE coalesce(m.used, 0) END)::bigint AS amount
    FROM units u JOIN pairs p ON p.unit_id = u.id JOIN fees f ON f.id = p.fee_id JOIN factor x ON x.unit_id = u.id
    LEFT JOIN LATERAL (  -- a metered fee's consumption, looked up for its rows only (never a join the planner
                         -- could turn into a loop over every unit)
      SELECT (SELECT r.reading FROM billing.meter_reading r WHERE r.unit_id = u.id AND r.meter = f.meter
              AND r.read_on <= CAST(:last AS date) ORDER BY r.read_on DESC LIMIT 1)
           - coalesce(
               (SELECT r.reading FROM billing.meter_reading r WHERE r.unit_id = u.id AND r.meter = f.meter
                AND r.read_on < CAST(:first AS date) ORDER BY r.read_on DESC LIMIT 1),
               (SELECT r.reading FROM billing.meter_reading r WHERE r.unit_id = u.id AND r.meter = f.meter
                AND r.read_on >= CAST(:first AS date) ORDER BY r.read_on LIMIT 1)) AS used
      WHERE f.basis = 'metered'
    ) m ON true
"""


def _params(estate_id: uuid.UUID, period: str) -> dict:
    first, last = _month(period)
    return {
        "estate": estate_id,
        "period": period,
        "first": first,
        "last": last,
    }


PREVIEW = text(f"""
    WITH lines AS ({LINES}),
    totals AS (SELECT unit_id, sum(amount) AS total FROM lines GROUP BY unit_id),
    billed AS (SELECT DISTINCT unit_id FROM billing.invoice
               WHERE estate_id = :estate AND period = :period AND source_kind = 'periodic'),
    status AS (
      SELECT u.id, u.number, u.building_id, u.kind, t.total,
             CASE WHEN b.unit_id IS NOT NULL THEN 'already_billed'
                  WHEN t.unit_id IS NULL THEN 'no_fee_item'
                  WHEN t.total <= 0 THEN 'nothing_to_bill' END AS skipped
      FROM billing.unit u LEFT JOIN totals t ON t.unit_id = u.id LEFT JOIN billed b ON b.unit_id = u.id
      WHERE u.estate_id = :estate
    )
    SELECT json_build_object(
      'fee_items', (SELECT coalesce(json_agg(x ORDER BY x.code), '[]') FROM (
          SELECT f.code, f.name, f.category, count(DISTINCT l.unit_id) AS units, sum(l.amount)::bigint AS total_fen
          FROM lines l JOIN billing.fee_item f ON f.id = l.fee_item_id JOIN status s ON s.id = l.unit_id
          WHERE s.skipped IS NULL AND l.amount > 0 GROUP BY f.code, f.name, f.category) x),
      'buildings', (SELECT coalesce(json_agg(x ORDER BY x.building_id), '[]') FROM (
          SELECT building_id, count(*) AS units, sum(total)::bigint AS total_fen
          FROM status WHERE skipped IS NULL GROUP BY building_id) x),
      'skipped', (SELECT coalesce(json_object_agg(skipped, n), '{{}}') FROM (
          SELECT skipped, count(*) AS n FROM status WHERE skipped IS NOT NULL GROUP BY skipped) x),
      'skipped_units', (SELECT coalesce(json_agg(x), '[]') FROM (
          SELECT id AS unit_id, number, kind, skipped AS reason FROM status WHERE skipped IS NOT NULL
          ORDER BY number LIMIT 200) x),
      'invoices', (SELECT count(*) FROM status WHERE skipped IS NULL),
      'total_fen', (SELECT coalesce(sum(total), 0)::bigint FROM status WHERE skipped IS NULL)
    )
""")


async def preview(session: AsyncSession, estate_id: uuid.UUID, period: str) -> dict:
    """What `run` would issue now, computed by the same query and written nowhere (a draft to check first)."""
    await projections.require_known_estate(session, estate, estate_id, "billing")
    result = (await session.execute(PREVIEW, _params(estate_id, period))).scalar_one()
    return {"period": period, **result}


async def run(
    session: AsyncSession, estate_id: uuid.UUID, period: str, *, expected_total_fen: int | None = None
) -> dict:
    """Bill every unit of the estate for the period's fee items in force: invoices, their lines and journal
    entries are each one INSERT … SELECT. Units billed for the period already are left alone. With
    `expected_total_fen` (what a preview showed), a run that would issue anything else issues nothing (409)."""
    await projections.require_known_estate(session, estate, estate_id, "billing")
    now = utcnow()
    first, _ = _month(period)
    params = {
        **_params(estate_id, period),
        "now": now,
        "due": first + dt.timedelta(days=DUE_DAYS - 1),
        "month": period.replace("-", ""),  # the number carries the period billed: January's are INV-202701-…
    }
    # the period's numbers: the counter stays locked until this run commits (a concurrent run of the estate
    # waits), units billed already are skipped before numbering, so the sequence has no gap
    params["last_number"] = await numbering.lock(session, estate_id, "INV", params["month"])
    # Bulk statements over every unit: the period's lines are computed once into a temporary table (with real
    # statistics), and joined by hash, never by a nested loop the planner might pick from a stale estimate of
    # a table this very transaction filled (seen: a 10,000-unit run taking minutes).
    await session.execute(text("SET LOCAL enable_nestloop = off"))
    chart = await accounts.chart(session, estate_id)
    await session.execute(
        text("""
        CREATE TEMP TABLE IF NOT EXISTS run_line (
          unit_id uuid, fee_item_id uuid, description text, quantity numeric, unit_price numeric, amount bigint,
          account text
        ) ON COMMIT DROP
        """)
    )
    await session.execute(text("TRUNCATE run_line"))
    await session.execute(
        text(f"""
        INSERT INTO run_line
        WITH lines AS ({LINES})
        SELECT l.unit_id, l.fee_item_id, l.description, l.quantity, l.unit_price, l.amount,
               CASE l.category WHEN 'parking' THEN :acct_parking WHEN 'utilities' THEN :acct_utilities
                               ELSE :acct_property_fee END
        FROM lines l
        WHERE NOT EXISTS (SELECT 1 FROM billing.invoice i
                          WHERE i.unit_id = l.unit_id AND i.period = :period AND i.source_kind = 'periodic')
        """),
        {**params, **{f"acct_{c}": chart.revenue(c) for c in accounts.CATEGORIES}},
    )
    await session.execute(text("ANALYZE run_line"))
    new = (
        await session.execute(
            text("""
            WITH billable AS (
              SELECT unit_id, sum(amount) AS total FROM run_line GROUP BY unit_id HAVING sum(amount) > 0
            )
            INSERT INTO billing.invoice (id, estate_id, unit_id, number, period, source_kind, state, total_fen, paid_fen,
                                         issued_at, due_on, created_at, updated_at)
            SELECT gen_random_uuid(), :estate, b.unit_id,
                   'INV-' || :month || '-' || lpad((:last_number + row_number() OVER (ORDER BY b.unit_id))::text, 6, '0'),
                   :period, 'periodic', 'issued', b.total, 0, :now, :due, :now, :now
            FROM billable b
            ON CONFLICT (unit_id, period) WHERE period IS NOT NULL AND source_kind = 'periodic' DO NOTHING
            RETURNING id, unit_id, number, total_fen
            """),
            params,
        )
    ).all()
    issuing = sum(row.total_fen for row in new)
    if expected_total_fen is not None and issuing != expected_total_fen:
        raise IllegalTransition(
            Text(
                f"预览之后数据已变化：本次将开具 {issuing} 分，预览为 {expected_total_fen} 分，请重新预览",
                f"things changed since the preview: the run would issue {issuing} fen, the preview showed "
                f"{expected_total_fen} fen; preview again",
            ),
            state="previewed",
            action="run",
            total_fen=issuing,
            expected_total_fen=expected_total_fen,
        )
    await numbering.advance(session, estate_id, "INV", params["month"], len(new))
    if new:
        issued = {
            "ids": [r.id for r in new],
            "units": [r.unit_id for r in new],
            "numbers": [r.number for r in new],
            "totals": [r.total_fen for r in new],
        }
        await session.execute(
            text("""
            INSERT INTO billing.invoice_line (id, invoice_id, description, quantity, unit_price, amount_fen, revenue_account, fee_item_id)
            SELECT gen_random_uuid(), x.id, l.description, round(l.quantity, 2), l.unit_price, l.amount, l.account, l.fee_item_id
            FROM run_line l JOIN unnest(CAST(:ids AS uuid[]), CAST(:units AS uuid[])) AS x(id, unit_id) ON x.unit_id = l.unit_id
            WHERE l.amount > 0
            """),
            {"ids": issued["ids"], "units": issued["units"]},
        )
        # one balanced journal entry per invoice: receivable against the revenue of each account its lines post to
        await session.execute(
            text("""
            WITH x AS MATERIALIZED (
              SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:units AS uuid[]), CAST(:numbers AS text[]),
                                   CAST(:totals AS bigint[])) AS x(id, unit_id, number, total)
            ), e AS (
              INSERT INTO billing.journal_entry (id, estate_id, posted_at, memo, source_kind, source_id)
              SELECT gen_random_uuid(), :estate, :now, x.number || ' ' || :period, 'invoice', x.id FROM x
              RETURNING id, source_id
            ), revenue AS (
              SELECT unit_id, account, sum(amount) AS amount FROM run_line WHERE amount > 0 GROUP BY unit_id, account
            )
            INSERT INTO billing.journal_line (id, entry_id, estate_id, account, unit_id, debit_fen, credit_fen)
            SELECT gen_random_uuid(), e.id, :estate, '1122', x.unit_id, x.total, 0
            FROM e JOIN x ON x.id = e.source_id
            UNION ALL
            SELECT gen_random_uuid(), e.id, :estate, r.account, x.unit_id, 0, r.amount
            FROM e JOIN x ON x.id = e.source_id JOIN revenue r ON r.unit_id = x.unit_id
            """),
            {**issued, "estate": estate_id, "now": now, "period": period},
        )
    await session.execute(text("DROP TABLE run_line"))
    await session.execute(text("SET LOCAL enable_nestloop = on"))
    if new:
        paying = await payers.of_units(session, estate_id=estate_id)
        due = params["due"]
        outbox.record_many(
            session,
            [
                (
                    ev.InvoiceIssued(
                        invoice_id=r.id,
                        estate_id=estate_id,
                        unit_id=r.unit_id,
                        number=r.number,
                        period=period,
                        total_fen=r.total_fen,
                        due_on=due,
                        payer_id=paying.get(r.unit_id),
                    ),
                    r.id,
                )
                for r in new
            ],
            estate_id=estate_id,
        )
        await credit.apply(session, estate_id)  # units paid in advance: their credit settles what was billed
    total = (
        await session.execute(
            text(
                "SELECT count(*), coalesce(sum(total_fen), 0) FROM billing.invoice WHERE estate_id = :estate AND period = :period AND source_kind = 'periodic'"
            ),
            params,
        )
    ).one()
    return {"period": period, "new_invoices": len(new), "invoices": total[0], "total_fen": int(total[1])}
