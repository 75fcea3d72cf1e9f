"""What the other services accept: identity's tokens with the right audience, issuer and time, signed by a
published key (also after a rotation); nothing else (alg none, HS256 made with the public key, expired, not yet
valid, another audience or issuer, an unknown key)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from propdesk.common.sealing import DEV_SEALING_KEY, unseal

from .conftest import ADMIN, PASSWORD, claims, grant, staff


async def identity_key(db) -> tuple[str, Ed25519PrivateKey]:
    [(kid, sealed)] = await db(
        "SELECT kid, private_sealed FROM identity.signing_key ORDER BY created_at DESC LIMIT 1"
    )
    pem = unseal(sealed, DEV_SEALING_KEY)
    return kid, serialization.load_pem_private_key(pem.encode(), password=None)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_only_well_formed_tokens_of_a_published_key_are_accepted(p, db):
    member = await staff(p)
    real = (await grant(p, grant_type="password", username="13900001111", password=PASSWORD)).json()[
        "access_token"
    ]
    kid, key = await identity_key(db)
    good = claims(real)
    url = f"/v1/estates/{p['estate']['id']}"

    async def status(token: str) -> int:
        r = await p["intake"].get(url, headers={"Authorization": f"Bearer {token}"})
        if r.status_code == 401:
            assert r.headers["www-authenticate"].startswith("Bearer")
        return r.status_code

    def signed(**changes) -> str:
        body = {**good, **changes}
        return jwt.encode(
            {k: v for k, v in body.items() if v is not None}, key, algorithm="EdDSA", headers={"kid": kid}
        )

    now = int(dt.datetime.now(dt.UTC).timestamp())
    assert await status(real) == 200
    assert await status(signed()) == 200  # the control: this key and these claims pass
    assert await status(signed(aud="another-app")) == 401
    assert await status(signed(aud=None)) == 401
    assert await status(signed(iss="someone-else")) == 401
    assert await status(signed(exp=now - 1)) == 401
    assert await status(signed(nbf=now + 120)) == 401
    assert (
        await status(jwt.encode(good, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}))
        == 401
    )
    assert (
        await status(
            jwt.encode(good, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "unknown"})
        )
        == 401
    )
    head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = b64(json.dumps(good).encode())
    assert await status(f"{head}.{body}.") == 401
    public = json.dumps((await p["identity"].get("/.well-known/jwks.json")).json()["keys"][0])
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    forged = hmac.new(public.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert await status(f"{head}.{body}.{b64(forged)}") == 401
    assert member["id"] == good["sub"]


async def test_keys_rotate_and_tokens_of_the_old_key_stay_good_until_they_expire(p):
    await staff(p)
    before = (await grant(p, grant_type="password", username="13900001111", password=PASSWORD)).json()
    old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
    refused = await p["identity"].post(
        "/v1/keys/rotate", headers={"Authorization": f"Bearer {before['access_token']}"}
    )
    assert refused.status_code == 403  # platform admins only
    new_kid = (await p["identity"].post("/v1/keys/rotate", headers=ADMIN)).json()["kid"]
    assert new_kid != old_kid
    published = [k["kid"] for k in (await p["identity"].get("/.well-known/jwks.json")).json()["keys"]]
    assert published == [new_kid, old_kid]
    after = (await grant(p, grant_type="refresh_token", refresh_token=before["refresh_token"])).json()
    assert jwt.get_unverified_header(after["access_token"])["kid"] == new_kid
    url = f"/v1/estates/{p['estate']['id']}"
    for token in (before["access_token"], after["access_token"]):
        assert (await p["intake"].get(url, headers={"Authorization": f"Bearer {token}"})).status_code == 200
