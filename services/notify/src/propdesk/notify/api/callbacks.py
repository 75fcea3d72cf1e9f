"""Provider callbacks: a provider reports what became of a message it accepted."""

from __future__ import annotations

from fastapi import APIRouter, Request

from propdesk.common.web import SIGNED, Session
from propdesk.notify.service import sending

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
