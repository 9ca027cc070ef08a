"""The one clock: the wall clock, or ``AFTERVIEW_NOW`` when it is set (tests, demos, replays).

This is the shell: the domain never calls it, it is handed ``now`` in its context.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]

ENV_NOW = "AFTERVIEW_NOW"


def system_clock(tz: ZoneInfo) -> Clock:
    """``AFTERVIEW_NOW`` if set (read once per call, so a long-running daemon sees the fixed
    time), else the wall clock in ``tz``."""

    def now() -> datetime:
        fixed = os.environ.get(ENV_NOW)
        if fixed:
            from afterview.engine.domain.calendar import parse_now

            return parse_now(fixed, tz)
        return datetime.now(tz)

    return now


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment
