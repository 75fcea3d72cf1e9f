"""A per-process cache for configuration read on hot paths (an estate's time zone, quiet hours, templates,
a roster). Entries live `ttl` seconds; a change made through this process forgets them at once, other
replicas see it within `ttl`. Values may be None (remembered as "there is none")."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

_MISSING = object()


class TTLCache:
    """`max_entries` bounds it: past that, a put first drops the expired entries, then the oldest."""

    def __init__(self, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, default: Any = _MISSING) -> Any:
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return default

    def put(self, key: Hashable, value: Any, ttl: float | None = None) -> Any:
        now = time.monotonic()
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]
        self._entries[key] = (now + (self.ttl if ttl is None else ttl), value)
        return value

    def discard(self, *keys: Hashable) -> None:
        """Forget these keys (a change through this process made them stale)."""
        for key in keys:
            self._entries.pop(key, None)

    async def get_or_load(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        value = self.get(key)
        return self.put(key, await load()) if value is _MISSING else value

    def forget(self, match: Callable[[Hashable], bool] | None = None) -> None:
        """Forget every entry (or those whose key `match`es: a scan; `discard` for known keys)."""
        for key in [k for k in self._entries if match is None or match(k)]:
            self._entries.pop(key, None)
