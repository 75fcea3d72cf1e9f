"""Signing in: staff by password (+ TOTP), residents by an SMS code, tokens the other services accept,
refresh tokens that rotate and give themselves away when reused, revocation when the registry changes."""

from __future__ import annotations

import time

import pyotp

from .conftest import ADMIN, PASSWORD, account_of, claims, grant, resident, sms_code, staff


class TestPasswordGrant:
    async def test_a_receptionist_signs_in_and_the_registry_accepts_the_token(self, p):
        member = await staff(p)
        r = await grant(p, grant_type="password", username="13900001111", password=PASSWORD)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer" and 540 <= body["expires_in"] <= 900
        assert r.headers["cache-control"] == "no-store"
        c = claims(body["access_token"])
        assert (c["sub"], c["roles"], c["estates"], c["units"]) == (
            member["id"],
            ["receptionist"],
            [p["estate"]["id"]],
            [],
        )
        assert c["aud"] == "propdesk" and c["iss"] == "propdesk" and c["jti"] and c["name"] == "陈静"
        header = __import__("jwt").get_unverified_header(body["access_token"])
        assert header["alg"] == "EdDSA" and header["kid"]
        keys = (await p["identity"].get("/.well-known/jwks.json")).json()["keys"]
        assert (
            [k["kid"] for k in keys] == [header["kid"]] and keys[0]["crv"] == "Ed25519" and "d" not in keys[0]
        )
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        # intake checks it against identity's JWKS: no shared secret
        assert (await p["intake"].get(f"/v1/estates/{p['estate']['id']}", headers=bearer)).status_code == 200
        other = await p["intake"].post("/v1/estates", json={"code": "OTH", "name": "别处"}, headers=ADMIN)
        assert (await p["intake"].get(f"/v1/estates/{other.json()['id']}", headers=bearer)).status_code == 403
        me = (await p["identity"].get("/v1/me", headers=bearer)).json()
        assert me["roles"] == ["receptionist"] and me["totp_enabled"] is False

    async def test_wrong_passwords_are_refused_as_rfc_6749_says_and_lock_the_account(self, p):
        member = await staff(p)
        for _ in range(5):
            r = await grant(p, grant_type="password", username="13900001111", password="not-it-at-all")
            assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
            assert PASSWORD not in r.text and "not-it-at-all" not in r.text
        locked = await grant(p, grant_type="password", username="13900001111", password=PASSWORD)
        assert locked.status_code == 400 and "locked" in locked.json()["error_description"]
        account = await account_of(p, member["id"])
        assert account["locked_until"] and account["lock_reason"] == "5 failed sign-ins"
        assert (
            await p["identity"].post(f"/v1/accounts/{account['id']}/unlock", headers=ADMIN)
        ).status_code == 200
        assert (
            await grant(p, grant_type="password", username="13900001111", password=PASSWORD)
        ).status_code == 200
        trail = (
            await p["identity"].get("/v1/audit", headers=ADMIN, params={"account_id": account["id"]})
        ).json()
        kinds = [e["kind"] for e in trail["items"]]
        assert (
            kinds.count("sign_in_failed") == 5
            and "locked" in kinds
            and "unlocked" in kinds
            and "signed_in" in kinds
        )
        assert (await grant(p, grant_type="password", username="nobody", password="x")).json()[
            "error"
        ] == "invalid_grant"
        assert (await grant(p, grant_type="password", username="x")).json()["error"] == "invalid_request"
        assert (await grant(p, grant_type="client_credentials")).json()["error"] == "unsupported_grant_type"
        assert (await grant(p)).json()["error"] == "invalid_request"

    async def test_an_initial_password_must_be_changed_first(self, p):
        member = await staff(p)
        account = await account_of(p, member["id"])
        await p["identity"].post(
            f"/v1/accounts/{account['id']}/password", headers=ADMIN, json={"password": "Initial-Pass-1"}
        )
        first = await grant(p, grant_type="password", username="13900001111", password="Initial-Pass-1")
        assert first.status_code == 400 and first.json()["password_change_required"] is True
        weak = await p["identity"].post(
            "/v1/password-change",
            json={"username": "13900001111", "password": "Initial-Pass-1", "new_password": "short"},
        )
        assert weak.status_code == 422
        changed = await p["identity"].post(
            "/v1/password-change",
            json={"username": "13900001111", "password": "Initial-Pass-1", "new_password": "My-Own-Passw0rd"},
        )
        assert changed.status_code == 204
        assert (
            await grant(p, grant_type="password", username="13900001111", password="My-Own-Passw0rd")
        ).status_code == 200


