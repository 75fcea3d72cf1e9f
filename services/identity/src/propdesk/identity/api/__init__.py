"""identity's HTTP routers."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from propdesk.identity.api import accounts, me, oidc, token, wellknown

    return [wellknown.router, token.router, me.router, accounts.router, oidc.router]
