"""The event store: the interface, the hash chain and the backends, opened with open_store(url)."""
