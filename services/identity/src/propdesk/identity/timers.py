"""identity's durable timers: none. Codes, one-time codes and sign-ins in flight expire by their own
timestamps (checked when used); signing keys rotate when the current one's `retires_at` has passed."""

from __future__ import annotations

HANDLERS: dict = {}
