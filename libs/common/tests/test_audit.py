"""The message audit (issue 20, item 4): with intake and repairs running, every intake event repairs subscribes
to is found in repairs' inbox; an event a consumer never applied is named as missing, one it dead-lettered is
named as such; the CLI's exit code and the Prometheus text say so."""

from __future__ import annotations

import datetime as dt

from propdesk.common import audit
from propdesk.common.testing.helpers import outbox_events, running_service, token, wait_until
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)


async def test_the_audit_finds_every_event_and_names_what_went_missing(platform_env, db):
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env) as repairs,
    ):
        clients = {"intake": intake, "repairs": repairs}
        estate = (
            await intake.post("/v1/estates", json={"code": "AUD", "name": "审计小区"}, headers=ADMIN)
        ).json()
        manager = token("manager", estates=[estate["id"]])
        for code in ("A1", "A2"):
            r = await intake.post(
                f"/v1/estates/{estate['id']}/buildings",
                headers=manager,
                json={"code": code, "name": f"{code}栋", "floors": 6},
            )
            assert r.status_code == 201, r.text

        async def applied():
            rows = await db("SELECT count(*) FROM repairs.building")
            return rows[0][0] == 2

        await wait_until(applied, message="repairs to apply intake's events")

        async def side_of(definition, since):
            r = await clients[definition.name].get(
                "/admin/audit", params={"since": since.isoformat()}, headers=ADMIN
            )
            assert r.status_code == 200, r.text
            return r.json()

        later = dt.datetime.now(dt.UTC) + audit.GRACE  # every event old enough to be judged

        async def settled():  # repairs' own answers (estate provisioned) reach intake too
            report = await audit.run([INTAKE, REPAIRS], side_of, started, later)
            return report if report.missing == 0 else None

        report = await wait_until(settled, message="every event at every subscriber")
        route = next(r for r in report.routes if (r.producer, r.consumer) == ("intake", "repairs"))
        assert route.expected >= 3 and route.received == route.expected  # the estate and both buildings
        assert "nothing missing" in audit.render(report)

        buildings = await outbox_events(db, "intake", "intake.building.registered")
        lost, failed = await db(
            "SELECT id FROM intake.outbox WHERE event_type = 'intake.building.registered'"
        )
        assert len(buildings) == 2
        await db("DELETE FROM repairs.inbox WHERE event_id IN (:a, :b)", a=lost[0], b=failed[0])
        await db(
            "INSERT INTO repairs.dead_letter (id, source, consumer, event_id, subject, envelope, error, attempts) "
            "VALUES (gen_random_uuid(), 'consumer', 'repairs', :e, 'x', '{}', 'boom', 5)",
            e=failed[0],
        )
        report = await audit.run([INTAKE, REPAIRS], side_of, started, later)
        route = next(r for r in report.routes if (r.producer, r.consumer) == ("intake", "repairs"))
        assert route.missing == [str(lost[0])] and route.dead_lettered == [str(failed[0])]
        assert report.missing == 1 and f"missing at repairs: {lost[0]}" in audit.render(report)
        assert 'propdesk_audit_missing{producer="intake",consumer="repairs"} 1' in audit.metrics(report)
