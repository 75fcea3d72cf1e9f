"""The session behind the screens: tokens refreshed server-side (concurrent requests of one browser spend the
refresh token once, so identity never sees a reuse), the cookie sealed and HttpOnly, sign-out revoking the
session at identity."""

from __future__ import annotations

import asyncio
import re

import httpx

from propdesk.console import session as console_session
from propdesk.console.session import COOKIE

from .conftest import PASSWORD


async def _signed_in(s) -> httpx.AsyncClient:
    browser = httpx.AsyncClient(base_url=s.console, headers={"Accept-Language": "zh-CN"}, timeout=30)
    r = await browser.post(
        "/sign-in", data={"login": s.logins["dispatcher"], "password": PASSWORD, "next": "/board"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/board", r.text[:300]
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "eyJ" not in browser.cookies[COOKIE]  # sealed: no token readable in the cookie
    return browser


class TestRefresh:
    async def test_concurrent_requests_refresh_once_and_the_session_goes_on(self, estate, monkeypatch):
        s = estate
        browser = await _signed_in(s)
        first = browser.cookies[COOKIE]
        # from now on every request finds the access token about to end
        from propdesk.console import web

        monkeypatch.setattr(web, "REFRESH_EARLY_SECONDS", 10**6)
        answers = await asyncio.gather(*(browser.get(f"/board/queue?estate={s.estate_id}") for _ in range(5)))
        assert [a.status_code for a in answers] == [200] * 5
        renewed = {a.cookies.get(COOKIE) for a in answers} - {None}
        assert renewed and first not in renewed  # a new sealed session came back
        browser.cookies.set(COOKIE, next(iter(renewed)))
        again = await browser.get("/board")
        assert again.status_code == 200 and "调度台" in again.text  # identity saw no reuse: still signed in
        await browser.aclose()


class TestSignOut:
    async def test_sign_out_ends_the_session_at_identity(self, estate):
        s = estate
        browser = await _signed_in(s)
        board = await browser.get("/board")
        csrf = re.search(r'name="csrf" value="([^"]+)"', board.text).group(1)
        sealed = browser.cookies[COOKIE]
        settings = s.console_app.state.settings
        refresh = console_session.Session.open(sealed, settings).refresh_token
        r = await browser.post("/sign-out", data={"csrf": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/sign-in"
        assert COOKIE not in browser.cookies
        refused = await s.identity.post(
            "/v1/token", data={"grant_type": "refresh_token", "refresh_token": refresh}
        )
        assert refused.status_code == 400  # revoked
        await browser.aclose()

    async def test_sign_out_needs_the_csrf_token(self, estate):
        s = estate
        browser = await _signed_in(s)
        r = await browser.post("/sign-out", data={})
        assert r.status_code == 403
        assert (await browser.get("/board")).status_code == 200  # still signed in
        await browser.aclose()
