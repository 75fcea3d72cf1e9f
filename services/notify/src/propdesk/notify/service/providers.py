"""Where messages go out: the providers of a channel (managed through the API first, then settings)
and the HTTP connection pool."""

from __future__ import annotations

import asyncio
import re

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import settings_of
from propdesk.common.i18n import Text
from propdesk.notify.config import ProviderConfig
from propdesk.notify.errors import InvalidProvider
from propdesk.notify.models import Provider

SEND_CONCURRENCY = 64

_clients: dict[int, aiohttp.ClientSession] = {}


def http_client() -> aiohttp.ClientSession:
    """One keep-alive connection pool per event loop (a service has one; tests start a loop per test).
    aiohttp, not httpx: on this machine it sends ~20 × as many small POSTs per second (docs/performance.md)."""
    loop = id(asyncio.get_running_loop())
    if loop not in _clients:
        _clients.clear()
        _clients[loop] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=SEND_CONCURRENCY))
    return _clients[loop]


async def providers_for(session: AsyncSession, channel: str) -> list[ProviderConfig]:
    """The channel's providers in the order they are tried: those managed through the API (by priority),
    then those in settings (unless the API manages one of the same name)."""
    rows = (
        (
            await session.execute(
                select(Provider)
                .where(Provider.channel == channel, Provider.active.is_(True))
                .order_by(Provider.priority, Provider.name)
            )
        )
        .scalars()
        .all()
    )
    managed = [ProviderConfig(name=r.name, url=r.url, secret=r.secret) for r in rows]
    names = {p.name for p in managed} | set((await session.execute(select(Provider.name))).scalars())
    return managed + [p for p in settings_of(session).providers(channel) if p.name not in names]


async def chain_channels(session: AsyncSession) -> list[str]:
    """The critical fallback chain's channels that have a provider."""
    return [c for c in settings_of(session).critical_chain if await providers_for(session, c)]


async def managed(session: AsyncSession) -> list[Provider]:
    return list(
        (await session.execute(select(Provider).order_by(Provider.channel, Provider.priority))).scalars()
    )


async def put(
    session: AsyncSession,
    name: str,
    *,
    channel: str,
    url: str,
    priority: int,
    active: bool,
    secret: str | None,
    actor: str,
) -> Provider:
    """Add or change a provider managed through the API (a new one needs its secret)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,63}", name):
        raise InvalidProvider(Text("服务商名称无效", "Invalid provider name (a-z, 0-9, _ and -)"))
    provider = await session.get(Provider, name)
    if provider is None:
        if secret is None:
            raise InvalidProvider(Text("新服务商需要签名密钥", "A new provider needs a secret"))
        provider = Provider(name=name, secret=secret, updated_by=actor)
        session.add(provider)
    elif secret is not None:
        provider.secret = secret
    provider.channel, provider.url, provider.priority, provider.active = channel, url, priority, active
    provider.updated_by = actor
    await session.flush()
    return provider


async def named(session: AsyncSession, name: str) -> ProviderConfig | None:
    """The provider a callback names (managed or from settings), with its secret."""
    configs = [p for c in ("sms", "push", "voice") for p in await providers_for(session, c)]
    return next((p for p in configs if p.name == name), None)
