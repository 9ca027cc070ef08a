"""The errors a use case may raise on purpose, each meant for a person: a shell (the CLI,
later the web app) turns one into one line, without knowing which layer raised it."""

from afterview.engine.domain.events import UnknownEventType
from afterview.engine.domain.state import DomainError, InvalidValue
from afterview.engine.store.base import StoreError, StoreOpenError

__all__ = ["DomainError", "InvalidValue", "StoreError", "StoreOpenError", "UnknownEventType"]
