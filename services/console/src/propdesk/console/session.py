"""The signed-in user's session, kept in the browser and unreadable to it: a cookie sealed with Fernet
(HttpOnly, SameSite=Lax, Secure outside dev) holding the access and refresh tokens from identity and a CSRF
secret. The console keeps nothing per user, so any console process serves any browser.

Tokens are refreshed server-side a minute before the access token ends. Refresh tokens rotate and reusing a
spent one revokes the family (identity), so concurrent requests of one browser share one refresh: the first
does it, the others wait for and take its result (`Refresher`)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

from propdesk.common.auth import Principal
from propdesk.common.sealing import seal, unseal
from propdesk.console import clients
from propdesk.console.clients import Api, Problem
from propdesk.console.config import ConsoleSettings

COOKIE = "propdesk_console"
LANG_COOKIE = "propdesk_lang"
REFRESH_EARLY_SECONDS = 60


@dataclass
class Session:
    access_token: str
    refresh_token: str
    expires_at: float  # the access token's end (epoch seconds)
    csrf: str
    started_at: float

    def seal(self, settings: ConsoleSettings) -> str:
        return seal(json.dumps(asdict(self)), settings.session_key)  # type: ignore[arg-type]

    @classmethod
    def open(cls, cookie: str | None, settings: ConsoleSettings) -> Session | None:
        if not cookie:
            return None
        try:
            data = json.loads(unseal(cookie, settings.session_key, ttl=settings.session_hours * 3600))  # type: ignore[arg-type]
            return cls(**data)
        except (ValueError, TypeError):
            return None

    @classmethod
    def from_tokens(cls, tokens: dict, csrf: str | None = None) -> Session:
        return cls(
            access_token=tokens["access_token"],
            refresh_token=tokens.get("refresh_token", ""),
            expires_at=time.time() + int(tokens.get("expires_in", 600)),
            csrf=csrf or secrets.token_urlsafe(24),
            started_at=time.time(),
        )

    def csrf_ok(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf, presented or "")


class Refresher:
    """One refresh per refresh token in this process; concurrent requests take the same result."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._inflight: dict[str, asyncio.Future] = {}
        self._done: dict[str, tuple[float, dict]] = {}  # spent token hash -> (when, new tokens), for 30 s

    async def refresh(self, session: Session) -> Session | None:
        key = hashlib.sha256(session.refresh_token.encode()).hexdigest()
        now = time.time()
        self._done = {k: v for k, v in self._done.items() if now - v[0] < 30}
        if key in self._done:
            return _renewed(session, self._done[key][1])
        if key in self._inflight:
            tokens = await asyncio.shield(self._inflight[key])
            return _renewed(session, tokens) if tokens else None
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        tokens = None
        try:
            tokens = await self.api.call(
                clients.TOKEN,
                token=None,
                data={"grant_type": "refresh_token", "refresh_token": session.refresh_token},
            )
            self._done[key] = (now, tokens)
        except Problem:
            tokens = None
        finally:
            future.set_result(tokens)
            del self._inflight[key]
        return _renewed(session, tokens) if tokens else None


def _renewed(session: Session, tokens: dict) -> Session:
    fresh = Session.from_tokens(tokens, csrf=session.csrf)
    fresh.started_at = session.started_at
    return fresh


@dataclass(frozen=True)
class User:
    """Who is signed in, from the verified access token."""

    principal: Principal
    session: Session

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(str(r) for r in self.principal.roles)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles)) or "admin" in self.roles
