"""Where messages go out: the providers of a channel (managed through the API first, then settings)
and the HTTP connection pool."""

from __future__ import annotations

import asyncio
import re
import uuid

import aiohttp
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections, signatures
from propdesk.common.auth import Principal
from propdesk.common.db import settings_of
from propdesk.common.errors import Forbidden
from propdesk.common.i18n import Text
from propdesk.notify.config import ProviderConfig
from propdesk.notify.errors import InvalidCallback, InvalidProvider, ProviderNameTaken, UnknownProvider
from propdesk.notify.models import Provider, estate

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


async def close_clients() -> None:
    """The service stops: its connection pool closes (no "Unclosed client session" at exit)."""
    for client in list(_clients.values()):
        await client.close()
    _clients.clear()


async def providers_for(
    session: AsyncSession, channel: str, estate_id: uuid.UUID | None = None
) -> list[ProviderConfig]:
    """The channel's providers for an estate's messages, in the order they are tried: the estate's own (by
    priority), then the platform's managed through the API, then those in settings (unless the API manages
    one of the same name). Another estate's providers never send this estate's messages."""
    rows = (
        (
            await session.execute(
                select(Provider)
                .where(
                    Provider.channel == channel,
                    Provider.active.is_(True),
                    or_(Provider.estate_id.is_(None), Provider.estate_id == estate_id),
                )
                .order_by(Provider.estate_id.nulls_last(), Provider.priority, Provider.name)
            )
        )
        .scalars()
        .all()
    )
    managed = [ProviderConfig(name=r.name, url=r.url, secret=r.secret) for r in rows]
    names = {p.name for p in managed} | set((await session.execute(select(Provider.name))).scalars())
    return managed + [p for p in settings_of(session).providers(channel) if p.name not in names]


async def chain_channels(session: AsyncSession, estate_id: uuid.UUID | None = None) -> list[str]:
    """The critical fallback chain's channels that have a provider for the estate's messages."""
    return [c for c in settings_of(session).critical_chain if await providers_for(session, c, estate_id)]


def _may_manage(principal: Principal, estate_id: uuid.UUID | None) -> None:
    if estate_id is None:
        if not principal.all_estates:
            raise Forbidden(
                Text(
                    "平台通用的服务商仅平台管理员可管理",
                    "Only the platform's admins manage providers for every estate",
                )
            )
    else:
        principal.require_estate(estate_id)


async def managed(session: AsyncSession, principal: Principal) -> list[Provider]:
    """Those the caller may manage: their estates' (and, for the platform's admins, every one)."""
    stmt = select(Provider).order_by(Provider.channel, Provider.priority)
    if not principal.all_estates:
        stmt = stmt.where(Provider.estate_id.in_(list(principal.estates)))
    return list((await session.execute(stmt)).scalars())


async def put(
    session: AsyncSession,
    name: str,
    *,
    estate_id: uuid.UUID | None,
    channel: str,
    url: str,
    priority: int,
    active: bool,
    secret: str | None,
    principal: Principal,
) -> Provider:
    """Add or change a provider (a new one needs its secret). Its estate is fixed when it is added."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,63}", name):
        raise InvalidProvider(Text("服务商名称无效", "Invalid provider name (a-z, 0-9, _ and -)"))
    _may_manage(principal, estate_id)
    provider = await session.get(Provider, name, with_for_update=True)
    if provider is None:
        if secret is None:
            raise InvalidProvider(Text("新服务商需要签名密钥", "A new provider needs a secret"))
        if estate_id is not None:
            await projections.require_known_estate(session, estate, estate_id, "notify")
        provider = Provider(name=name, estate_id=estate_id, secret=secret, updated_by=principal.sub)
        session.add(provider)
    else:
        if provider.estate_id != estate_id:  # the name is another estate's (or the platform's) provider
            raise ProviderNameTaken(f"the name {name} is taken")
        if secret is not None:
            provider.secret = secret
    provider.channel, provider.url, provider.priority, provider.active = channel, url, priority, active
    provider.updated_by = principal.sub
    await session.flush()
    return provider


async def named(session: AsyncSession, name: str) -> ProviderConfig | None:
    """The provider a callback names (managed or from settings), with its secret."""
    row = await session.get(Provider, name)
    if row is not None:
        return ProviderConfig(name=row.name, url=row.url, secret=row.secret)
    return next(
        (p for c in ("sms", "push", "voice") for p in settings_of(session).providers(c) if p.name == name),
        None,
    )


async def from_provider(session: AsyncSession, provider: str, request, model, route: str, apply) -> dict:
    """A message a provider sends us (a delivery report, an inbound SMS): verified with that provider's secret
    (Standard Webhooks), parsed as `model` (422 naming what is wrong), then `apply(parsed)` once: a copy of the
    message gets the same answer."""
    config = await named(session, provider)
    if config is None:
        raise UnknownProvider(f"no provider named {provider}")
    message_id, body = await signatures.verify(request, config.secret.get_secret_value())
    try:
        parsed = model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidCallback(str(exc).split("\n")[0], errors=exc.errors(include_url=False)) from exc

    async def run() -> tuple[object, int]:
        return await apply(parsed), 200

    answer, _ = await signatures.once(
        session, sender=f"provider:{provider}", message_id=message_id, route=route, body=body, run=run
    )
    return answer
