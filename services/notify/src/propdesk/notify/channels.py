"""Channel adapters. A failed send raises SendFailed; the delivery service retries and fails over."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

import aiohttp
import aiosmtplib
from standardwebhooks.webhooks import Webhook

from propdesk.notify.config import NotifySettings, ProviderConfig


class SendFailed(Exception):
    pass


@dataclass
class Sent:
    provider: str
    reference: str | None = None


async def send_email(
    settings: NotifySettings, *, to: str, subject: str, body: str, message_id: uuid.UUID
) -> Sent:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.mail_from, to, subject
    mail["Message-ID"] = f"<{message_id}@propdesk>"
    mail.set_content(body)
    try:
        await aiosmtplib.send(
            mail,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.send_timeout_seconds,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            start_tls=settings.smtp_tls,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SendFailed(f"smtp: {exc!r}") from exc
    return Sent("smtp", f"<{message_id}@propdesk>")


def signed_headers(provider: ProviderConfig, msg_id: str, body: str, now: dt.datetime) -> dict[str, str]:
    """Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256)."""
    signature = Webhook(provider.secret.get_secret_value()).sign(msg_id, now, body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


async def send_via_provider(
    client: aiohttp.ClientSession,
    provider: ProviderConfig,
    *,
    channel: str,
    to: str,
    text: str,
    delivery_id: uuid.UUID,
    timeout: float,
) -> Sent:
    body = json.dumps(
        {"channel": channel, "to": to, "text": text, "reference": str(delivery_id)}, ensure_ascii=False
    )
    headers = signed_headers(provider, f"msg_{delivery_id}", body, dt.datetime.now(dt.UTC))
    status, answer = await post(client, provider.url, body, headers, timeout)
    if status is None:
        raise SendFailed(f"{provider.name}: {answer}")
    if status >= 300:
        raise SendFailed(f"{provider.name}: HTTP {status}")
    try:
        reference = json.loads(answer).get("id")
    except (ValueError, AttributeError):
        reference = None
    return Sent(provider.name, reference)


async def post(
    client: aiohttp.ClientSession, url: str, body: str, headers: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """(status, body); status None when the receiver could not be reached (the text says why)."""
    try:
        async with client.post(
            url, data=body.encode(), headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            return response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return None, repr(exc)
