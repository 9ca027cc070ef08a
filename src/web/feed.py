"""The calendar feed's secret: a random string kept in a file beside the database (0600),
separate from the launch token so a calendar application can hold it, and revocable (a new
one replaces it and the old address stops working)."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from pathlib import Path


class FeedSecret:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".feed-secret")
        self._lock = threading.Lock()

    def current(self) -> str:
        """The secret, made on first use."""
        with self._lock:
            try:
                found = self.path.read_text(encoding="ascii").strip()
            except FileNotFoundError:
                found = ""
            return found or self._write()

    def revoke(self) -> str:
        """A new secret; the old feed address stops working."""
        with self._lock:
            return self._write()

    def matches(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given), self.current())

    def _write(self) -> str:
        secret = secrets.token_urlsafe(32)
        temporary = self.path.with_name(self.path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="ascii") as out:
            out.write(secret + "\n")
        os.replace(temporary, self.path)
        return secret
