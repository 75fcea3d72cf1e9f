"""Inbound webhooks (a payment gateway, an alarm panel, an SMS provider's callbacks): one scheme, Standard
Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature` = HMAC-SHA256 over id.timestamp.body).

- The id and the timestamp are inside the signature; a timestamp more than `TOLERANCE` away is refused, so a
  captured message cannot be replayed later.
- Within the window, the same message id is answered once: a copy (a retry, a replay) gets the first copy's
  answer (`once`), concurrent copies included.
- Whatever must not be redirected is inside the signed body (the estate): a route checks it against its path.
- Secrets are Standard Webhooks secrets (`whsec_` + base64) of at least 24 bytes (`settings.webhook_secret`).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from propdesk.common import idempotency
from propdesk.common.errors import Unauthorized
from propdesk.common.i18n import Text

TOLERANCE_SECONDS = 300  # standardwebhooks' own tolerance


class BadSignature(Unauthorized):
    code = "bad-signature"
    title = Text("签名无效或已过期", "Bad or expired signature")


def new_secret() -> str:
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def verify(request: Request, secret: str) -> tuple[str, bytes]:
    """The message's id and body, once its signature and timestamp check out; 401 otherwise."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        Webhook(secret).verify(body, headers)
    except (WebhookVerificationError, ValueError) as exc:
        raise BadSignature(str(exc) or "the signature does not match") from exc
    return headers["webhook-id"], body


async def once(
    session: AsyncSession,
    *,
    sender: str,
    message_id: str,
    route: str,
    body: bytes,
    run: Callable[[], Awaitable[tuple[object, int]]],
) -> tuple[object, int]:
    """Handle a verified message at most once: a copy of it gets the stored answer."""
    answer, status, _ = await idempotency.once(
        session,
        owner=f"webhook:{sender}",
        key=message_id[:200],
        route=route,
        fingerprint=body,
        run=run,
    )
    return answer, status
