"""Page objects for the console's screens, an accessibility check (axe-core) per page, and screenshots at desk
and phone size (always into the test's folder; also into docs/screens when PROPDESK_SCREENSHOTS names it)."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from .conftest import PASSWORD, SCREENS

SERIOUS = {"serious", "critical"}


async def accessible(page: Page, what: str) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    results = await Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]
    assert not bad, f"{what}: accessibility violations: {bad}"


async def screenshot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    if SCREENS is not None:
        await page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=False)
    return path


class SignIn:
    def __init__(self, page: Page, base: str) -> None:
        self.page, self.base = page, base

    async def open(self, path: str = "/") -> SignIn:
        await self.page.goto(self.base + path)
        return self

    async def as_(self, login: str, password: str = PASSWORD) -> None:
        await self.page.get_by_label("账号或手机号").fill(login)
        await self.page.get_by_label("密码").fill(password)
        await self.page.get_by_role("button", name="登录").click()


class Board:
    def __init__(self, page: Page) -> None:
        self.page = page

    def order(self, reference: str):
        return self.page.locator("#board-body .order", has_text=reference)

    async def wait_live(self) -> None:
        await expect(self.page.locator("[data-live-dot].on")).to_be_visible()

    async def open_order(self, reference: str) -> None:
        await self.order(reference).click()
        await expect(self.page.locator("#drawer h2")).to_contain_text(reference)

    async def assign(self, technician: str, reason: str | None = None) -> None:
        drawer = self.page.locator("#drawer")
        select = drawer.get_by_label("选择维修工")
        option = select.locator("option", has_text=technician)
        await select.select_option(await option.get_attribute("value"))
        if reason is not None:
            await drawer.get_by_label("原因").first.fill(reason)
        await drawer.locator("[data-assign-button]").click()


class Jobs:
    def __init__(self, page: Page) -> None:
        self.page = page

    def job(self, reference: str):
        return self.page.locator("#jobs-list .job", has_text=reference)

    async def open(self, reference: str) -> None:
        await self.job(reference).locator("a").click()
        await expect(self.page.locator("#drawer h2")).to_contain_text(reference)

    async def press(self, label: str) -> None:
        await self.page.locator("#drawer").get_by_role("button", name=label, exact=True).click()

    async def state_is(self, label: str) -> None:
        await expect(self.page.locator("#drawer .state-line")).to_have_text(label)
