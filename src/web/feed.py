"""The calendar feed's secret: a random string kept in a file beside the database (0600),
separate from the launch token so a calendar application can hold it, and revocable (a new
one replaces it and the old address stops working)."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from pathlib import Path


def secret_file(db_file: Path | None, location: str, tenant: str | None) -> Path:
    """Where the feed secret of this log is kept: beside its database file, or, for a
    tenant of a shared database, in afterview's user data folder under a name derived from
    the database (without its password) and the tenant."""
    if db_file is not None:
        return db_file.with_name(db_file.name + ".feed-secret")
    import hashlib

    from platformdirs import user_data_dir

    from afterview.engine.service.shared import describe

    key = hashlib.sha256(f"{describe(location)}\0{tenant}".encode()).hexdigest()[:32]
    folder = Path(user_data_dir("afterview", appauthor=False)) / "feeds"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{key}.feed-secret"


class FeedSecret:
    def __init__(self, path: Path) -> None:
        """``path``: the file that keeps the secret (0600), beside the database file, or in
        the user data folder for a shared PostgreSQL database (``secret_file``)."""
        self.path = path
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
