"""Application ids, allocated in one place: from the company and the role, unique in the log
and among the applications a batch is still deciding."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from afterview.engine.domain.state import PROFILE_STREAM, InvalidValue, is_usable_id


def slug(company: str, role: str) -> str:
    """``Acme Corp``, ``Backend Engineer`` -> ``acme-corp-backend-engineer``."""
    text = unicodedata.normalize("NFKD", f"{company} {role}").encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:60].rstrip("-") or "application"


def check_chosen_id(application_id: str) -> str:
    """An id a person chose, refused when it is not one they may use."""
    if not is_usable_id(application_id):
        raise InvalidValue(
            f"{application_id!r} is not a usable id: use lowercase letters, digits "
            "and dashes, starting with a letter or digit"
        )
    return application_id


class ApplicationIds:
    """The ids already taken, and the next free one for a company and role: the slug, else
    the slug with ``-2``, ``-3``, ... The settings stream is never handed out."""

    def __init__(self, taken: Iterable[str]) -> None:
        self._taken = set(taken)
        self._taken.add(PROFILE_STREAM)

    def new(self, company: str, role: str) -> str:
        """A fresh id, taken from now on."""
        base = slug(company, role)
        candidate, number = base, 2
        while candidate in self._taken:
            candidate, number = f"{base}-{number}", number + 1
        self._taken.add(candidate)
        return candidate

    def claim(self, application_id: str) -> bool:
        """Take this id for a new application, if it is free."""
        if application_id in self._taken:
            return False
        self._taken.add(application_id)
        return True
