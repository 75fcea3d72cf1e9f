"""The ops page (issue 17): a platform admin sees each service's readiness, backlog, lag and dead letters (a
service that is not running is shown as such), and replays a dead letter from the page."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
from playwright.async_api import expect

from propdesk.common.contracts.repairs import EstateProvisioned
from propdesk.common.embedded import free_port
from propdesk.common.events import build_envelope

from .conftest import DESK
from .pages import SignIn, accessible, screenshot


async def _plant_dead_letter(database_url: str, estate_id: str) -> str:
    envelope = build_envelope(EstateProvisioned(estate_id=uuid.UUID(estate_id)), aggregate_id=estate_id)
    conn = await asyncpg.connect(database_url)
    try:
        return str(
            await conn.fetchval(
                "INSERT INTO intake.dead_letter (id, source, consumer, event_id, subject, envelope, error, attempts) "
                "VALUES (gen_random_uuid(), 'consumer', 'intake', $1, 'propdesk.repairs.estate.provisioned', "
                "$2::jsonb, 'ConnectionError: simulated', 5) RETURNING id",
                envelope.id,
                envelope.model_dump_json(),
            )
        )
    finally:
        await conn.close()


def _create_admin(database_url: str, login: str, password: str) -> None:
    env = {**os.environ, "PROPDESK_DEV": "1", "PROPDESK_DATABASE_URL": database_url}
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("propdesk")),
            "accounts",
            "create-admin",
            "--login",
            login,
            "--password",
            password,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


class TestOps:
    async def test_an_admin_sees_the_platform_and_replays_a_dead_letter(
        self, estate, browser, platform_env, tmp_path
    ):
        s = estate
        # billing, incidents and notify do not run in this test: the page must say so, not break
        dead = f"http://127.0.0.1:{free_port()}"
        for name in ("billing", "incidents", "notify"):
            s.console_app.state.api.clients[name].base_url = dead
        _create_admin(platform_env.database_url, "ops-admin", "Night-Shift-Rota-9")
        planted = await _plant_dead_letter(platform_env.database_url, s.estate_id)

        context = await browser.new_context(viewport=DESK, locale="zh-CN")
        page = await context.new_page()
        await (await SignIn(page, s.console).open("/ops")).as_("ops-admin", "Night-Shift-Rota-9")
        await expect(page.get_by_role("heading", name="运行状态")).to_be_visible()
        intake_row = page.locator("table.status tr", has=page.get_by_role("rowheader", name="intake"))
        await expect(intake_row).to_contain_text("✓")
        await expect(intake_row.locator("td").nth(3)).to_have_text("1")  # one dead letter
        await expect(
            page.locator("table.status tr", has=page.get_by_role("rowheader", name="notify"))
        ).to_contain_text("✗")
        await accessible(page, "the ops page")
        await screenshot(page, tmp_path, "ops-desk")

        await page.locator("form.dead", has_text="intake").get_by_role("button", name="重新处理").click()
        await expect(page.get_by_role("status")).to_have_text("✓ 已重新处理")
        await expect(intake_row.locator("td").nth(3)).to_have_text("0")
        conn = await asyncpg.connect(platform_env.database_url)
        try:
            replayed = await conn.fetchval(
                "SELECT replayed_at FROM intake.dead_letter WHERE id = $1", uuid.UUID(planted)
            )
        finally:
            await conn.close()
        assert replayed is not None
        await context.close()

    async def test_a_dispatcher_gets_no_ops_page(self, estate, browser):
        s = estate
        context = await browser.new_context(viewport=DESK, locale="zh-CN")
        page = await context.new_page()
        await (await SignIn(page, s.console).open("/ops")).as_(s.logins["dispatcher"])
        await expect(page.get_by_role("heading", name="您的角色无权打开此页面")).to_be_visible()
        await context.close()
