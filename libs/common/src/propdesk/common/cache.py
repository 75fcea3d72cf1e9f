"""A per-process cache for configuration read on hot paths (an estate's time zone, quiet hours, templates,
a roster). Entries live `ttl` seconds; a change made through this process forgets them as soon as it commits,
other replicas see it within `ttl`. Values may be None (remembered as "there is none").

Inside a unit of work the cache is used through the session (`read`, `load`, `invalidate`,
`invalidate_where`): what a unit of work loads or invalidates is staged in it, seen by its own later reads,
and reaches the shared cache only after it commits. A rollback leaves the shared cache as it was, so it never
holds a value read from (or kept despite) data that was never committed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import uow

_MISSING = object()
_VIEW = "propdesk.cache"


class TTLCache:
    """`max_entries` bounds it: past that, a put first drops the expired entries, then the oldest."""

    def __init__(self, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    # ------------------------------------------------------------ the shared cache (after commit, or no UoW)

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
        """Forget these keys (a change made them stale)."""
        for key in keys:
            self._entries.pop(key, None)

    def forget(self, match: Callable[[Hashable], bool] | None = None) -> None:
        """Forget every entry (or those whose key `match`es: a scan; `discard` for known keys)."""
        for key in [k for k in self._entries if match is None or match(k)]:
            self._entries.pop(key, None)

    # ------------------------------------------------------------ inside a unit of work

    def read(self, session: AsyncSession, key: Hashable, default: Any = _MISSING) -> Any:
        """The unit of work's own staged value or invalidation first, then the shared cache."""
        view = _view(session)
        staged = view.staged.get((id(self), key))
        if staged is not None:
            return default if staged.discarded else staged.value
        if any(cache is self and match(key) for cache, match in view.sweeps):
            return default
        return self.get(key, default)

    async def load(self, session: AsyncSession, key: Hashable, loader: Callable[[], Awaitable[Any]]) -> Any:
        """The cached value, else `loader()`'s, which the shared cache keeps once the unit of work commits."""
        value = self.read(session, key)
        if value is _MISSING:
            value = await loader()
            self.stage(session, key, value)
        return value

    def stage(self, session: AsyncSession, key: Hashable, value: Any, ttl: float | None = None) -> Any:
        """Keep `value` for this unit of work's reads, and in the shared cache once it commits."""
        _view(session).staged[(id(self), key)] = _Staged(self, key, value, ttl, discarded=False)
        return value

    def invalidate(self, session: AsyncSession, *keys: Hashable) -> None:
        """These keys are stale once the unit of work commits (and for its own later reads at once)."""
        staged = _view(session).staged
        for key in keys:
            staged[(id(self), key)] = _Staged(self, key, None, None, discarded=True)

    def invalidate_where(self, session: AsyncSession, match: Callable[[Hashable], bool]) -> None:
        """Every key that `match`es is stale once the unit of work commits (and for its own reads at once)."""
        view = _view(session)
        for k in [k for k, v in view.staged.items() if v.cache is self and not v.discarded and match(v.key)]:
            del view.staged[k]
        view.sweeps.append((self, match))


@dataclass(frozen=True)
class _Staged:
    cache: TTLCache
    key: Hashable
    value: Any
    ttl: float | None
    discarded: bool


class _View:
    """One unit of work's staged cache entries (for every cache), copied when a savepoint starts."""

    def __init__(self) -> None:
        self.staged: dict[tuple[int, Hashable], _Staged] = {}
        self.sweeps: list[tuple[TTLCache, Callable[[Hashable], bool]]] = []

    def __copy__(self) -> _View:
        other = _View()
        other.staged, other.sweeps = dict(self.staged), list(self.sweeps)
        return other

    def apply(self) -> None:
        """After the commit: the sweeps first, then each key's last staged value or invalidation."""
        for cache, match in self.sweeps:
            cache.forget(match)
        for s in self.staged.values():
            if s.discarded:
                s.cache.discard(s.key)
            else:
                s.cache.put(s.key, s.value, s.ttl)


def _view(session: AsyncSession) -> _View:
    return uow.local(session, _VIEW, _View, on_commit=_View.apply)
