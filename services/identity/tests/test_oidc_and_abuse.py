"""Staff sign-in through an outside OpenID Connect provider (a real one, oidc-provider-mock, run locally);
growing delays between failures; nothing secret in the logs."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from oidc_provider_mock import User, run_server_in_thread

from propdesk.common.embedded import free_port
from propdesk.common.testing.helpers import wait_until

from .conftest import PASSWORD, claims, grant, platform, sms_code, staff


@pytest.fixture
def provider():
    with run_server_in_thread(
        port=free_port(),
        require_nonce=True,
        user_claims=[User(sub="chen.jing", claims={"phone_number": "+8613900001111", "name": "Chen Jing"})],
    ) as server:
        yield f"http://localhost:{server.server_port}"


async def sign_in_at_provider(identity, sub: str, return_to: str | None = None) -> httpx.Response:
    """What the browser does: to identity, on to the provider, pick the user, back to identity."""
    start = await identity.get("/v1/oidc/authorize", params={"return_to": return_to} if return_to else None)
    assert start.status_code == 302, start.text
    at_provider = start.headers["location"]
    query = parse_qs(urlsplit(at_provider).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"] and query["nonce"]
    async with httpx.AsyncClient() as browser:
        consent = await browser.post(at_provider, data={"sub": sub})
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    return await identity.get(f"{back.path}?{back.query}")


async def test_a_staff_member_signs_in_through_the_outside_provider(platform_env, sms, provider):
    port = free_port()
    async with platform(
        platform_env,
        sms,
        oidc_issuer=provider,
        oidc_client_id="propdesk",
        oidc_client_secret="client-secret",
        oidc_redirect_uri=f"http://127.0.0.1:{port}/v1/oidc/callback",
        oidc_return_urls=["http://console.example/signed-in"],
    ) as p:
        member = await staff(p)
        tokens = await sign_in_at_provider(p["identity"], "chen.jing")
        assert tokens.status_code == 200, tokens.text
        c = claims(tokens.json()["access_token"])
        assert (c["sub"], c["roles"]) == (member["id"], ["receptionist"])  # roles from the registry
        # through a console: back there with a one-time code, exchanged once for tokens
        back = await sign_in_at_provider(
            p["identity"], "chen.jing", return_to="http://console.example/signed-in"
        )
        assert back.status_code == 302 and back.headers["location"].startswith(
            "http://console.example/signed-in?code="
        )
        code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://console.example/signed-in",
        }
        assert (await grant(p, **form)).status_code == 200
        assert (await grant(p, **form)).status_code == 400  # once
        # someone the provider knows but the registry does not
        stranger = await sign_in_at_provider(p["identity"], "someone.else")
        assert stranger.status_code == 401 and stranger.json()["type"].endswith("/oidc-failed")
        bad_return = await p["identity"].get(
            "/v1/oidc/authorize", params={"return_to": "http://evil.example/"}
        )
        assert bad_return.status_code == 422
        replayed_state = await p["identity"].get(
            "/v1/oidc/callback", params={"state": "made-up", "code": "x"}
        )
        assert replayed_state.status_code == 401
    assert port


async def test_each_failure_makes_the_next_attempt_wait_longer(platform_env, sms):
    async with platform(platform_env, sms) as p:  # the real delays: 1 s, 2 s, …
        await staff(p)
        first = await grant(p, grant_type="password", username="13900001111", password="wrong-wrong-1")
        assert first.status_code == 400
        soon = await grant(p, grant_type="password", username="13900001111", password=PASSWORD)
        assert soon.status_code == 400 and "too soon" in soon.json()["error_description"]
        assert 1 <= int(soon.headers["retry-after"]) <= 2

        async def let_in():  # once the delay is over (an attempt too soon is not a failure: no longer wait)
            r = await grant(p, grant_type="password", username="13900001111", password=PASSWORD)
            return r.status_code == 200

        await wait_until(let_in, timeout=10, interval=0.25, message="the password accepted after the delay")


async def test_passwords_and_codes_never_reach_the_logs(platform_env, sms, tmp_path, monkeypatch):
    from .conftest import resident

    log = tmp_path / "run.log"
    monkeypatch.setenv("PROPDESK_LOG_FILE", str(log))  # every service of this run logs there
    async with platform(platform_env, sms, failure_delay_seconds=0.0, log_file=log) as p:
        await staff(p)
        await grant(p, grant_type="password", username="13900001111", password=PASSWORD)
        await grant(p, grant_type="password", username="13900001111", password="Wrong-Secret-42")
        await resident(p)
        await p["identity"].post("/v1/sign-in-codes", json={"phone": "13812345678"})
        code = await sms_code(p, "+8613812345678")
        tokens = (
            await grant(p, grant_type="urn:propdesk:grant-type:sms-code", phone="13812345678", code=code)
        ).json()
    logs = log.read_text()
    assert "identity.signed_in" in logs and "identity.sign_in_failed" in logs and "identity.code_sent" in logs
    for secret in (PASSWORD, "Wrong-Secret-42", tokens["refresh_token"], tokens["access_token"]):
        assert secret not in logs
    assert not re.search(rf"\b{code}\b", logs), "the SMS code was logged"
