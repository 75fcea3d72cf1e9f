"""Late fees (off by default; grace, daily rate, the cap at the principal; once per invoice and day) and
dunning stages (each once, paused by a dispute), run for a given day as the daily timer would."""

from __future__ import annotations

from .conftest import events, fee, run


async def day(s, when: str) -> dict:
    r = await s["billing"].post(f"/v1/estates/{s['eid']}/billing-days/{when}/run", headers=s["finance"])
    assert r.status_code == 200, r.text
    return r.json()


async def balance(s, unit) -> int:
    return (await s["billing"].get(f"/v1/units/{unit['id']}/account", headers=s["finance"])).json()[
        "balance_fen"
    ]


async def test_late_fees_accrue_once_a_day_after_grace_and_stop_at_the_principal(site, db):
    s = site
    await fee(s, rate="100")  # 100 m² → ¥100 a month for the first home
    await run(s, "2026-11")  # due 2026-11-15
    home = s["units"][0]
    assert (await day(s, "2026-12-10"))["late_fees_fen"] == 0  # off by default
    url = f"/v1/estates/{s['eid']}/billing-policy"
    policy = (await s["billing"].get(url, headers=s["finance"])).json()
    assert policy["late_fee_enabled"] is False and [x["stage"] for x in policy["dunning"]] == [
        "friendly",
        "second",
        "formal_notice",
        "manager",
    ]
    policy.update({"late_fee_enabled": True, "grace_days": 10, "daily_rate": "0.2", "cap_ratio": "0.5"})
    assert (
        await s["billing"].put(url, headers=s["finance"], json=policy)
    ).status_code == 422  # 20 % a day is refused
    policy["daily_rate"] = "0.01"  # 1 % a day of what is outstanding
    assert (await s["billing"].put(url, headers=s["finance"], json=policy)).status_code == 200
    assert (await day(s, "2026-11-25"))["late_fees_fen"] == 0  # within the grace period (due + 10 days)
    first = await day(s, "2026-11-26")
    assert first["late_fees_fen"] == 100 + 119 + 89  # 1 % of ¥100, of ¥118.50 (1.185 rounds half up), of ¥89
    assert (await day(s, "2026-11-26"))["late_fees_fen"] == 0  # the same day again: nothing twice
    assert await balance(s, home) == 10_000 + 100
    for n in range(27, 31):
        await day(s, f"2026-11-{n}")
    for n in range(1, 31):
        await day(s, f"2026-12-{n:02d}")
    for n in range(1, 31):
        await day(s, f"2027-01-{n:02d}")
    fees = await db("SELECT sum(amount_fen) FROM billing.late_fee WHERE unit_id = :u", u=home["id"])
    assert fees[0][0] == 5_000  # capped at half the principal, never above it
    assert await balance(s, home) == 10_000 + 5_000
    tb = (await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["finance"])).json()
    assert tb["balanced"] and {a["account"]: a["balance_fen"] for a in tb["accounts"]}["630101"] == -(
        5_000 + 5_925 + 4_450
    )


async def test_dunning_stages_go_once_and_a_dispute_pauses_them(site, db):
    s = site
    await fee(s)
    await run(s, "2026-10")  # due 2026-10-15
    home, other = s["units"][0], s["units"][1]
    invoices = (await s["billing"].get(f"/v1/estates/{s['eid']}/invoices", headers=s["finance"])).json()[
        "items"
    ]
    disputed = next(i for i in invoices if i["unit_id"] == other["id"])
    r = await s["billing"].post(
        f"/v1/invoices/{disputed['id']}/dunning", headers=s["finance"], json={"paused": "dispute"}
    )
    assert r.json()["dunning_paused"] == "dispute"
    assert (await day(s, "2026-10-21"))["dunning_notices"] == 0  # 6 days overdue
    assert (await day(s, "2026-10-22"))["dunning_notices"] == 2  # friendly, the two homes not disputed
    assert (await day(s, "2026-10-22"))["dunning_notices"] == 0
    assert (await day(s, "2026-12-20"))["dunning_notices"] == 4  # second and formal notice (66 days) for both
    stages = [(e["unit_id"], e["stage"]) for e in await events(db, "billing.dunning.stage")]
    assert sorted(st for u, st in stages if u == home["id"]) == ["formal_notice", "friendly", "second"]
    assert all(u != other["id"] for u, _ in stages)
    await s["billing"].post(
        f"/v1/invoices/{disputed['id']}/dunning", headers=s["finance"], json={"paused": None}
    )
    assert (await day(s, "2026-12-21"))["dunning_notices"] == 3  # the dispute is over: it catches up
    await s["billing"].post(
        f"/v1/units/{home['id']}/payments",
        headers=s["finance"],
        json={"amount_fen": 25_000, "channel": "cash"},
    )
    assert (await day(s, "2027-01-20"))["dunning_notices"] == 2  # manager stage: the unpaid ones only
    bad = await s["billing"].post(
        f"/v1/invoices/{disputed['id']}/dunning", headers=s["finance"], json={"paused": "holiday"}
    )
    assert bad.status_code == 422
    timer = await db("SELECT kind FROM billing.timer WHERE key = :k", k=f"daily:{s['eid']}")
    assert timer == [("billing.daily",)]  # the daily run is armed for the estate
