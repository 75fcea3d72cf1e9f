"""Who sees money (issue 18, item 10): every billing operation called by every role of the estate.
Money — invoices, accounts, payments, deposits, reports — is for finance and managers (admins pass too); the
front desk reads a unit's balance and open invoices and keeps fee items and meter readings; a resident reads
their own unit's invoices and account; technicians, dispatchers and duty officers see no money at all."""

from __future__ import annotations

import uuid

from propdesk.common.auth import Role
from propdesk.common.testing.helpers import token

from .conftest import fee, run

FIN = {"finance", "manager"}
DESK = FIN | {"receptionist"}
READ = DESK | {"resident"}
NOBODY_BUT_PLATFORM: set[str] = set()

# (method, path) -> the roles of the estate that get past the role check (admin always does)
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("POST", "/v1/deposits/{deposit_id}/pay"): FIN,
    ("GET", "/v1/estates/{estate_id}/arrears"): FIN,
    ("POST", "/v1/estates/{estate_id}/bank-statements"): FIN,
    ("POST", "/v1/estates/{estate_id}/billing-days/{day}/run"): FIN,
    ("GET", "/v1/estates/{estate_id}/billing-policy"): FIN,
    ("PUT", "/v1/estates/{estate_id}/billing-policy"): FIN,
    ("POST", "/v1/estates/{estate_id}/billing-runs"): FIN,
    ("POST", "/v1/estates/{estate_id}/billing-runs/preview"): FIN,
    ("GET", "/v1/estates/{estate_id}/statement-mappings"): FIN,
    ("PUT", "/v1/estates/{estate_id}/statement-mappings/{name}"): FIN,
    ("GET", "/v1/estates/{estate_id}/deposits"): FIN,
    ("GET", "/v1/estates/{estate_id}/fee-items"): DESK,
    ("POST", "/v1/estates/{estate_id}/fee-items"): FIN,
    ("GET", "/v1/estates/{estate_id}/invoices"): READ,
    ("GET", "/v1/estates/{estate_id}/ledger-accounts"): FIN,
    ("PUT", "/v1/estates/{estate_id}/ledger-accounts/{code}"): FIN,
    ("POST", "/v1/estates/{estate_id}/reconciliation-days/{day}/close"): FIN,
    ("GET", "/v1/estates/{estate_id}/reconciliation-report"): FIN,
    ("GET", "/v1/estates/{estate_id}/reports/{name}"): FIN,
    ("GET", "/v1/estates/{estate_id}/reports/{name}/export"): FIN,
    ("GET", "/v1/estates/{estate_id}/statement-lines"): FIN,
    ("GET", "/v1/estates/{estate_id}/trial-balance"): FIN,
    ("GET", "/v1/invoices/{invoice_id}"): READ,
    ("POST", "/v1/invoices/{invoice_id}/dunning"): FIN,
    ("POST", "/v1/invoices/{invoice_id}/void"): FIN,
    ("POST", "/v1/invoices/{invoice_id}/waive"): {"manager"},
    ("POST", "/v1/payments/{payment_id}/reverse"): FIN,
    ("GET", "/v1/payments/{payment_id}/receipt"): FIN | {"resident"},
    ("GET", "/v1/statement-lines/{line_id}/candidates"): FIN,
    ("POST", "/v1/statement-lines/{line_id}/match"): FIN,
    ("POST", "/v1/statement-lines/{line_id}/unmatch"): FIN,
    ("GET", "/v1/units/{unit_id}/account"): READ,
    ("GET", "/v1/units/{unit_id}/meter-readings"): set(Role) - {Role.admin},  # a reading is not money
    ("POST", "/v1/units/{unit_id}/meter-readings"): DESK,
    ("POST", "/v1/units/{unit_id}/payments"): FIN,
    ("PUT", "/v1/units/{unit_id}/payer"): FIN,
    ("POST", "/v1/units/{unit_id}/refunds"): FIN,
}
NOT_BY_ROLE = {"/healthz", "/readyz", "/metrics", "/v1/webhooks/payments"}  # signed, or open


class TestWhoSeesMoney:
    async def test_every_operation_as_every_role_of_the_estate(self, site):
        s = site
        await fee(s)
        await run(s, "2026-12")
        home = s["units"][0]["id"]
        invoice = (
            await s["billing"].get(
                f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"unit_id": home}
            )
        ).json()["items"][0]
        assert invoice["unit_id"] == home
        values = {
            "estate_id": str(s["eid"]),
            "unit_id": home,
            "invoice_id": invoice["id"],
            "deposit_id": str(uuid.uuid4()),
            "payment_id": str(uuid.uuid4()),
            "line_id": str(uuid.uuid4()),
            "day": "2026-12-01",
            "name": "collection",
            "code": "600105",
        }
        paths = s["billing"].app.openapi()["paths"]  # every operation the service has
        routes = [
            (method.upper(), path)
            for path, operations in paths.items()
            if not path.startswith("/admin") and path not in NOT_BY_ROLE
            for method in operations
        ]
        assert sorted(routes) == sorted(EXPECTED), "a billing operation is missing from the table (or gone)"
        wrong = []
        for method, path in routes:
            url = path.format(**values)
            for role in sorted(str(r) for r in Role if r is not Role.admin):
                headers = token(
                    role,
                    estates=[s["eid"]],
                    units=[uuid.UUID(home)] if role == "resident" else [],
                    sub=s["owner"]["id"] if role == "resident" else f"{role}-1",
                )
                r = await s["billing"].request(
                    method, url, headers=headers, json={} if method != "GET" else None
                )
                allowed = role in EXPECTED[(method, path)]
                if allowed == (r.status_code == 403):
                    wrong.append((method, path, role, r.status_code))
        assert not wrong, wrong

    async def test_a_technician_reads_no_invoice_and_no_account(self, site):
        s = site
        await fee(s)
        await run(s, "2026-12")
        home = s["units"][0]["id"]
        invoice = (
            await s["billing"].get(
                f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"unit_id": home}
            )
        ).json()["items"][0]
        tech = token("technician", estates=[s["eid"]])
        assert (await s["billing"].get(f"/v1/invoices/{invoice['id']}", headers=tech)).status_code == 403
        assert (await s["billing"].get(f"/v1/units/{home}/account", headers=tech)).status_code == 403
        desk = token("receptionist", estates=[s["eid"]])
        account = await s["billing"].get(f"/v1/units/{home}/account", headers=desk)
        assert account.status_code == 200 and account.json()["balance_fen"] == 25_000  # to answer a caller
        paid = await s["billing"].post(
            f"/v1/units/{home}/payments", headers=desk, json={"amount_fen": 100, "channel": "cash"}
        )
        assert paid.status_code == 403  # the desk records no money
