"""The errors a use case may raise on purpose, each meant for a person: a shell (the CLI,
the web app) turns one into one line with ``message_of``, without knowing which layer
raised it."""

import sys

from afterview.engine.domain.events import UnknownEventType
from afterview.engine.domain.state import DomainError, InvalidValue
from afterview.engine.store.base import StoreError, StoreOpenError

__all__ = ["DomainError", "InvalidValue", "StoreError", "StoreOpenError", "UnknownEventType",
           "message_of"]


def message_of(error: BaseException) -> tuple[str, int] | None:
    """The line to show for an error the engine raised on purpose, and the command line's
    exit status for it (1: refused by the rules, 2: a value that can never be right);
    None for any other error."""
    if isinstance(error, DomainError):
        return str(error), error.exit_code
    if isinstance(error, StoreError):
        return str(error), 1
    if isinstance(error, UnknownEventType):
        return (f"the log holds an event of a type this afterview does not know ({error}): "
                "it was written by a newer afterview; upgrade to read it", 1)
    calendar = sys.modules.get("afterview.engine.domain.calendar")
    if calendar is not None and isinstance(error, calendar.CalendarError):
        return str(error), 2
    return None
