"""The dispatcher and the technician, in a real browser against the real stack (issue 17): a resident's
report made through the repairs API appears on an open board; the dispatcher assigns it in the drawer; the
technician's phone view (360×740) takes it through to completion; the board shows each step live; a user
without the dispatcher role gets no board. Every page passes axe-core and is photographed at both sizes."""

from __future__ import annotations

from playwright.async_api import expect

from .conftest import DESK, PHONE
from .pages import Board, Jobs, SignIn, accessible, screenshot


async def _report(stack, description: str = "厨房水槽下的角阀漏水，地上有积水") -> dict:
    r = await stack.repairs.post(
        f"/v1/estates/{stack.estate_id}/work-orders",
        headers=stack.resident_headers(),
        json={
            "unit_id": stack.unit_id,
            "category": "plumbing",
            "problem": "leak",
            "description": description,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


class TestDispatchToCompletion:
    async def test_a_report_goes_from_the_board_to_the_technician_and_back_live(
        self, estate, browser, tmp_path
    ):
        s = estate
        desk = await browser.new_context(viewport=DESK, locale="zh-CN")
        phone = await browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
        page, tech_page = await desk.new_page(), await phone.new_page()

        # the dispatcher signs in and lands on the board, which is live
        await SignIn(page, s.console).open()
        await screenshot(page, tmp_path, "sign-in-desk")
        await SignIn(page, s.console).as_(s.logins["dispatcher"])
        await expect(page).to_have_url(f"{s.console}/board")
        board = Board(page)
        await expect(page.get_by_role("heading", name="调度台")).to_be_visible()
        await board.wait_live()
        await expect(page.locator("#board-body .empty")).to_have_text("没有待处理的工单")
        await accessible(page, "the empty board")

        # a resident reports through the API: the order appears without a reload
        order = await _report(s)
        await expect(board.order(order["reference"])).to_be_visible()
        await expect(board.order(order["reference"])).to_contain_text("未派工")
        await screenshot(page, tmp_path, "board-desk")
        await accessible(page, "the board with an order")
        await page.set_viewport_size(PHONE)  # the board works on a phone too
        await expect(board.order(order["reference"])).to_be_visible()
        await screenshot(page, tmp_path, "board-phone")
        await page.set_viewport_size(DESK)

        # the dispatcher opens it and assigns the technician
        await board.open_order(order["reference"])
        await accessible(page, "the work order drawer")
        await screenshot(page, tmp_path, "board-drawer-desk")
        await board.assign("张师傅")
        await expect(page.locator("#drawer .saved")).to_be_visible()
        await expect(board.order(order["reference"])).to_contain_text("张师傅")
        await expect(page.locator(".lane", has_text="张师傅")).to_contain_text("在手 1")

        # the technician, on a phone, sees the job and takes it through
        await SignIn(tech_page, s.console).open()
        await screenshot(tech_page, tmp_path, "sign-in-phone")
        await SignIn(tech_page, s.console).as_(s.logins["technician"])
        await expect(tech_page).to_have_url(f"{s.console}/jobs")
        jobs = Jobs(tech_page)
        await expect(jobs.job(order["reference"])).to_be_visible()
        await accessible(tech_page, "the technician's jobs")
        await screenshot(tech_page, tmp_path, "jobs-phone")
        await jobs.open(order["reference"])
        await accessible(tech_page, "a job on the phone")
        await screenshot(tech_page, tmp_path, "job-phone")

        for press, state, on_board in [
            ("接单", "已接单", "已接单"),
            ("出发", "在途", "在途"),
            ("到达现场", "现场处理", "现场处理"),
        ]:
            await jobs.press(press)
            await jobs.state_is(state)
            await expect(board.order(order["reference"])).to_contain_text(on_board)  # live on the board

        # a part from the price list, then labour minutes and a note
        drawer = tech_page.locator("#drawer")
        await drawer.get_by_label("配件", exact=True).select_option("VALVE-DN15")
        await drawer.get_by_label("数量").fill("2")
        await drawer.get_by_role("button", name="添加配件").click()
        await expect(drawer.locator(".parts")).to_contain_text("¥71.00")
        await drawer.evaluate("el => el.scrollTo(0, 0)")
        await screenshot(tech_page, tmp_path, "job-on-site-phone")
        await drawer.get_by_label("工时（分钟）").fill("45")
        await drawer.get_by_label("完工说明").fill("更换角阀两个，已试水无渗漏")
        await jobs.press("完工")
        await jobs.state_is("已完工")
        await expect(drawer.locator(".confirm")).to_have_text("等待住户确认")

        # done: it leaves the board's queue, and the technician's load drops
        await expect(board.order(order["reference"])).to_have_count(0)
        await expect(page.locator(".lane", has_text="张师傅")).to_contain_text("在手 0")

        # the resident confirms through the API: the phone shows it once reloaded
        r = await s.repairs.post(
            f"/v1/work-orders/{order['id']}/actions", headers=s.resident_headers(), json={"action": "confirm"}
        )
        assert r.status_code == 200, r.text
        await tech_page.goto(f"{s.console}/jobs")
        await expect(tech_page.locator(".finished .confirm")).to_have_text("住户已确认")
        await desk.close()
        await phone.close()


class TestWalls:
    async def test_a_receptionist_gets_no_board_and_no_board_menu(self, estate, browser):
        s = estate
        context = await browser.new_context(viewport=DESK, locale="zh-CN")
        page = await context.new_page()
        await (await SignIn(page, s.console).open("/board")).as_(s.logins["receptionist"])
        await expect(page.get_by_role("heading", name="您的角色无权打开此页面")).to_be_visible()
        await page.goto(f"{s.console}/")
        await expect(page.get_by_role("navigation").get_by_role("link", name="调度台")).to_have_count(0)
        await accessible(page, "a receptionist's start page")
        # the board's data and its live stream are closed too
        for path in ("/board/queue", f"/live?estate={s.estate_id}&technician={s.people['technician']}"):
            r = await page.request.get(s.console + path, max_redirects=0)
            assert r.status in (403, 401), (path, r.status)
        await context.close()

    async def test_signed_out_pages_send_to_sign_in_and_forms_need_the_csrf_token(self, estate, browser):
        s = estate
        context = await browser.new_context(viewport=DESK, locale="zh-CN")
        page = await context.new_page()
        await page.goto(f"{s.console}/board")
        await expect(page).to_have_url(f"{s.console}/sign-in?next=/board")
        await accessible(page, "the sign-in page")
        await SignIn(page, s.console).as_(s.logins["dispatcher"], "wrong-password")
        await expect(page.get_by_role("alert")).to_have_text("账号或密码不正确")
        await expect(page.get_by_label("账号或手机号")).to_have_value(s.logins["dispatcher"])  # kept
        await SignIn(page, s.console).as_(s.logins["dispatcher"])
        await expect(page).to_have_url(f"{s.console}/board")
        # a form posted without the page's CSRF token (as another site would) changes nothing
        order = await _report(s)
        r = await page.request.post(
            f"{s.console}/board/orders/{order['id']}/actions", form={"action": "cancel"}, max_redirects=0
        )
        assert r.status == 403
        got = await s.repairs.get(f"/v1/work-orders/{order['id']}", headers=s.resident_headers())
        assert got.json()["state"] != "cancelled"
        await context.close()


class TestShortcuts:
    async def test_keys_and_drag_and_drop_reach_the_drawer(self, estate, browser):
        s = estate
        first, second = await _report(s), await _report(s, "楼道灯不亮")
        context = await browser.new_context(viewport=DESK, locale="zh-CN")
        page = await context.new_page()
        await (await SignIn(page, s.console).open()).as_(s.logins["dispatcher"])
        board = Board(page)
        await expect(board.order(second["reference"])).to_be_visible()
        await expect(page.locator("#board-body.htmx-request")).to_have_count(0)
        await page.locator("body").press("j")
        await expect(
            page.locator("#board-body .order").first
        ).to_be_focused()  # the first order in the queue takes the focus
        await page.keyboard.press("Enter")
        await expect(page.locator("#drawer [data-assign-select]")).to_be_visible()
        await expect(page.locator("#drawer.htmx-settling, #drawer.htmx-swapping")).to_have_count(0)
        await page.keyboard.press("a")  # A: to the technician picker
        await expect(page.locator("#drawer [data-assign-select]")).to_be_focused()
        await page.keyboard.press("Escape")
        await expect(page.locator("#drawer")).to_be_empty()
        # drag an order onto a technician: the drawer opens with that technician picked
        # HTML5 drag events as the browser sends them for a drag (Playwright's mouse-driven drag_to is flaky on
        # a loaded machine); what is tested is the page's own handling: dragstart, dragover, drop, dragend
        row, lane = board.order(first["reference"]), page.locator(".lane", has_text="张师傅")
        transfer = await page.evaluate_handle("() => new DataTransfer()")
        await row.dispatch_event("dragstart", {"dataTransfer": transfer})
        await lane.dispatch_event("dragover", {"dataTransfer": transfer})
        await lane.dispatch_event("drop", {"dataTransfer": transfer})
        await row.dispatch_event("dragend", {"dataTransfer": transfer})
        await expect(page.locator("#drawer h2")).to_contain_text(first["reference"])
        picked = page.locator("#drawer [data-assign-select]")
        await expect(picked).to_have_value(s.people["technician"])
        await page.locator("#drawer [data-assign-button]").click()
        await expect(board.order(first["reference"])).to_contain_text("张师傅")
        await context.close()


class TestLiveKeepsThePlace:
    async def test_a_live_refresh_keeps_the_focused_order(self, estate, browser):
        s = estate
        first = await _report(s)
        context = await browser.new_context(viewport=DESK, locale="zh-CN")
        page = await context.new_page()
        await (await SignIn(page, s.console).open()).as_(s.logins["dispatcher"])
        board = Board(page)
        await board.wait_live()
        await board.order(first["reference"]).focus()
        second = await _report(s, "电梯按钮失灵")  # a change arrives while the dispatcher is on a row
        await expect(board.order(second["reference"])).to_be_visible()
        await expect(board.order(first["reference"])).to_be_focused()
        await context.close()
