"""Channel adapters. A failed send raises SendFailed; the delivery service retries and fails over."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
import httpx
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
    client: httpx.AsyncClient,
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
    try:
        response = await client.post(provider.url, content=body.encode(), headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise SendFailed(f"{provider.name}: {exc!r}") from exc
    if response.status_code >= 300:
        raise SendFailed(f"{provider.name}: HTTP {response.status_code}")
    try:
        reference = response.json().get("id")
    except ValueError:
        reference = None
    return Sent(provider.name, reference)
