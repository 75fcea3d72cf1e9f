"""Rate limits per caller (`limits`, moving windows): a bearer token is one caller, an anonymous client (a
webhook sender, a bot) is its address. Over the limit: 429 problem+json with `Retry-After`.

Limits come from settings (`PROPDESK_RATE_LIMIT_PER_TOKEN`, `PROPDESK_RATE_LIMIT_PER_ADDRESS`, in the
`limits` notation such as "1200/minute"; empty switches one off). The windows are kept in the process: with N
replicas behind a balancer a caller gets up to N times the limit (a shared store is issue 20's).
"""

from __future__ import annotations

import hashlib
import math
import time

from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from propdesk.common.errors import TooManyRequests
from propdesk.common.i18n import Text


class Limiter:
    def __init__(self, per_token: str, per_address: str) -> None:
        self.per_token: RateLimitItem | None = parse(per_token) if per_token else None
        self.per_address: RateLimitItem | None = parse(per_address) if per_address else None
        self.strategy = MovingWindowRateLimiter(MemoryStorage())

    async def check(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            item, who = self.per_token, "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        else:
            item, who = self.per_address, "addr:" + (request.client.host if request.client else "unknown")
        if item is None or await self.strategy.hit(item, who):
            return
        stats = await self.strategy.get_window_stats(item, who)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyRequests(
            Text(
                f"请求过于频繁：上限 {item}，{wait} 秒后再试", f"over the limit of {item}; retry in {wait} s"
            ),
            headers={"Retry-After": str(wait)},
        )


async def rate_limit(request: Request) -> None:
    """App dependency: every operation counts against its caller's window."""
    runtime = getattr(request.app.state, "runtime", None)
    limiter = getattr(runtime, "limiter", None)
    if limiter is not None:
        await limiter.check(request)
