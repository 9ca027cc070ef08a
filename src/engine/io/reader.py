"""What the exports of this layer read of a job search: the reading side of the service's
``Engine``, as an interface (io sits below the service and never imports it)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from afterview.engine.domain.state import Fact


class SearchLog(Protocol):
    """A job search's log, read: every application's facts, the time, the head hash."""

    @property
    def tz(self) -> ZoneInfo: ...

    def now(self) -> datetime: ...

    def all_facts(self) -> dict[str, list[Fact]]: ...

    def head(self) -> tuple[int, str]: ...
