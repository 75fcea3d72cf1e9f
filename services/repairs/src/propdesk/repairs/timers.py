"""What repairs does when a durable timer fires; the domain's timers arrive with its issue."""

from __future__ import annotations

from propdesk.common.timers import TimerHandler

HANDLERS: dict[str, TimerHandler] = {}
