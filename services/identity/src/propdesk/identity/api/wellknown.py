"""What other services and clients need to trust identity's tokens: the JWKS and the discovery document."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from propdesk.common.auth import Principal, require_platform_admin
from propdesk.common.db import settings_of
from propdesk.common.web import Session
from propdesk.identity.service import keys

router = APIRouter(tags=["discovery"])
GRANTS = ["password", "refresh_token", "authorization_code", "urn:propdesk:grant-type:sms-code"]


@router.get(
    "/.well-known/jwks.json",
    summary="The public keys access tokens are signed with (EdDSA, Ed25519): the signing key and the ones "
    "retired while their tokens may still be alive",
)
async def jwks(session: Session, response: Response) -> dict:
    await keys.signing_key(session)  # the first key is made on first use
    response.headers["Cache-Control"] = "public, max-age=300"
    return {"keys": await keys.published(session)}


@router.get("/.well-known/openid-configuration", summary="Where the token endpoint and the keys are")
async def configuration(request: Request, session: Session) -> dict:
    s = settings_of(session)
    base = (s.public_url or str(request.base_url)).rstrip("/")
    return {
        "issuer": s.jwt_issuer,
        "token_endpoint": f"{base}/v1/token",
        "revocation_endpoint": f"{base}/v1/revoke",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": GRANTS,
        "token_endpoint_auth_methods_supported": ["none"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "authorization_endpoint": f"{base}/v1/oidc/authorize",
    }


@router.post(
    "/v1/keys/rotate",
    summary="Retire the signing key now and start a new one (the old stays published until its tokens "
    "expire); keys also rotate by themselves every key_rotation_days. Platform admins only",
)
async def rotate(session: Session, principal: Principal = Depends(require_platform_admin)) -> dict[str, str]:
    return {"kid": await keys.rotate(session)}
