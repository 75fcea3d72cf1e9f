"""UUIDv7 keys (time-ordered, index friendly) and human references like WO-202611-000123."""

from __future__ import annotations

import uuid

import uuid6


def uuid7() -> uuid.UUID:
    return uuid.UUID(int=uuid6.uuid7().int)


def human_ref(prefix: str, period: str, number: int) -> str:
    """`human_ref("WO", "202611", 123)` -> `WO-202611-000123`."""
    return f"{prefix}-{period}-{number:06d}"
