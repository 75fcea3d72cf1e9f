"""Issue 18, items 5 and 9: a run previewed before it is issued (totals per fee item and building, units
skipped and why; the run refused when things changed since); proration on move-out as on move-in; a rate
for one building that replaces the estate-wide one."""

from __future__ import annotations

from propdesk.common.testing.helpers import wait_until

from .conftest import fee, run


async def invoice_of(s, unit, period: str) -> dict:
    items = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/invoices",
            headers=s["finance"],
            params={"unit_id": unit["id"], "period": period},
        )
    ).json()["items"]
    (periodic,) = [i for i in items if i["source_kind"] == "periodic"]
    return (await s["billing"].get(f"/v1/invoices/{periodic['id']}", headers=s["finance"])).json()


async def test_a_run_is_previewed_then_issued_as_previewed(site):
    s = site
    b = s["billing"]
    await fee(s)  # ¥2.50/m² on the homes; the shop has no fee item
    await fee(s, code="CAR", name="车位管理费", basis="fixed", rate="6000", category="parking")
    url = f"/v1/estates/{s['eid']}/billing-runs"
    r = await b.post(url + "/preview", headers=s["finance"], json={"period": "2026-12"})
    assert r.status_code == 200, r.text
    draft = r.json()
    homes = 25_000 + 29_625 + 22_250
    assert (draft["invoices"], draft["total_fen"]) == (3, homes + 3 * 6000)
    assert {f["code"]: (f["units"], f["total_fen"]) for f in draft["fee_items"]} == {
        "PMF": (3, homes),
        "CAR": (3, 18_000),
    }
    assert [(x["units"], x["total_fen"]) for x in draft["buildings"]] == [(3, homes + 18_000)]
    assert draft["skipped"] == {"no_fee_item": 1}
    assert draft["skipped_units"] == [
        {"unit_id": s["units"][3]["id"], "number": "A1-S01", "kind": "shop", "reason": "no_fee_item"}
    ]
    nothing = await b.get(f"/v1/estates/{s['eid']}/invoices", headers=s["finance"])
    assert nothing.json()["items"] == []  # a preview issues nothing
    # the rate changes after the preview: issuing what was previewed is refused, nothing is issued
    await fee(s, code="SHOP", name="商铺物业费", unit_kind="shop", rate="500")
    changed = await b.post(
        url, headers=s["finance"], json={"period": "2026-12", "expected_total_fen": draft["total_fen"]}
    )
    assert changed.status_code == 409, changed.text
    assert changed.json()["total_fen"] == draft["total_fen"] + 37_750
    assert (await b.get(f"/v1/estates/{s['eid']}/invoices", headers=s["finance"])).json()["items"] == []
    again = (await b.post(url + "/preview", headers=s["finance"], json={"period": "2026-12"})).json()
    issued = await b.post(
        url, headers=s["finance"], json={"period": "2026-12", "expected_total_fen": again["total_fen"]}
    )
    assert issued.status_code == 200 and issued.json()["total_fen"] == again["total_fen"]
    after = (await b.post(url + "/preview", headers=s["finance"], json={"period": "2026-12"})).json()
    assert (after["invoices"], after["skipped"]) == (0, {"already_billed": 4})


async def test_a_move_out_is_prorated_as_a_move_in_is(site, db):
    s = site
    await fee(s)
    home = s["units"][2]  # 89 m²: a tenant moves in on 2026-10-01 and out on 2026-12-11
    tenant = (
        await s["intake"].post(
            f"/v1/estates/{s['eid']}/residents",
            headers=s["manager"],
            json={"name": "赵磊", "phone": "13700001111"},
        )
    ).json()
    r = await s["intake"].post(
        f"/v1/units/{home['id']}/move-ins",
        headers=s["manager"],
        json={
            "resident_id": tenant["id"],
            "handed_over_on": "2026-10-01",
            "checklist": [{"item": "门窗", "ok": True}],
            "keys": [{"kind": "入户门", "count": 2}],
            "meter_readings": [{"meter": "water", "reading": "10"}],
        },
    )
    assert r.status_code == 201, r.text
    out = await s["intake"].post(
        f"/v1/move-ins/{r.json()['id']}/move-out",
        headers=s["manager"],
        json={
            "moved_out_on": "2026-12-11",
            "meter_readings": [{"meter": "water", "reading": "30"}],
            "keys_returned": 2,
        },
    )
    assert out.status_code in (200, 201), out.text

    async def recorded():
        rows = await db(
            "SELECT count(*) FROM billing.meter_reading WHERE unit_id = :u AND source = 'move_out'",
            u=home["id"],
        )
        return rows[0][0] == 1

    await wait_until(recorded, message="billing to record the move-out")
    await run(s, "2026-11")
    await run(s, "2026-12")
    assert (await invoice_of(s, home, "2026-11"))["total_fen"] == 22_250  # a whole month occupied
    december = await invoice_of(s, home, "2026-12")
    # 1–10 December: 10 of 31 days (the move-out day is not billed) → 89 m² × ¥2.50 × 10/31 = ¥71.77
    assert december["total_fen"] == 7_177
    assert "(32.3%)" in december["lines"][0]["description"]


async def test_a_building_can_have_its_own_rate(site):
    s = site
    b = await s["intake"].post(
        f"/v1/estates/{s['eid']}/buildings",
        headers=s["manager"],
        json={"code": "V1", "name": "V1 别墅区", "floors": 3},
    )
    villa = (
        await s["intake"].post(
            f"/v1/estates/{s['eid']}/units",
            headers=s["manager"],
            json={
                "building_id": b.json()["id"],
                "number": "V1-01",
                "floor": 1,
                "area_m2": "200",
                "kind": "residential",
            },
        )
    ).json()

    async def known():
        r = await s["billing"].get(f"/v1/units/{villa['id']}/account", headers=s["finance"])
        return r.status_code == 200

    await wait_until(known, message="billing to know the villa")
    await fee(s)  # ¥2.50/m² everywhere
    special = await fee(s, rate="400", building_id=b.json()["id"])  # ¥4.00/m² in the villas: same code
    assert special["building_id"] == b.json()["id"]
    unknown = await s["billing"].post(
        f"/v1/estates/{s['eid']}/fee-items",
        headers=s["finance"],
        json={
            "code": "PMF",
            "name": "x",
            "basis": "per_m2",
            "unit_kind": "residential",
            "rate": "1",
            "effective_from": "2026-01-01",
            "building_id": s["owner"]["id"],
        },
    )
    assert unknown.status_code == 422
    await run(s, "2026-12")
    assert (await invoice_of(s, villa, "2026-12"))["total_fen"] == 80_000  # 200 m² × ¥4.00, not × ¥2.50
    assert (await invoice_of(s, s["units"][0], "2026-12"))["total_fen"] == 25_000
