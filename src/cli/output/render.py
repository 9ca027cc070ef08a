"""Output: JSON objects for scripts (the shapes of docs/cli.md) and plain tables for people.

Colour only on a terminal and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import click

from afterview.cli.output import times

if TYPE_CHECKING:
    from afterview.engine.domain.events import JsonObject, OfferTerms
    from afterview.engine.domain.state import Application, OfferRound, Task

STATE_ORDER = ("applied", "interviewing", "offered", "negotiating", "accepted", "withdrawn",
               "declined")
_STATE_COLOURS = {"offered": "green", "negotiating": "yellow", "accepted": "bright_green",
                  "declined": "red", "withdrawn": "bright_black", "interviewing": "cyan"}


def colour_enabled() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


class Styled(str):
    """Text coloured by ``paint``; ``plain`` is what shows, for widths in tables."""

    plain: str

    def __new__(cls, styled: str, plain: str) -> Styled:
        made = super().__new__(cls, styled)
        made.plain = plain
        return made


def paint(text: str, colour: str | None = None, *, bold: bool = False) -> str:
    if not colour_enabled() or (colour is None and not bold):
        return text
    return Styled(click.style(text, fg=colour, bold=bold), text)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601, with the offset of the configured zone."""
    return times.iso(moment)


def plain_number(value: Decimal | None) -> float | int | None:
    """JSON numbers for money: whole amounts as ints, others as floats."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------------------
# JSON shapes


def terms_json(terms: OfferTerms | None) -> JsonObject:
    from afterview.engine.domain.events import to_data

    if terms is None:  # an offer recorded without its terms
        return {"currency": None, "base": None}
    data: JsonObject = to_data(terms)
    for key, value in list(data.items()):
        if key in ("equity_years", "commute_minutes", "remote_days") or value is None:
            continue
        if isinstance(value, str) and key != "currency":
            data[key] = plain_number(Decimal(value))
    return data


def offer_json(offer: OfferRound | None) -> JsonObject | None:
    if offer is None:
        return None
    return {
        **terms_json(offer.terms),
        "received_at": iso(offer.at),
        "respond_by": iso(offer.respond_by),
        "revised": offer.revised,
        "event_id": offer.event_id,
    }


def task_json(task: Task, now: datetime) -> JsonObject:
    return {
        "id": task.id,
        "application": task.application,
        "kind": task.kind,
        "title": task.title,
        "due_at": iso(task.due_at),
        "fired": task.fired,
        "overdue": task.is_open and task.due_at <= now,
        "status": task.status,
        "outcome": task.outcome,
        "scheduled_at": iso(task.scheduled_at),
        "ref": task.ref,
    }


# ---------------------------------------------------------------------------
# Tables


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces; long cells are cut with an ellipsis."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for index, value in enumerate(row):
            widths[index] = min(max(widths[index], _visible(value)), 60)
    head = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))
    lines = [paint(head.rstrip(), bold=True)]
    for row in cells:
        lines.append("  ".join(_fit(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return short_time(value)
    if isinstance(value, Styled) and _printable(value.plain) == value.plain:
        return value  # our own colour codes: kept, while any typed in are neutralised
    return _printable(str(value.plain if isinstance(value, Styled) else value))


def _printable(text: str) -> str:
    # Control characters in typed text (escape sequences) must not reach the terminal: a
    # cell shows each as its escape, and a line break too (a cell is one line).
    from afterview.engine.io.text import shown

    return shown(text)


def _visible(text: str) -> int:
    return len(text.plain) if isinstance(text, Styled) else len(text)


def _fit(text: str, width: int) -> str:
    if _visible(text) > width:
        plain = text.plain if isinstance(text, Styled) else text
        return plain[: width - 1] + "…"
    return text + " " * (width - _visible(text))


def short_time(moment: datetime, *, relative: bool = True) -> str:
    """A time for people: the configured zone, the weekday, near now in words."""
    return times.when_text(moment, relative=relative)


def long_time(moment: datetime) -> str:
    """With the weekday: ``Mon 2026-11-30 17:00``."""
    return moment.strftime("%a %Y-%m-%d %H:%M")


def state_label(state: str) -> str:
    return paint(state, _STATE_COLOURS.get(state))


def board(apps: Sequence[Application], now: datetime | None = None) -> str:
    """Applications grouped by state, in lifecycle order; with ``now``, the ones gone quiet
    (a follow-up, and the follow-up after it, met with silence) are marked."""
    if not apps:
        return "No applications yet. Start with: afterview apply COMPANY ROLE"
    quiet = [] if now is None else [a for a in apps if a.gone_quiet(now)]
    blocks = []
    for state in STATE_ORDER:
        group = sorted((a for a in apps if a.state == state),
                       key=lambda a: a.last_event_at or datetime.min)
        if not group:
            continue
        heading = paint(f"{state.upper()} ({len(group)})", _STATE_COLOURS.get(state), bold=True)
        rows = [(a.id + (" (gone quiet)" if a in quiet else "")
                 + (" (discarded)" if a.discarded is not None else ""),
                 a.company, a.role, a.updated_at, len(a.open_tasks())) for a in group]
        blocks.append(heading + "\n" + table(("id", "company", "role", "since", "tasks"), rows))
    blocks += [f"{a.id} has gone quiet after your follow-ups: consider 'afterview withdraw {a.id}'"
               for a in quiet]
    return "\n\n".join(blocks)


def agenda(tasks: Sequence[Task], now: datetime) -> str:
    """Open tasks, overdue first, then soonest first."""
    if not tasks:
        return "Nothing to do: no open tasks."
    ordered = sorted(tasks, key=lambda t: (t.due_at > now, t.due_at))
    rows = []
    for task in ordered:
        overdue = task.due_at <= now
        words = " ".join(w for w, shown in (("OVERDUE", overdue), ("fired", task.fired)) if shown)
        mark = paint(words, "red", bold=True) if overdue else words
        rows.append((task.ref, task.due_at, mark, task.id, task.title))
    return table(("task", "due", "", "id", "what"), rows)
