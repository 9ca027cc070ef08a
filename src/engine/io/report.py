"""The activity report: a dated log of what you did in your job search (applications,
interviews, follow-ups, thank-you notes, offers, decisions) with companies, roles and
contacts, the kind of record an unemployment-benefits office asks for.

Built from the log's effective facts (voided ones left out), dated by when each thing
happened (``occurred_at``) in your time zone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from afterview.engine.domain import events as ev
from afterview.engine.domain.events import JsonObject
from afterview.engine.domain.state import Application, Fact, effective, evolve
from afterview.engine.io.reader import SearchLog
from afterview.engine.io.spreadsheet import formula_safe_row


class Activity(NamedTuple):
    """One thing you did (or that happened) on one day, for one application."""

    at: datetime
    activity: str
    company: str
    role: str
    contacts: tuple[str, ...]
    details: str
    application: str
    event_id: str

    def as_json(self, tz: ZoneInfo) -> JsonObject:
        local = self.at.astimezone(tz)
        return {"date": local.date().isoformat(), "time": local.strftime("%H:%M"),
                "activity": self.activity, "company": self.company, "role": self.role,
                "contacts": list(self.contacts), "details": self.details,
                "application": self.application, "event_id": self.event_id,
                "occurred_at": self.at.isoformat()}


def _names(app: Application) -> tuple[str, ...]:
    return tuple(c.name for c in app.contacts)


def _money(terms: ev.OfferTerms | None) -> str:
    return "terms not recorded" if terms is None else f"{terms.currency} {terms.base:,} base"


def _interview(event: ev.InterviewScheduled, app: Application) -> tuple[str, str, tuple[str, ...]]:
    when = event.scheduled_for.strftime("%Y-%m-%d %H:%M")
    kind = f" ({event.kind})" if event.kind else ""
    return (f"Interview scheduled, round {event.round}", f"for {when}{kind}",
            tuple(event.interviewers) or _names(app))


def _held(event: ev.InterviewHeld, app: Application) -> tuple[str, str, tuple[str, ...]]:
    label = f"Interview held, round {event.round}" if event.round else "Interview held"
    return label, event.note or "", tuple(event.interviewers) or _names(app)


# Fact type -> (activity, details, contacts). Facts absent here are not activities
# (notes, reflections, task bookkeeping).
# Each describer takes the event as the class it is registered for (hence ``...``).
_DESCRIBE: dict[type[ev.Event], Callable[..., tuple[str, str, tuple[str, ...]]]] = {
    ev.ApplicationSubmitted: lambda e, a: (
        "Applied", "; ".join(x for x in (f"via {e.source}" if e.source else "", e.url or "",
                                         e.location or "") if x), _names(a)),
    ev.InterviewScheduled: _interview,
    ev.InterviewHeld: _held,
    ev.InterviewRescheduled: lambda e, a: (
        f"Interview moved, round {e.round}", f"to {e.scheduled_for:%Y-%m-%d %H:%M}", _names(a)),
    ev.InterviewCancelled: lambda e, a: (
        f"Interview cancelled, round {e.round}",
        "; ".join(x for x in (f"by {e.by}" if e.by else "", e.reason or "") if x), _names(a)),
    ev.ThankYouSent: lambda e, a: ("Thank-you note sent", "", tuple(e.to) or _names(a)),
    ev.FollowUpSent: lambda e, a: ("Followed up", e.note or "", _names(a)),
    ev.OfferReceived: lambda e, a: ("Revised offer received" if e.revised else "Offer received",
                                    _money(e.terms), _names(a)),
    ev.CounterOfferMade: lambda e, a: ("Counter-offer made", _money(e.terms), _names(a)),
    ev.DecisionTimeRequested: lambda e, a: (
        "Asked for time to decide", f"until {e.until.date().isoformat()}", _names(a)),
    ev.OfferAccepted: lambda e, a: (
        "Offer accepted", f"start {e.start_date.isoformat()}" if e.start_date else "", _names(a)),
    ev.ApplicationWithdrawn: lambda e, a: ("Withdrew", e.reason or "", _names(a)),
    ev.ApplicationDeclined: lambda e, a: ("Declined by the employer", e.reason or "", _names(a)),
    ev.FeedbackRequested: lambda e, a: ("Asked for feedback", "", _names(a)),
    ev.FeedbackReceived: lambda e, a: ("Feedback received", e.text, _names(a)),
    ev.ContactAdded: lambda e, a: ("Contact made", ", ".join(
        x for x in (e.title, e.email) if x), (e.name,)),
}


def _describe(fact: Fact, app: Application) -> tuple[str, str, tuple[str, ...]] | None:
    event = fact.event
    describe = _DESCRIBE.get(type(event))
    if describe is not None:
        return describe(event, app)
    if isinstance(event, ev.TaskClosed) and event.outcome == "done":
        # A task you closed as done is something you did (a follow-up marked ``done``).
        task = app.tasks.get(event.task_id)
        return "Done: " + (task.title if task else event.task_id), event.note or "", _names(app)
    return None


def activities(streams: dict[str, list[Fact]]) -> list[Activity]:
    """Every activity in the log, oldest first. Each is described with the application as
    it stood when it happened (a contact added later is not credited to an earlier day)."""
    found = []
    for stream_id, facts in streams.items():
        app = Application(stream_id)
        of_stream = []
        for fact in effective(facts):
            submitted = isinstance(fact.event, ev.ApplicationSubmitted)
            if submitted:  # the submission names the company and role it is about
                evolve(app, fact)
            described = _describe(fact, app)
            if described is not None:
                what, details, people = described
                of_stream.append(Activity(fact.occurred_at, what, app.company, app.role, people,
                                          details, stream_id, fact.event_id))
            if not submitted:
                evolve(app, fact)
        if app.discarded is None:  # an application entered by mistake was no activity
            found += of_stream
    return sorted(found, key=lambda a: (a.at, a.application, a.event_id))


def in_period(found: Iterable[Activity], tz: ZoneInfo, start: date | None,
              end: date | None) -> list[Activity]:
    """The activities whose local date lies between ``start`` and ``end``, both included."""
    return [a for a in found
            if (start is None or a.at.astimezone(tz).date() >= start)
            and (end is None or a.at.astimezone(tz).date() <= end)]


def weeks(found: Iterable[Activity], tz: ZoneInfo) -> list[JsonObject]:
    """Activities and distinct employers per week (Monday to Sunday)."""
    by_week: dict[date, list[Activity]] = {}
    for activity in found:
        day = activity.at.astimezone(tz).date()
        by_week.setdefault(day - timedelta(days=day.weekday()), []).append(activity)
    return [{"week_of": monday.isoformat(), "activities": len(items),
             "employers": len({a.company.casefold() for a in items})}
            for monday, items in sorted(by_week.items())]


class Report(NamedTuple):
    start: date | None
    end: date
    activities: list[Activity]
    head: str
    tz: ZoneInfo

    def as_json(self) -> JsonObject:
        return {"from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat(), "head": self.head,
                "activities": [a.as_json(self.tz) for a in self.activities],
                "weeks": weeks(self.activities, self.tz)}


def build(engine: SearchLog, start: date | None, end: date | None) -> Report:
    """The report for ``start`` .. ``end`` (local dates, both included; default: from the
    first activity to today)."""
    from afterview.engine.domain.state import InvalidValue

    today = engine.now().astimezone(engine.tz).date()
    end = end or today
    if start is not None and start > end:
        raise InvalidValue(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    found = in_period(activities(engine.all_facts()), engine.tz, start, end)
    return Report(start, end, found, engine.head()[1], engine.tz)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def markdown(report: Report) -> str:
    """The report as a Markdown document: a summary, a weekly count and a dated table."""
    found, tz = report.activities, report.tz
    first = report.start or (found[0].at.astimezone(tz).date() if found else report.end)
    employers = len({a.company.casefold() for a in found})
    lines = [
        "# Job search activity report", "",
        f"Period: {first.isoformat()} to {report.end.isoformat()}. "
        f"{len(found)} activities with {employers} employers.", "",
        f"Taken from the afterview log; `afterview verify --expect {report.head}` checks that "
        "the log has not changed since.", "",
    ]
    if not found:
        return "\n".join([*lines, "No activities in this period.", ""])
    lines += ["## Per week", "", "| Week of | Activities | Employers |", "|---|---|---|"]
    lines += [f"| {w['week_of']} | {w['activities']} | {w['employers']} |" for w in weeks(found, tz)]
    lines += ["", "## Activities", "",
              "| Date | Activity | Company | Role | Contacts | Details |", "|---|---|---|---|---|---|"]
    for a in found:
        lines.append(f"| {a.at.astimezone(tz).date().isoformat()} | {_cell(a.activity)} | "
                     f"{_cell(a.company)} | {_cell(a.role)} | {_cell(', '.join(a.contacts))} | "
                     f"{_cell(a.details)} |")
    return "\n".join([*lines, ""])


CSV_COLUMNS = ("date", "time", "activity", "company", "role", "contacts", "details",
               "application", "event_id")


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in report.activities:
        row = a.as_json(report.tz)
        writer.writerow(formula_safe_row([
            row["date"], row["time"], a.activity, a.company, a.role, "; ".join(a.contacts),
            a.details, a.application, a.event_id]))
    return out.getvalue()
