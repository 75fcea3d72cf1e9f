"""Provider callbacks: a provider reports what became of a message it accepted."""

from __future__ import annotations

from fastapi import APIRouter, Request

from propdesk.common.web import Session
from propdesk.notify.service import sending

router = APIRouter(tags=["notify"])


@router.post(
    "/v1/providers/{provider}/callbacks",
    summary="A provider reports delivered / failed / bounced; "
    "signed per Standard Webhooks with the provider's secret",
    openapi_extra={
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
        }
    },
)
async def provider_callback(provider: str, request: Request, session: Session) -> dict:
    found = await sending.callback(session, provider, await request.body(), dict(request.headers))
    return {"delivery_id": str(found.id), "state": found.state}
