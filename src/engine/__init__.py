"""afterview engine: the event log, the lifecycle, the policies and the daemon (no CLI)."""
