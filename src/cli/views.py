"""Readable text for ``show``: one application's facts, offers and open tasks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cli import render

if TYPE_CHECKING:
    from engine.domain import Application
    from engine.settings import Settings


def show_text(app: Application, now: datetime, settings: Settings) -> str:
    lines = [
        render.paint(f"{app.company} — {app.role}", bold=True),
        f"id: {app.id}    state: {render.state_label(app.state)}"
        f" (since {render.short_time(app.updated_at) if app.updated_at else '-'})",
    ]
    if app.applied_at:
        lines.append(f"applied: {render.short_time(app.applied_at)}"
                     + (f" via {app.source}" if app.source else ""))
    for label, value in (("url", app.url), ("location", app.location)):
        if value:
            lines.append(f"{label}: {value}")
    if app.contacts:
        lines.append("contacts: " + ", ".join(
            c.name + (f" ({c.title})" if c.title else "") for c in app.contacts))
    for interview in app.interviews:
        when = interview.held_at or interview.scheduled_for
        state = "held" if interview.held_at else "scheduled"
        people = f" with {', '.join(interview.interviewers)}" if interview.interviewers else ""
        lines.append(f"interview round {interview.round} {state} "
                     f"{render.short_time(when) if when else ''}{people}")
    for offer_round in app.rounds:
        terms = offer_round.terms
        label = "offer" if offer_round.side == "offer" else "your counter"
        lines.append(f"{label} {render.short_time(offer_round.at)}: {terms.currency} "
                     f"{terms.base:,} base")
    for at, text in app.notes:
        lines.append(f"note {render.short_time(at)}: {text}")
    tasks = app.open_tasks()
    if tasks:
        lines.append("")
        lines.append(render.agenda(tasks, now))
    return "\n".join(lines)
