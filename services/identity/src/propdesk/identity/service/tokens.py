"""Access tokens: EdDSA JWTs of minutes, carrying the claims derived from the registry (`people.claims_of`):
`sub` (the registry id), `name`, `roles`, `estates`, `units`, `iss`, `aud`, `jti`, `kid`, `sid`."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import settings_of
from propdesk.common.timeutil import utcnow
from propdesk.identity.models import Account
from propdesk.identity.service import keys
from propdesk.identity.service.people import Claims


async def access_token(session: AsyncSession, claims: Claims, *, session_id: uuid.UUID) -> tuple[str, int]:
    settings = settings_of(session)
    kid, private = await keys.signing_key(session)
    now = utcnow()
    ttl = dt.timedelta(minutes=settings.access_token_minutes)
    body = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": claims.sub,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
        "sid": str(session_id),
        "roles": claims.roles,
        "estates": [str(e) for e in claims.estates],
        "units": [str(u) for u in claims.units],
        "all_estates": claims.all_estates,
    }
    if claims.name:
        body["name"] = claims.name
    token = jwt.encode(body, private, algorithm="EdDSA", headers={"kid": kid})
    return token, int(ttl.total_seconds())


def account_of_token(account: Account) -> str:
    return str(account.person_id or account.id)