class TestSecondFactor:
    async def test_totp_enrolment_then_sign_in_needs_a_code_or_a_recovery_code(self, p):
        await staff(p)
        first = (await grant(p, grant_type="password", username="13900001111", password=PASSWORD)).json()
        bearer = {"Authorization": f"Bearer {first['access_token']}"}
        enrolment = (await p["identity"].post("/v1/me/totp", headers=bearer)).json()
        assert enrolment["otpauth_uri"].startswith("otpauth://totp/") and enrolment["qr_svg"].startswith(
            "<?xml"
        )
        assert (
            await p["identity"].post("/v1/me/totp/confirm", headers=bearer, json={"code": "000000"})
        ).status_code in (
            409,
            422,
        )
        confirmed = await p["identity"].post(
            "/v1/me/totp/confirm", headers=bearer, json={"code": pyotp.TOTP(enrolment["secret"]).now()}
        )
        assert confirmed.status_code == 200, confirmed.text
        recovery = confirmed.json()["recovery_codes"]
        assert len(recovery) == 10
        without = await grant(p, grant_type="password", username="13900001111", password=PASSWORD)
        assert without.status_code == 400 and without.json()["mfa_required"] is True
        ok = await grant(
            p,
            grant_type="password",
            username="13900001111",
            password=PASSWORD,
            totp=(used := pyotp.TOTP(enrolment["secret"]).now()),
        )
        assert ok.status_code == 200
        replayed = await grant(  # the same code again, still within its 30 seconds: refused (RFC 6238 §5.2)
            p,
            grant_type="password",
            username="13900001111",
            password=PASSWORD,
            totp=used,
        )
        assert replayed.status_code == 400 and replayed.json()["mfa_required"] is True
        following = await grant(  # the authenticator's next code is good
            p,
            grant_type="password",
            username="13900001111",
            password=PASSWORD,
            totp=pyotp.TOTP(enrolment["secret"]).at(time.time() + 30),
        )
        assert following.status_code == 200, following.text
        once = await grant(
            p, grant_type="password", username="13900001111", password=PASSWORD, totp=recovery[0]
        )
        assert once.status_code == 200
        twice = await grant(
            p, grant_type="password", username="13900001111", password=PASSWORD, totp=recovery[0]
        )
        assert twice.status_code == 400  # a recovery code is good once


