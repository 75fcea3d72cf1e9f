"""Fault-injection points for the backbone's crash tests.

`PROPDESK_FAULT=relay.after_publish` makes the process SIGKILL itself the first time it passes that
point, exactly as a power cut would. Unset (always, outside tests), `hit` is one dict lookup.
"""

from __future__ import annotations

import os
import signal


def hit(point: str) -> None:
    if os.environ.get("PROPDESK_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
