"""The event store: the interface, the hash chain and the backends, opened with open_store(url)."""

from afterview.engine.store.open import open_store

__all__ = ["open_store"]
