"""What intake does when a durable timer fires. Case SLA clocks arrive with the cases issue."""

from __future__ import annotations

from propdesk.common.timers import TimerHandler

HANDLERS: dict[str, TimerHandler] = {}
