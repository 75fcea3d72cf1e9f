"""make bench-billing: a 100,000-unit billing run, bank reconciliation, and the arrears view, beside the raw
PostgreSQL COPY rate measured in the same run.

billing runs as its own process (uvicorn) on embedded PostgreSQL (fsync on) and NATS. Setup (not measured):
units and fee items written straight into billing's projection with COPY. Then:

  run          POST one billing run for 100,000 units with three fee items each: invoices, 300,000 lines,
               journal entries and 100,000 events, set-based
  raw COPY     the same number of invoice-shaped rows COPYed into a bare table
  reconcile    import a CSV statement of N credit lines (each naming a unit) and match them
  aging        the arrears view of a 10,000-unit estate (four months billed, a third paid): p50 / p99 of 200 GETs

Targets (2 cores): run ≤ 60 s; 100,000 statement lines ≤ 30 s; aging p99 ≤ 100 ms.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from _shared import embedded_stack, pct, table, wait_ready

from propdesk.common.auth import issue_token
from propdesk.common.settings import DEV_JWT_SECRET

UNITS, AGING_UNITS, RECON_LINES = 100_000, 10_000, int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


async def estate(db: asyncpg.Connection, code: str, units: int) -> tuple[uuid.UUID, list[tuple]]:
    estate_id, building = uuid.uuid4(), uuid.uuid4()
    await db.execute(
        "INSERT INTO billing.estate (id, code, name, timezone, registered_at) VALUES ($1, $2, $2, 'Asia/Shanghai', now())",
        estate_id,
        code,
    )
    rows = [
        (uuid.uuid4(), estate_id, building, f"{code}-{n:06d}", 60 + n % 120, "residential")
        for n in range(units)
    ]
    await db.copy_records_to_table(
        "unit",
        schema_name="billing",
        records=rows,
        columns=["id", "estate_id", "building_id", "number", "area_m2", "kind"],
    )
    for code_, name, basis, rate in (
        ("PMF", "物业服务费", "per_m2", 250),
        ("LIFT", "电梯费", "per_m2", 30),
        ("GARB", "垃圾清运费", "fixed", 1500),
    ):
        await db.execute(
            "INSERT INTO billing.fee_item (id, estate_id, code, name, basis, unit_kind, rate, effective_from, created_at, updated_at) "
            "VALUES (gen_random_uuid(), $1, $2, $3, $4, 'residential', $5, '2026-01-01', now(), now())",
            estate_id,
            code_,
            name,
            basis,
            rate,
        )
    await db.execute("ANALYZE")
    return estate_id, rows


async def prepay(db: asyncpg.Connection, estate_id: uuid.UUID) -> int:
    """Credit paid in advance on a fifth of the units, as the ledger holds it (bank against customer credit):
    a year ahead on units ending in 0, ¥50 (less than a month) on those ending in 5. The run applies it."""
    await db.execute(
        """
        WITH e AS (
          INSERT INTO billing.journal_entry (id, estate_id, posted_at, memo, source_kind, source_id)
          SELECT gen_random_uuid(), $1, now(), 'prepaid', 'payment', u.id
          FROM billing.unit u WHERE u.estate_id = $1 AND right(u.number, 1) IN ('0', '5')
          RETURNING id, source_id
        )
        INSERT INTO billing.journal_line (id, entry_id, estate_id, account, unit_id, debit_fen, credit_fen)
        SELECT gen_random_uuid(), e.id, $1, x.account, x.unit, x.d, x.c
        FROM e JOIN billing.unit u ON u.id = e.source_id
        CROSS JOIN LATERAL (SELECT CASE WHEN right(u.number, 1) = '0' THEN 1200000 ELSE 5000 END::bigint AS amount) a
        CROSS JOIN LATERAL (VALUES ('1002', NULL::uuid, a.amount, 0::bigint), ('2203', u.id, 0::bigint, a.amount))
             AS x(account, unit, d, c)
        """,
        estate_id,
    )
    await db.execute("ANALYZE")
    return await db.fetchval(
        "SELECT count(DISTINCT unit_id) FROM billing.journal_line WHERE estate_id = $1 AND account = '2203'",
        estate_id,
    )


async def raw_copy(db: asyncpg.Connection, n: int) -> float:
    await db.execute(
        "CREATE TABLE raw_invoice (id uuid PRIMARY KEY, unit uuid, number text, total bigint, issued timestamptz)"
    )
    rows = [(uuid.uuid4(), uuid.uuid4(), f"INV-{i:08d}", 25_000, None) for i in range(n)]
    started = time.perf_counter()
    await db.copy_records_to_table("raw_invoice", records=rows)
    return time.perf_counter() - started


async def main() -> dict:
    async with embedded_stack("billing") as stack:
        db = await asyncpg.connect(stack.db_url)
        big, _ = await estate(db, "BIG", UNITS)
        prepaid = await prepay(db, big)
        small, small_units = await estate(db, "AGE", AGING_UNITS)
        results: dict = {"units": UNITS, "raw_copy_s": await raw_copy(db, UNITS)}
        ports = stack.start("billing")
        token = issue_token(DEV_JWT_SECRET, sub="bench", roles=["finance"], estates=[big, small])
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{ports['billing']}",
            timeout=600,
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            await wait_ready(client)
            print(f"billing run for {UNITS:,} units ...", flush=True)
            started = time.perf_counter()
            r = await client.post(f"/v1/estates/{big}/billing-runs", json={"period": "2026-12"})
            results["run_s"] = time.perf_counter() - started
            assert r.status_code == 200 and r.json()["new_invoices"] == UNITS, r.text[:300]
            results["run"] = r.json()
            results["credit_applied"] = await db.fetchval(
                "SELECT count(*) FROM billing.allocation a JOIN billing.invoice i ON i.id = a.invoice_id "
                "WHERE i.estate_id = $1 AND a.kind = 'credit'",
                big,
            )
            results["prepaid_units"] = prepaid
            assert results["credit_applied"] == prepaid, (results["credit_applied"], prepaid)
            results["lines"] = await db.fetchval(
                "SELECT count(*) FROM billing.invoice_line l JOIN billing.invoice i ON i.id = l.invoice_id WHERE i.estate_id = $1",
                big,
            )
            started = time.perf_counter()
            again = await client.post(f"/v1/estates/{big}/billing-runs", json={"period": "2026-12"})
            results["rerun_s"] = time.perf_counter() - started
            assert again.json()["new_invoices"] == 0

            print("arrears ...", flush=True)
            for period in ("2026-08", "2026-09", "2026-10", "2026-11"):
                await client.post(f"/v1/estates/{small}/billing-runs", json={"period": period})
            await db.execute(
                "UPDATE billing.invoice SET paid_fen = total_fen, state = 'paid' WHERE estate_id = $1 AND right(number, 1) IN ('0', '3', '6')",
                small,
            )
            await db.execute("ANALYZE")
            for _ in range(1200):  # the run's 100,000 events are still being published: let that finish
                if not await db.fetchval("SELECT count(*) FROM billing.outbox WHERE published_at IS NULL"):
                    break
                await asyncio.sleep(0.5)
            latencies = []
            for _ in range(200):
                t = time.perf_counter()
                r = await client.get(f"/v1/estates/{small}/arrears", params={"as_of": "2026-12-20"})
                latencies.append(time.perf_counter() - t)
                assert r.status_code == 200
            results["aging"] = {
                "units": len(r.json()["units"]),
                "p50_ms": pct(latencies, 0.5) * 1000,
                "p99_ms": pct(latencies, 0.99) * 1000,
            }

            print(f"reconciliation of {RECON_LINES:,} lines ...", flush=True)
            lines = "交易日期,金额,流水号,对方户名,摘要\n" + "".join(
                f"2026-12-20,50.00,R{n:07d},住户,{small_units[n % AGING_UNITS][3]} 物业费\n"
                for n in range(RECON_LINES)
            )
            mapping = json.dumps(
                {
                    "date": "交易日期",
                    "amount": "金额",
                    "reference": "流水号",
                    "name": "对方户名",
                    "memo": "摘要",
                }
            )
            started = time.perf_counter()
            r = await client.post(
                f"/v1/estates/{small}/bank-statements",
                params={"format": "csv", "mapping": mapping},
                content=lines.encode(),
                headers={"content-type": "text/plain"},
            )
            results["recon_s"] = time.perf_counter() - started
            assert r.status_code == 200, r.text[:300]
            results["recon"] = r.json()
        tb = await db.fetch("SELECT sum(debit_fen) AS d, sum(credit_fen) AS c FROM billing.journal_line")
        results["balanced"] = tb[0]["d"] == tb[0]["c"]
        await db.close()
        return results


def report(r: dict) -> str:
    a = r["aging"]
    per_100k = r["recon_s"] * 100_000 / RECON_LINES
    rows = [
        (
            f"billing run: {r['units']:,} units × 3 fee items ({r['lines']:,} lines, {r['run']['total_fen'] / 100:,.2f} yuan;"
            f" credit applied to the {r['prepaid_units']:,} units paid ahead)",
            f"{r['run_s']:.1f} s",
            f"target ≤ 60 s: {'met' if r['run_s'] <= 60 else 'NOT met'}",
        ),
        ("the same period run again (bills nothing)", f"{r['rerun_s']:.2f} s", "idempotent"),
        (
            f"raw: {r['units']:,} invoice rows COPYed, same run",
            f"{r['raw_copy_s']:.2f} s",
            f"run = {r['run_s'] / r['raw_copy_s']:.0f} × raw",
        ),
        (
            f"reconciliation: {RECON_LINES:,} statement lines imported and matched ({r['recon']['matched']:,} matched)",
            f"{r['recon_s']:.1f} s (≈ {per_100k:.0f} s per 100,000)",
            f"target 100,000 ≤ 30 s: {'met' if per_100k <= 30 else 'NOT met'}",
        ),
        (
            f"arrears view of a {AGING_UNITS:,}-unit estate (totals over every unit in arrears, the {a['units']:,} largest listed): p50 / p99",
            f"{a['p50_ms']:.0f} / {a['p99_ms']:.0f} ms",
            f"target p99 ≤ 100 ms: {'met' if a['p99_ms'] <= 100 else 'NOT met'}",
        ),
        ("the journal balances after it all", str(r["balanced"]), ""),
    ]
    return table(rows)


if __name__ == "__main__":
    result = asyncio.run(main())
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "billing.json").write_text(json.dumps(result, indent=2, default=str))
    print(report(result))
