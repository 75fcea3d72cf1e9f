"""The HTTP kit as a client sees it: problem+json in zh-CN/en, auth and estate scope, Idempotency-Key,
cursor pagination, correlation ids carried into events, health, readiness, metrics, admin."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import running_service, token
from propdesk.intake.main import SERVICE as INTAKE

ADMIN = token("admin", all_estates=True)
ESTATE = {"code": "YMS", "name": "阳明山庄"}


@pytest.fixture
async def intake(platform_env):
    async with running_service(INTAKE, platform_env) as client:
        yield client


async def outbox_rows(env) -> list[dict]:
    engine = create_async_engine(asyncpg_url(env.database_url))
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT envelope FROM intake.outbox ORDER BY seq"))).scalars().all()
    await engine.dispose()
    return list(rows)


class TestProblems:
    async def test_validation_error_is_422_problem_in_both_languages(self, intake):
        for lang, title in (("zh-CN", "请求参数校验失败"), ("en", "Validation failed")):
            r = await intake.post(
                "/v1/estates", json={"code": "lower", "name": ""}, headers={**ADMIN, "Accept-Language": lang}
            )
            assert r.status_code == 422
            assert r.headers["content-type"] == "application/problem+json"
            body = r.json()
            assert body["title"] == title and body["type"].endswith("/validation-failed")
            assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "code"), ("body", "name")}
            if lang == "zh-CN":  # what a receptionist reads: the form's field names, in Chinese
                assert (
                    "编码：" in body["detail"]
                    and "姓名/名称：" in body["detail"]
                    and "body." not in body["detail"]
                )
                assert {e["field"] for e in body["errors"]} == {"编码", "姓名/名称"}
            else:
                assert {e["field"] for e in body["errors"]} == {"code", "name"}

    async def test_malformed_json_and_unknown_fields_are_422(self, intake):
        r = await intake.post(
            "/v1/estates", content=b"{not json", headers={**ADMIN, "content-type": "application/json"}
        )
        assert r.status_code == 422
        r = await intake.post("/v1/estates", json={**ESTATE, "owner": "x"}, headers=ADMIN)
        assert r.status_code == 422 and "owner" in r.text

    async def test_unknown_route_and_bad_id_are_problems_not_500(self, intake):
        assert (await intake.get("/nowhere")).json()["status"] == 404
        r = await intake.get("/v1/estates/not-a-uuid", headers=ADMIN)
        assert r.status_code == 422
        r = await intake.get(f"/v1/estates/{uuid.uuid4()}", headers=ADMIN)
        assert r.status_code == 404 and r.json()["type"].endswith("/estate-not-found")

    async def test_domain_conflict_is_409_and_writes_nothing(self, intake, platform_env):
        assert (await intake.post("/v1/estates", json=ESTATE, headers=ADMIN)).status_code == 201
        r = await intake.post(
            "/v1/estates", json={**ESTATE, "name": "另一个"}, headers={**ADMIN, "Accept-Language": "en"}
        )
        assert r.status_code == 409 and r.json()["title"] == "Estate code already in use"
        assert len(await outbox_rows(platform_env)) == 1  # the refused request recorded no event


class TestAuth:
    async def test_missing_bad_and_foreign_tokens(self, intake):
        assert (await intake.get("/v1/estates")).status_code == 401
        r = await intake.get("/v1/estates", headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 401 and r.json()["type"].endswith("/unauthorized")
        r = await intake.post("/v1/estates", json=ESTATE, headers=token("receptionist"))
        assert r.status_code == 403

    async def test_staff_see_only_their_estates(self, intake):
        a = (await intake.post("/v1/estates", json=ESTATE, headers=ADMIN)).json()
        b = (await intake.post("/v1/estates", json={"code": "HXY", "name": "花溪苑"}, headers=ADMIN)).json()
        mine = token("receptionist", estates=[uuid.UUID(a["id"])])
        listed = (await intake.get("/v1/estates", headers=mine)).json()["items"]
        assert [e["code"] for e in listed] == ["YMS"]
        assert (await intake.get(f"/v1/estates/{b['id']}", headers=mine)).status_code == 403
        assert (await intake.get("/v1/estates", headers=token("resident"))).json()["items"] == []


class TestIdempotency:
    async def test_same_key_replays_different_body_is_refused(self, intake, platform_env):
        headers = {**ADMIN, "Idempotency-Key": "k-1"}
        first = await intake.post("/v1/estates", json=ESTATE, headers=headers)
        again = await intake.post("/v1/estates", json=ESTATE, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        other = await intake.post("/v1/estates", json={**ESTATE, "code": "ZZZ"}, headers=headers)
        assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key-reused")
        assert len(await outbox_rows(platform_env)) == 1


class TestPagination:
    async def test_cursor_walks_every_item_once(self, intake):
        for i in range(7):
            await intake.post("/v1/estates", json={"code": f"E{i}", "name": f"小区{i}"}, headers=ADMIN)
        seen, cursor = [], None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await intake.get("/v1/estates", params=params, headers=ADMIN)).json()
            seen += [e["code"] for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == [f"E{i}" for i in range(7)] and len(seen) == 7
        assert (
            await intake.get("/v1/estates", params={"cursor": "garbage!"}, headers=ADMIN)
        ).status_code == 422
        assert (await intake.get("/v1/estates", params={"limit": 0}, headers=ADMIN)).status_code == 422


class TestObservability:
    async def test_correlation_id_and_actor_travel_into_the_event(self, intake, platform_env):
        r = await intake.post("/v1/estates", json=ESTATE, headers={**ADMIN, "X-Correlation-ID": "call-42"})
        assert r.headers["x-correlation-id"] == "call-42"
        [envelope] = await outbox_rows(platform_env)
        assert envelope["correlation_id"] == "call-42"
        assert envelope["actor"] == {"kind": "user", "id": "test-admin", "role": "admin"}
        assert envelope["type"] == "intake.estate.registered" and envelope["producer"] == "intake"

    async def test_health_readiness_metrics_and_admin_status(self, intake):
        assert (await intake.get("/healthz")).json()["status"] == "ok"
        assert (await intake.get("/readyz")).json() == {
            "ready": True,
            "checks": {"database": True, "nats": True},
        }
        await intake.get("/v1/estates", headers=ADMIN)
        metrics = (await intake.get("/metrics")).text
        for name in (
            "propdesk_http_requests_total",
            "propdesk_outbox_backlog",
            "propdesk_dead_letters",
            "propdesk_timer_lag_seconds",
            "propdesk_consumer_lag",
        ):
            assert name in metrics
        assert 'route="/v1/estates"' in metrics
        status = (await intake.get("/admin/status", headers=ADMIN)).json()
        assert status["ready"] is True and status["dead_letters"] == 0
        assert (await intake.get("/admin/status", headers=token("manager"))).status_code == 403
