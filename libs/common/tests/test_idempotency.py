"""Idempotency that always answers (issue 19, item 7): a request retried after the service died between its
commit and its answer gets the stored answer, never a refusal; two identical requests raced make one record
and both get the same answer."""

from __future__ import annotations

import asyncio
import subprocess

import httpx

from propdesk.common.embedded import free_port
from propdesk.common.testing.helpers import running_service, service_ready, spawn_service, token, wait_until
from propdesk.intake.main import SERVICE as INTAKE

ADMIN = token("admin", all_estates=True)
ESTATE = {"code": "QSY", "name": "青山苑"}


def spawn_intake(platform_env, port: int, fault: str | None) -> subprocess.Popen:
    return spawn_service(INTAKE, platform_env, port, fault=fault)


async def test_a_retry_after_a_crash_between_commit_and_answer_gets_the_stored_answer(platform_env, db):
    port = free_port()
    headers = {**ADMIN, "Idempotency-Key": "estate-qsy-1"}
    proc = spawn_intake(platform_env, port, fault="http.after_commit")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await wait_until(lambda: service_ready(client), timeout=60, message="intake to start")
            try:
                await client.post("/v1/estates", json=ESTATE, headers=headers)
                raise AssertionError("the service answered although it died after its commit")
            except httpx.TransportError:
                pass  # the client never heard: connection closed by a dead process
            await wait_until(lambda: proc.poll() is not None, message="intake to die")
            assert proc.returncode == -9
        proc = spawn_intake(platform_env, port, fault=None)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await wait_until(lambda: service_ready(client), timeout=60, message="intake to start again")
            answers = [await client.post("/v1/estates", json=ESTATE, headers=headers) for _ in range(3)]
            assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
            assert all(a.headers.get("idempotent-replayed") == "true" for a in answers)
            assert len({a.json()["id"] for a in answers}) == 1 and answers[0].json()["code"] == "QSY"
            other = await client.post("/v1/estates", json={**ESTATE, "name": "别的"}, headers=headers)
            assert other.status_code == 422  # the same key with another body
    finally:
        proc.kill()
        proc.wait()
    rows = await db("SELECT count(*) FROM intake.estate WHERE code = 'QSY'")
    assert rows[0][0] == 1  # one effect


async def test_two_identical_requests_raced_make_one_record_and_get_one_answer(platform_env, db):
    async with running_service(INTAKE, platform_env) as intake:
        headers = {**ADMIN, "Idempotency-Key": "race-1"}
        answers = await asyncio.gather(
            *(intake.post("/v1/estates", json=ESTATE, headers=headers) for _ in range(8))
        )
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 7
    rows = await db("SELECT count(*) FROM intake.estate WHERE code = 'QSY'")
    assert rows[0][0] == 1
