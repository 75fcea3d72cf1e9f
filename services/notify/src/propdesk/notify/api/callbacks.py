"""Provider callbacks: a provider reports what became of a message it accepted."""

from __future__ import annotations

from fastapi import APIRouter, Request

from propdesk.common.web import SIGNED, Session
from propdesk.notify.service import inbound, sending

router = APIRouter(tags=["notify"])


@router.post(
    "/v1/providers/{provider}/callbacks",
    summary="A provider reports delivered / failed / bounced on a message it sent; signed per Standard Webhooks "
    "with the provider's secret (5 minutes' tolerance); a copy of a message gets the same answer",
    openapi_extra={
        **SIGNED,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["reference", "status"],
                        "properties": {
                            "reference": {"type": "string"},
                            "status": {"enum": ["delivered", "failed", "bounced"]},
                            "detail": {"type": "string"},
                        },
                    }
                }
            },
        },
    },
)
async def provider_callback(provider: str, request: Request, session: Session) -> dict:
    return await sending.callback(session, provider, request)


@router.post(
    "/v1/providers/{provider}/inbound",
    summary="An SMS the provider received for us: a resident's reply to an emergency broadcast (1 = safe, 2 = need "
    "help) answers the latest broadcast sent to their phone and reaches the incident's tally; signed per Standard "
    "Webhooks with the provider's secret; a copy of a message gets the same answer",
    openapi_extra={
        **SIGNED,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["from", "text"],
                        "properties": {"from": {"type": "string"}, "text": {"type": "string"}},
                    }
                }
            },
        },
    },
)
async def provider_inbound(provider: str, request: Request, session: Session) -> dict:
    return await inbound.received(session, provider, request)
