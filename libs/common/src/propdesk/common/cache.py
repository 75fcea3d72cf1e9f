"""A per-process cache for configuration read on hot paths (an estate's time zone, quiet hours, templates,
a roster). Entries live `ttl` seconds; a change made through this process forgets them at once, other
replicas see it within `ttl`. Values may be None (remembered as "there is none")."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

_MISSING = object()


class TTLCache:
    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, default: Any = _MISSING) -> Any:
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return default

    def put(self, key: Hashable, value: Any, ttl: float | None = None) -> Any:
        self._entries[key] = (time.monotonic() + (self.ttl if ttl is None else ttl), value)
        return value

    async def get_or_load(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        value = self.get(key)
        return self.put(key, await load()) if value is _MISSING else value

    def forget(self, match: Callable[[Hashable], bool] | None = None) -> None:
        """Forget every entry (or those whose key `match`es)."""
        for key in [k for k in self._entries if match is None or match(k)]:
            self._entries.pop(key, None)
