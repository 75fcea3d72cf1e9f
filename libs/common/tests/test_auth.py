"""JWT verification in production mode (asymmetric keys) and the principal's scope helpers."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from propdesk.common.auth import Principal, Role, TokenVerifier
from propdesk.common.errors import Forbidden, Unauthorized
from propdesk.common.settings import CommonSettings
from propdesk.common.testing.helpers import wait_until

ESTATE, UNIT = uuid.uuid4(), uuid.uuid4()


def claims(**extra) -> dict:
    now = dt.datetime.now(dt.UTC)
    return {
        "sub": "u1",
        "iss": "propdesk",
        "aud": "propdesk",
        "iat": now,
        "exp": now + dt.timedelta(minutes=5),
        "roles": ["resident"],
        "estates": [str(ESTATE)],
        "units": [str(UNIT)],
        **extra,
    }


def pem(private) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize("kind", ["RS256", "EdDSA"])
async def test_production_verifies_asymmetric_tokens_and_refuses_hs256(kind):
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "RS256"
        else ed25519.Ed25519PrivateKey.generate()
    )
    verifier = TokenVerifier(CommonSettings(dev=False, jwt_public_key=pem(key)))
    principal = await verifier.verify(jwt.encode(claims(), key, algorithm=kind))
    assert principal.roles == {Role.resident} and principal.units == {UNIT}
    with pytest.raises(Unauthorized):  # a token signed with a shared secret is not accepted
        await verifier.verify(
            jwt.encode(claims(), "guessable-secret-of-32-bytes-or-more!", algorithm="HS256")
        )
    with pytest.raises(Unauthorized):
        await verifier.verify(
            jwt.encode(claims(exp=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)), key, algorithm=kind)
        )
    with pytest.raises(Unauthorized):
        await verifier.verify(jwt.encode(claims(iss="someone-else"), key, algorithm=kind))
    with pytest.raises(Unauthorized):  # meant for another audience
        await verifier.verify(jwt.encode(claims(aud="another-app"), key, algorithm=kind))
    with pytest.raises(Unauthorized):  # no audience at all
        await verifier.verify(
            jwt.encode({k: v for k, v in claims().items() if k != "aud"}, key, algorithm=kind)
        )
    with pytest.raises(Unauthorized):  # not valid yet
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
        await verifier.verify(jwt.encode(claims(nbf=later), key, algorithm=kind))
    unsigned = jwt.encode(claims(), None, algorithm="none")
    with pytest.raises(Unauthorized):  # alg none
        await verifier.verify(unsigned)
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims(), default=lambda d: int(d.timestamp())).encode())
    forged_sig = hmac.new(pem(key).encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthorized):  # HS256 "signed" with the public key (algorithm confusion)
        await verifier.verify(f"{head}.{body}.{b64(forged_sig)}")


async def test_a_remembered_token_still_expires():
    """Verified tokens are remembered until their exp, not beyond: an expired one is refused even after it
    was accepted, and a tampered copy of a remembered token is checked on its own."""
    secret = "a-shared-secret-of-32-bytes-or-more!"
    verifier = TokenVerifier(CommonSettings(dev=False, jwt_secret=secret))
    token = jwt.encode(
        claims(exp=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)), secret, algorithm="HS256"
    )
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # remembered
    head, body, signature = token.split(".")
    with pytest.raises(Unauthorized):
        await verifier.verify(f"{head}.{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}")

    async def refused() -> bool:  # once its exp has passed, the remembered token is refused
        try:
            await verifier.verify(token)
        except Unauthorized:
            return True
        return False

    await wait_until(refused, timeout=5, message="the remembered token to expire")


def test_resident_scope():
    resident = Principal(
        sub="r", roles=frozenset({Role.resident}), estates=frozenset({ESTATE}), units=frozenset({UNIT})
    )
    resident.require_unit(UNIT)
    with pytest.raises(Forbidden):
        resident.require_unit(uuid.uuid4())
    with pytest.raises(Forbidden):
        resident.require_estate(uuid.uuid4())
    staff = Principal(sub="s", roles=frozenset({Role.receptionist}), estates=frozenset({ESTATE}))
    staff.require_unit(uuid.uuid4())  # staff are scoped by estate, not by unit
