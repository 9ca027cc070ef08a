"""``show``: everything recorded about one application, section by section: contacts,
interviews with the people met and the questions, every offer and counter with what
changed, feedback, reflections, notes, open and closed tasks, the next step and the last
contact."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from afterview.cli.output import render, times, views

if TYPE_CHECKING:
    from afterview.engine.domain.calendar import WorkCalendar
    from afterview.engine.domain.settings import Settings
    from afterview.engine.domain.state import Application, Contact, Interview, SalaryRange


def show_text(app: Application, now: datetime, settings: Settings,
              others: Sequence[Application] = (), calendar: WorkCalendar | None = None) -> str:
    from afterview.engine.domain.offers import acceptance_plan, negotiation_aid

    sections = [_summary(app, now)]
    people = {c.name: c.title for c in app.contacts}
    for title, lines in (
        ("Contacts", [_contact_line(c) for c in app.contacts]),
        ("Interviews", [line for i in app.interviews for line in _interview_lines(i, people)]),
        ("Offers and counters", views.round_lines(app)[1:]),
        ("Feedback", [f"  {text}" for text in app.feedback]
         + ([f"  asked for on {times.when_text(app.feedback_requested_at)}"]
            if app.feedback_requested_at and not app.feedback else [])),
        ("Reflections", [f"  {text}" for text in app.reflections]),
        ("Notes", [f"  {times.when_text(at)}: {text}" for at, text in app.notes]),
        ("Job description", [f"  {line}" for line in (app.job_description or "").splitlines()]),
    ):
        if lines:
            sections.append("\n".join([render.paint(title, bold=True), *lines]))
    aid = negotiation_aid(app, settings)
    if aid is not None:
        sections.append("\n".join(views.negotiation_lines(aid, app.id)))
    plan = acceptance_plan(app, others, settings, calendar)
    if plan is not None:
        sections.append("\n".join(views.plan_lines(plan, now)))
    sections.append(_tasks(app, now))
    return "\n\n".join(_wrap(section) for section in sections)


def _summary(app: Application, now: datetime) -> str:
    from afterview.engine.views.board import soonest_task

    since = times.when_text(app.updated_at) if app.updated_at else "-"
    lines = [render.paint(f"{app.company} — {app.role}", bold=True),
             f"id: {app.id}",
             f"state: {render.state_label(app.state)} (since {since})"]
    if app.applied_at:
        lines.append(f"applied: {times.when_text(app.applied_at)}"
                     + (f" via {app.source}" if app.source else ""))
    if app.discarded is not None:
        lines.append(render.paint(f"DISCARDED: {app.discarded} (void the discard to restore it)",
                                  "red", bold=True))
    lines += [f"{label}: {value}" for label, value in (
        ("url", app.url), ("location", app.location), ("referred by", app.referred_by),
        ("tags", ", ".join(app.tags)), ("priority", app.priority),
        ("salary range", _range(app.salary_range))) if value]
    step = soonest_task(app)
    if step is not None:
        lines.append(f"next step: {step.title}, due {times.when_text(step.due_at)}")
    contact = app.last_contact_at
    if contact is not None:
        days = times.days_ago(contact)
        quiet = ("; gone quiet after your follow-ups: consider 'afterview withdraw "
                 f"{app.id}'") if app.gone_quiet(now) else ""
        ago = f" ({days} days ago)" if days is not None and days > 1 else ""
        lines.append(f"last contact: {times.day_text(times.local(contact).date())}{ago}{quiet}")
    return "\n".join(lines)


def _range(salary_range: SalaryRange | None) -> str | None:
    from afterview.engine.domain.offers import format_money

    if salary_range is None:
        return None
    low, high, currency = salary_range
    shown = ["?" if value is None else format_money(value) for value in (low, high)]
    return f"{shown[0]}-{shown[1]} {currency or ''}".rstrip()


def _contact_line(contact: Contact) -> str:
    return "  " + ", ".join(v for v in (contact.name, contact.title, contact.email) if v)


def _interview_lines(interview: Interview, people: dict[str, str | None]) -> list[str]:
    """The round as the views say it (scheduled, moved, held, cancelled), its kind, the
    people met with their titles, each question with your answer and tip, the note."""
    how = f" ({interview.kind})" if interview.kind else ""
    line = views.interview_line(interview)
    if interview.interviewers:  # the same people, with their titles
        line = line[:line.rindex(" with ")]
    met = [f"{n} ({people[n]})" if people.get(n) else n for n in interview.interviewers]
    lines = ["  " + line + how + (f"; with {', '.join(met)}" if met else "")]
    for question in interview.questions:
        lines.append(f"    Q: {question.question}")
        lines += [f"       {label}: {text}" for label, text in (
            ("you answered", question.answer), ("better", question.better)) if text]
    return lines + ([f"    note: {interview.note}"] if interview.note else [])


def _tasks(app: Application, now: datetime) -> str:
    tasks = app.open_tasks()
    shown = [render.agenda(tasks, now)] if tasks else ["No open tasks."]
    closed = sorted((t for t in app.tasks.values() if not t.is_open),
                    key=lambda t: t.closed_at or t.due_at)
    if closed:
        shown.append(render.paint(f"CLOSED ({len(closed)})", bold=True) + "\n" + render.table(
            ("task", "closed", "how", "what"),
            [(t.id, t.closed_at, t.outcome or t.status, t.title) for t in closed],
            wrap=("what",)))
    return "\n\n".join(shown)


def _wrap(section: str) -> str:
    """Long lines go on below, indented like their first line, within the terminal."""
    width = render.terminal_width()
    if width is None:
        return section
    lines = []
    for line in section.splitlines():
        if len(line) <= width or isinstance(line, render.Styled) or "  " in line.strip():
            lines.append(line)  # short, coloured, or a table row: as it is
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        lines.append(textwrap.fill(line, width, subsequent_indent=indent,
                                   break_on_hyphens=False))
    return "\n".join(lines)
