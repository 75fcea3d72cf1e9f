"""Where messages go out: the providers of a channel (managed through the API first, then settings)
and the HTTP connection pool."""

from __future__ import annotations

import asyncio

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import settings_of
from propdesk.notify.config import ProviderConfig
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