class TestRefresh:
    async def test_refresh_tokens_rotate_and_a_reused_one_ends_the_session(self, p):
        await staff(p)
        first = (await grant(p, grant_type="password", username="13900001111", password=PASSWORD)).json()
        second = await grant(p, grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
        assert claims(second.json()["access_token"])["sid"] == claims(first["access_token"])["sid"]
        # the first is spent: shown again, it is treated as stolen and the whole session ends
        reused = await grant(p, grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert reused.status_code == 400 and "already used" in reused.json()["error_description"]
        third = await grant(p, grant_type="refresh_token", refresh_token=second.json()["refresh_token"])
        assert third.status_code == 400 and "ended" in third.json()["error_description"]
        assert (await grant(p, grant_type="refresh_token", refresh_token="made-up")).status_code == 400

    async def test_sessions_are_listed_and_ended(self, p):
        await staff(p)
        a = (await grant(p, grant_type="password", username="13900001111", password=PASSWORD)).json()
        b = (await grant(p, grant_type="password", username="13900001111", password=PASSWORD)).json()
        bearer = {"Authorization": f"Bearer {b['access_token']}"}
        mine = (await p["identity"].get("/v1/me/sessions", headers=bearer)).json()
        assert len(mine) == 2 and [s["current"] for s in mine].count(True) == 1
        other = next(s for s in mine if not s["current"])
        assert (
            await p["identity"].delete(f"/v1/me/sessions/{other['id']}", headers=bearer)
        ).status_code == 204
        assert (
            await grant(p, grant_type="refresh_token", refresh_token=a["refresh_token"])
        ).status_code == 400
        assert (await p["identity"].post("/v1/revoke", data={"token": b["refresh_token"]})).status_code == 200
        assert (
            await grant(p, grant_type="refresh_token", refresh_token=b["refresh_token"])
        ).status_code == 400


class TestResidents:
    async def test_a_resident_signs_in_with_an_sms_code_and_loses_the_unit_on_moving_out(self, p):
        li = await resident(p)
        asked = await p["identity"].post("/v1/sign-in-codes", json={"phone": "138 1234 5678"})
        assert asked.status_code == 202, asked.text
        assert (
            await p["identity"].post("/v1/sign-in-codes", json={"phone": "13812345678"})
        ).status_code == 429
        # a number nobody lives behind gets the same answer (nothing is sent)
        assert (
            await p["identity"].post("/v1/sign-in-codes", json={"phone": "13700000000"})
        ).status_code == 202
        code = await sms_code(p, "+8613812345678")
        sms = p["sms"].requests[0].json()
        assert sms["to"] == "+8613812345678" and "阳明山庄" in sms["text"]
        wrong = await grant(
            p,
            grant_type="urn:propdesk:grant-type:sms-code",
            phone="13812345678",
            code="000000" if code != "000000" else "111111",
        )
        assert wrong.status_code == 400 and "attempts left" in wrong.json()["error_description"]
        r = await grant(p, grant_type="urn:propdesk:grant-type:sms-code", phone="13812345678", code=code)
        assert r.status_code == 200, r.text
        c = claims(r.json()["access_token"])
        assert (c["sub"], c["roles"], c["units"]) == (li["id"], ["resident"], [li["unit"]["id"]])
        again = await grant(p, grant_type="urn:propdesk:grant-type:sms-code", phone="13812345678", code=code)
        assert again.status_code == 400  # a code is good once
        # the resident's inbox says a code was sent, never the code
        inbox = await p["notify"].get(
            "/v1/me/inbox", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        )
        assert inbox.status_code == 200 and code not in inbox.text
        # move-out: the occupancy ends in intake; the session is revoked at once
        occupancy = li["occupancies"][0]["id"]
        assert (
            await p["intake"].post(f"/v1/occupancies/{occupancy}/end", headers=ADMIN, json={})
        ).status_code == 200

        async def refused():
            again = await grant(p, grant_type="refresh_token", refresh_token=r.json()["refresh_token"])
            return again if again.status_code == 400 else None

        await __import__("propdesk.common.testing.helpers", fromlist=["wait_until"]).wait_until(
            refused, message="the move-out to revoke the session"
        )


class TestClaimsFollowTheRegistry:
    async def test_a_role_change_revokes_the_session_and_the_next_token_carries_the_new_role(self, p):
        member = await staff(p)
        first = (await grant(p, grant_type="password", username="13900001111", password=PASSWORD)).json()
        changed = await p["intake"].patch(
            f"/v1/staff/{member['id']}", headers=ADMIN, json={"roles": ["dispatcher"]}
        )
        assert changed.status_code == 200, changed.text
        from propdesk.common.testing.helpers import wait_until

        async def new_role():  # a fresh sign-in carries the new role once identity heard of the change
            fresh = (await grant(p, grant_type="password", username="13900001111", password=PASSWORD)).json()
            return fresh if claims(fresh["access_token"])["roles"] == ["dispatcher"] else None

        await wait_until(new_role, message="identity to hear of the role change")
        # the refresh token was never used: refused now only because the change revoked its session (polling
        # with it instead would spend it, and its reuse would be refused for another reason)
        r = await grant(p, grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert r.status_code == 400, r.text
