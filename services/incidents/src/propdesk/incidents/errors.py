"""incidents's errors. Its domain's own arrive with its issue."""

from __future__ import annotations

from propdesk.common.projections import EstateNotKnown

__all__ = ["EstateNotKnown"]
