"""The shell that runs in time: the clock, the daemon and its notifications and hooks, message templates."""
