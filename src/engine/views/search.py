"""Finding things: applications filtered and sorted, the text search across everything
recorded, and the people met across applications."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from afterview.engine.domain.state import Application, Listed, Listing

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

SORT_KEYS: dict[str, Callable[[Listed], SupportsRichComparison]] = {
    "id": lambda a: a.id,
    "company": lambda a: (a.company.casefold(), a.id),
    "applied": lambda a: (a.applied_at or datetime.min, a.id),
    "updated": lambda a: (a.last_event_at or datetime.min, a.id),
    "priority": lambda a: (a.priority or 6, a.id),  # 1 first, none last
    "state": lambda a: (a.state, a.id),
}


def filtered(apps: Iterable[Listing], *, state: str | None = None,
             company: str | None = None, tags: Sequence[str] = (),
             since: datetime | None = None) -> list[Listing]:
    """The applications in ``state``, at a company whose name contains ``company`` (any
    case), with every tag of ``tags``, applied at or after ``since``."""
    wanted = {t.strip().casefold() for t in tags}
    return [a for a in apps
            if (state is None or a.state == state)
            and (company is None or company.casefold() in a.company.casefold())
            and wanted <= {t.casefold() for t in a.tags}
            and (since is None or (a.applied_at is not None and a.applied_at >= since))]


class Hit(NamedTuple):
    application: str
    company: str
    role: str
    where: str  # "company", "note", "question", "answer", "contact", "feedback", ...
    text: str
    at: datetime | None = None


def search(apps: Iterable[Application], text: str) -> list[Hit]:
    """Every place ``text`` (any case) appears: companies, roles, notes, questions, answers,
    tips, contacts, feedback, reflections, tags and job descriptions."""
    needle = text.strip().casefold()
    if not needle:
        return []
    hits = []
    for app in sorted(apps, key=lambda a: a.id):
        hits += [Hit(app.id, app.company, app.role, where, found, at)
                 for where, found, at in _texts(app) if needle in found.casefold()]
    return hits


def _texts(app: Application) -> Iterable[tuple[str, str, datetime | None]]:
    yield "company", app.company, app.applied_at
    yield "role", app.role, app.applied_at
    for tag in app.tags:
        yield "tag", tag, None
    for contact in app.contacts:
        yield "contact", ", ".join(v for v in (contact.name, contact.title, contact.email) if v), None
    for interview in app.interviews:
        for question in interview.questions:
            yield f"question (round {interview.round})", question.question, interview.held_at
            if question.answer:
                yield f"answer (round {interview.round})", question.answer, interview.held_at
            if question.better:
                yield f"better answer (round {interview.round})", question.better, interview.held_at
        if interview.note:
            yield f"interview note (round {interview.round})", interview.note, interview.held_at
    for at, note in app.notes:
        yield "note", note, at
    for feedback in app.feedback:
        yield "feedback", feedback, None
    for reflection in app.reflections:
        yield "reflection", reflection, None
    if app.job_description:
        yield "job description", app.job_description, app.applied_at


class Person(NamedTuple):
    name: str
    title: str | None
    email: str | None
    application: str
    company: str
    met_at: datetime | None  # the first interview held with them
    last_written_at: datetime | None  # the last thank-you to them (or to no one named) or follow-up


def people(apps: Iterable[Application]) -> list[Person]:
    """Every person across applications (contacts and interviewers), by name."""
    found: list[Person] = []
    for app in apps:
        names = {c.name: c for c in app.contacts}
        for interview in app.interviews:
            for name in interview.interviewers:
                names.setdefault(name, None)  # type: ignore[arg-type]  # met, never added
        for name, contact in names.items():
            met = [i.held_at for i in app.interviews if name in i.interviewers]
            met_at = min((m for m in met if m is not None), default=None)
            written = [at for at, to in app.thanked if name in to or not to] + app.follow_ups
            found.append(Person(name, contact.title if contact else None,
                                contact.email if contact else None, app.id, app.company,
                                met_at, max(written, default=None)))
    return sorted(found, key=lambda p: (p.name.casefold(), p.application))
