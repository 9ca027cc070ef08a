"""Output: JSON objects for scripts (the shapes of docs/cli.md) and plain tables for people.

Colour only on a terminal and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from afterview.cli.output import times
from afterview.cli.output.tables import (  # re-exported: the renderers' one import
    Styled as Styled,
)
from afterview.cli.output.tables import (
    colour_enabled as colour_enabled,
)
from afterview.cli.output.tables import (
    grouped_table as grouped_table,
)
from afterview.cli.output.tables import (
    paint as paint,
)
from afterview.cli.output.tables import (
    table as table,
)
from afterview.cli.output.tables import (
    terminal_width as terminal_width,
)
from afterview.cli.output.tables import (
    use_wide as use_wide,
)

if TYPE_CHECKING:
    from afterview.engine.domain.events import JsonObject, OfferTerms
    from afterview.engine.domain.state import Listed, OfferRound, Task
    from afterview.engine.views.board import ComingInterview

STATE_ORDER = ("applied", "interviewing", "offered", "negotiating", "accepted", "withdrawn",
               "declined")
_STATE_COLOURS = {"offered": "green", "negotiating": "yellow", "accepted": "bright_green",
                  "declined": "red", "withdrawn": "bright_black", "interviewing": "cyan"}


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


def reset() -> None:
    """Forget the per-command layout (--wide, the time frame): each command starts afresh."""
    use_wide(False)
    times.use_frame(None)


def short_time(moment: datetime, *, relative: bool = True) -> str:
    """A time for people: the configured zone, the weekday, near now in words."""
    return times.when_text(moment, relative=relative)


def state_label(state: str) -> str:
    return paint(state, _STATE_COLOURS.get(state))


def board(apps: Sequence[Listed], now: datetime | None = None, *,
          keep_order: bool = False) -> str:
    """Applications grouped by state, in lifecycle order: each with its next step and when
    it is due, the days in its state and the last contact; the ones gone quiet (a
    follow-up, and the follow-up after it, met with silence) are marked."""
    from afterview.engine.views.board import soonest_task

    if not apps:
        return "No applications yet. Start with: afterview apply COMPANY ROLE"
    now = now or times.now() or max(a.last_event_at or datetime.min for a in apps)
    quiet = [a.id for a in apps if a.gone_quiet(now)]
    quiet_ids = set(quiet)
    groups = []
    for state in STATE_ORDER:
        group = [a for a in apps if a.state == state]
        if not keep_order:
            group.sort(key=lambda a: a.last_event_at or datetime.min)
        if not group:
            continue
        heading = paint(f"{state.upper()} ({len(group)})", _STATE_COLOURS.get(state), bold=True)
        rows = []
        for app in group:
            step, contact = soonest_task(app), app.last_contact_at
            rows.append((app.id + (" (gone quiet)" if app.id in quiet_ids else "")
                         + (" (discarded)" if app.discarded is not None else ""),
                         app.company, app.role, step.kind if step else "-",
                         times.local(step.due_at).date() if step else None,
                         times.days_ago(app.updated_at),
                         times.local(contact).date() if contact else None))
        groups.append((heading, rows))
    table_text = grouped_table(("id", "company", "role", "next step", "due", "days",
                                "last contact"), groups, optional=("role", "company"),
                               cut_first=("role", "company", "id"))
    hints = [f"{app_id} has gone quiet after your follow-ups: consider 'afterview withdraw "
             f"{app_id}'" for app_id in quiet]
    return "\n\n".join([table_text, *hints])


_AGENDA_COLUMNS = ("task", "due", "", "what", "id")


def agenda(tasks: Sequence[Task], now: datetime, interviews: Sequence[ComingInterview] = (),
           *, week: bool = False, prefixes: Mapping[str, str] | None = None) -> str:
    """Overdue tasks, then today (tasks and interviews), then what comes later: the other
    tasks and the interviews of the next seven days; with ``week``, the coming seven days
    one by one. A task is shown by its short reference (APP#n), with APP cut to the
    shortest prefix that names it among ``prefixes``'s applications."""
    if not tasks and not interviews:
        return "Nothing to do: no open tasks and no interviews coming."
    today = times.local(now).date()
    overdue = [t for t in tasks if t.due_at <= now]
    prefixes = prefixes or {}
    entries = [(t.due_at, _task_row(t, now, prefixes)) for t in tasks if t.due_at > now]
    entries += [(i.at, _interview_row(i)) for i in interviews]
    entries.sort(key=lambda entry: (entry[0], str(entry[1][0])))  # same time: by reference
    groups = [(paint(f"OVERDUE ({len(overdue)})", "red", bold=True),
               [_task_row(t, now, prefixes) for t in sorted(
                   overdue, key=lambda t: (t.due_at, t.application, t.number))])]
    days = sorted({times.local(at).date() for at, _ in entries} | {today})
    for day in days if week else [today]:
        rows = [row for at, row in entries if times.local(at).date() == day]
        name = "TODAY" if day == today else times.day_text(day).upper()
        groups.append((paint(f"{name} ({len(rows)})", bold=True), rows))
    if not week:
        later = [row for at, row in entries if times.local(at).date() > today
                 and (row[0] != "interview" or at <= now + timedelta(days=7))]
        groups.append((paint(f"LATER ({len(later)})", bold=True), later))
    return grouped_table(_AGENDA_COLUMNS, [g for g in groups if g[1]], wrap=("what",),
                         optional=("id",))


def short_prefixes(application_ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest prefix, in whole words, that no other id starts with: what a
    task reference needs (``hooli#6`` for ``hooli-staff-engineer#6``)."""
    ids = sorted(set(application_ids))
    found = {}
    for index, app_id in enumerate(ids):
        neighbours = ids[max(index - 1, 0):index] + ids[index + 1:index + 2]
        words = app_id.split("-")
        for count in range(1, len(words) + 1):
            prefix = "-".join(words[:count])
            if not any(other.startswith(prefix) for other in neighbours):
                found[app_id] = prefix
                break
        else:
            found[app_id] = app_id
    return found


def _task_row(task: Task, now: datetime, prefixes: Mapping[str, str]) -> tuple[object, ...]:
    overdue = task.due_at <= now
    words = " ".join(w for w, shown in (("OVERDUE", overdue), ("fired", task.fired)) if shown)
    ref = f"{prefixes[task.application]}#{task.number}" if task.application in prefixes \
        else task.ref
    return (ref, task.due_at, paint(words, "red", bold=True) if overdue else words,
            task.title, task.id)


def _interview_row(interview: ComingInterview) -> tuple[object, ...]:
    how = f", {interview.kind}" if interview.kind else ""
    people = f" with {', '.join(interview.interviewers)}" if interview.interviewers else ""
    return ("interview", interview.at, "",
            f"Interview round {interview.round} at {interview.company} "
            f"({interview.role}){how}{people}", None)
