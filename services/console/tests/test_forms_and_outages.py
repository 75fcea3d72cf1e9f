"""Bad input and outages on the screens: a service's problem shown next to the field in the user's language
with what they typed kept, a refused step explained, a service that is down a banner (the rest working),
and the English switch."""

from __future__ import annotations

import contextlib

from playwright.async_api import expect

from propdesk.common.embedded import free_port
from propdesk.common.testing.helpers import served
from propdesk.console.config import ConsoleSettings
from propdesk.console.main import create_app

from .conftest import DESK, PHONE
from .pages import Board, Jobs, SignIn, accessible
from .test_dispatch import _report


class TestForms:
    async def test_a_wrong_value_is_explained_next_to_its_field_and_kept(self, estate, browser):
        s = estate
        order = await _report(s)
        tech = s.people["technician"]
        for action in ("assign",):
            r = await s.repairs.post(
                f"/v1/work-orders/{order['id']}/actions",
                headers=_admin(),
                json={"action": action, "technician_id": tech},
            )
            assert r.status_code == 200, r.text
        context = await browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
        page = await context.new_page()
        await (await SignIn(page, s.console).open()).as_(s.logins["technician"])
        jobs = Jobs(page)
        await jobs.open(order["reference"])
        for press in ("接单", "到达现场"):
            await jobs.press(press)
        await jobs.state_is("现场处理")
        drawer = page.locator("#drawer")
        await drawer.get_by_label("工时（分钟）").fill("九十")
        await drawer.get_by_label("完工说明").fill("已更换")
        await jobs.press("完工")
        await expect(drawer.locator("#labour-error")).to_be_visible()
        await expect(drawer.get_by_label("工时（分钟）")).to_have_value("九十")  # kept
        await expect(drawer.get_by_label("完工说明")).to_have_value("已更换")
        await jobs.state_is("现场处理")  # nothing changed
        await expect(page.locator("body")).not_to_contain_text("Traceback")
        await accessible(page, "a form with an error")
        await context.close()

    async def test_a_step_the_order_does_not_allow_says_why(self, estate, browser):
        s = estate
        order = await _report(s)
        context = await browser.new_context(viewport=DESK, locale="zh-CN")
        page = await context.new_page()
        await (await SignIn(page, s.console).open()).as_(s.logins["dispatcher"])
        board = Board(page)
        await board.open_order(order["reference"])
        # another dispatcher cancels it meanwhile; this one then tries to change its urgency
        r = await s.repairs.post(
            f"/v1/work-orders/{order['id']}/actions",
            headers=_admin(),
            json={"action": "cancel", "note": "重复报修"},
        )
        assert r.status_code == 200, r.text
        drawer = page.locator("#drawer")
        await drawer.locator("summary").click()
        await drawer.get_by_label("紧急程度").select_option("emergency")
        await drawer.get_by_role("button", name="保存").click()
        await expect(drawer.get_by_role("alert")).to_be_visible()
        await expect(drawer.locator(".state-line")).to_contain_text("已取消")
        await context.close()


class TestOutages:
    async def test_repairs_down_gives_a_banner_and_the_console_keeps_working(self, estate, browser):
        s = estate
        port = free_port()
        dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        base: ConsoleSettings = s.console_app.state.settings
        settings = base.model_copy(
            update={"port": port, "service_urls": {**base.service_urls, "repairs": dead}}
        )
        with served(create_app(settings), port) as url:
            context = await browser.new_context(viewport=DESK, locale="zh-CN")
            page = await context.new_page()
            await (await SignIn(page, url).open()).as_(s.logins["dispatcher"])
            await expect(page.get_by_role("alert").first).to_have_text(
                "repairs 服务暂时无法访问，其余功能可继续使用"
            )
            await expect(page.get_by_role("heading", name="调度台")).to_be_visible()  # the page, not a blank
            await expect(page.get_by_role("link", name="English")).to_be_visible()
            await context.close()


class TestLanguage:
    async def test_english_is_one_click_away_and_stays(self, estate, browser):
        s = estate
        await _report(s)
        context = await browser.new_context(viewport=DESK, locale="zh-CN")
        page = await context.new_page()
        await (await SignIn(page, s.console).open()).as_(s.logins["dispatcher"])
        await page.get_by_role("link", name="English").click()
        await expect(page.get_by_role("heading", name="Dispatch board")).to_be_visible()
        await expect(page.locator("#board-body .order").first).to_contain_text("Plumbing")
        await page.reload()
        await expect(page.get_by_role("heading", name="Dispatch board")).to_be_visible()
        await accessible(page, "the board in English")
        with contextlib.suppress(Exception):
            await context.close()


def _admin() -> dict[str, str]:
    from .conftest import ADMIN

    return ADMIN
