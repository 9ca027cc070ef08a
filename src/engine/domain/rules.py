"""The rules a real job search needs beyond the lifecycle table: which fact a request stands
for (a new interview round or the pending one moved, a revised offer that keeps the terms it
does not repeat) and the refusals that keep facts coherent (a debrief before its interview,
a second notice, a shorter decision deadline, the same job applied for twice).

Pure, like ``decide``: everything arrives as arguments. Every refusal says what is wrong
and what would be right.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from afterview.engine.domain import events as ev
from afterview.engine.domain.lifecycle import NEGOTIATING, OFFERED
from afterview.engine.domain.state import Application, DomainError, InvalidValue

if TYPE_CHECKING:
    from afterview.engine.domain.settings import Settings

AGAIN_WITHIN = timedelta(days=60)
"""Applying to the same company and role again within this needs ``--again``."""

_OFFER_DECISION = "offer-decision"


def _when(moment: datetime) -> str:
    return f"{moment:%a} {moment.isoformat(timespec='minutes')}"


# ---------------------------------------------------------------------------
# Requests into facts


def interview_event(app: Application, scheduled_for: datetime, round_number: int | None,
                    kind: str | None, interviewers: tuple[str, ...], by: str | None,
                    at: datetime) -> ev.InterviewScheduled | ev.InterviewRescheduled:
    """A new round, or ``InterviewRescheduled`` for the round that is scheduled and not held:
    the one named by ``round_number``, else the latest pending one whose time is still to
    come at ``at`` (one whose time has passed was most likely held and not debriefed yet,
    so a new time without a round number is the next round)."""
    pending = app.pending_interview(round_number)
    if pending is not None and round_number is None and (
            pending.scheduled_for is not None and pending.scheduled_for <= at):
        pending = None
    if pending is not None:
        assert pending.scheduled_for is not None
        if pending.scheduled_for == scheduled_for:
            raise DomainError(f"round {pending.round} is already scheduled for "
                              f"{_when(scheduled_for)}: nothing to move")
        return ev.InterviewRescheduled(pending.round, scheduled_for, by)
    number = round_number
    if number is None:
        number = max((i.round for i in app.interviews), default=0) + 1
    elif any(i.round == number and i.held_at is not None for i in app.interviews):
        raise DomainError(f"round {number} was already held: schedule the next round "
                          f"with --round {number + 1}")
    return ev.InterviewScheduled(number, scheduled_for, kind, interviewers)


def cancellation_event(app: Application, round_number: int | None, by: str | None,
                       reason: str | None) -> ev.InterviewCancelled:
    pending = app.pending_interview(round_number)
    if pending is None:
        which = f"round {round_number}" if round_number is not None else "no round"
        raise DomainError(f"{which} of {app.id!r} is scheduled and not yet held: "
                          "nothing to cancel (see 'afterview show')")
    return ev.InterviewCancelled(pending.round, by, reason)


def offer_event(app: Application, terms: ev.OfferTerms | ev.JsonObject | None,
                respond_by: datetime | None, whole_day: bool,
                settings: Settings) -> ev.OfferReceived:
    """The offer as recorded: a revised one (while offered or negotiating) keeps every term
    of the previous offer that it does not repeat."""
    revised = app.state in (OFFERED, NEGOTIATING)
    if isinstance(terms, ev.OfferTerms):
        terms = attrs.asdict(terms, recurse=False)
    given = {key: value for key, value in (terms or {}).items()
             if value is not None and value != ()}
    previous = app.offer.terms if revised and app.offer is not None else None
    if previous is not None:
        merged: ev.JsonObject = {
            key: value for key, value in attrs.asdict(previous, recurse=False).items()
            if value is not None and value != ()}
        if "equity_total" in given or "equity_per_year" in given:  # one way of giving equity
            for key in ("equity_total", "equity_years", "equity_per_year"):
                merged.pop(key, None)
        if "bonus" in given or "bonus_percent" in given:
            merged.pop("bonus", None)
            merged.pop("bonus_percent", None)
        merged.update(given)
        given = merged
    recorded = None
    if given:
        if "base" not in given:
            raise InvalidValue("--salary is needed with the other terms of a first offer "
                               "(or give no terms at all: they are recorded as not known)")
        given.setdefault("currency", settings.currency)
        recorded = ev.OfferTerms(**given)
    return ev.OfferReceived(recorded, respond_by, revised, whole_day)


# ---------------------------------------------------------------------------
# Refusals


def refuse(app: Application, event: ev.Event, occurred_at: datetime,
           others: Iterable[Application], *, again: bool = False) -> None:
    """Raise if ``event`` is incoherent with what is already known."""
    if isinstance(event, ev.InterviewHeld):
        _refuse_early_debrief(app, event, occurred_at)
    elif isinstance(event, ev.DecisionTimeRequested):
        _refuse_shorter_deadline(app, event)
    elif isinstance(event, ev.NoticeGiven) and app.notice_given_at is not None:
        raise DomainError(f"notice was already recorded for {app.id!r} on "
                          f"{_when(app.notice_given_at)}: void it first to record another date")
    elif isinstance(event, ev.ApplicationDiscarded):
        if not event.reason or not event.reason.strip():
            raise InvalidValue("--reason cannot be empty: say why it was a mistake")
        if app.discarded is not None:
            raise DomainError(f"{app.id!r} is already discarded ({app.discarded}): void the "
                              "discard to restore it")
    elif isinstance(event, ev.ApplicationSubmitted) and not again:
        _refuse_duplicate(event, occurred_at, others)


def _refuse_early_debrief(app: Application, event: ev.InterviewHeld, at: datetime) -> None:
    interview = app.interview_to_hold(event.round)
    if interview is None or interview.scheduled_for is None or at >= interview.scheduled_for:
        return
    raise InvalidValue(
        f"round {interview.round} is scheduled for {_when(interview.scheduled_for)}: record "
        f"the debrief after it (or --at {interview.scheduled_for.isoformat()} or later if it "
        "was held then)")


def decision_deadline(app: Application) -> datetime | None:
    """The deadline to answer the latest offer: the time you asked for, else the company's,
    else when the open offer-decision task falls due."""
    if app.decision_until is not None:
        return app.decision_until
    offer = app.offer
    if offer is not None and offer.respond_by is not None:
        return offer.respond_by
    due = [t.due_at for t in app.open_tasks() if t.kind == _OFFER_DECISION]
    return max(due, default=None)


def _refuse_shorter_deadline(app: Application, event: ev.DecisionTimeRequested) -> None:
    current = decision_deadline(app)
    if current is not None and event.until < current:
        raise DomainError(f"--until {_when(event.until)} is earlier than the current deadline "
                          f"{_when(current)}: asking for time never shortens it")


class AppliedRecently(DomainError):
    """The same company and role was applied for within ``AGAIN_WITHIN``: allowed only as a
    deliberate second application (the command line's ``--again``, the web form's "Apply
    again"). ``earlier`` is that application."""

    def __init__(self, message: str, earlier: Application) -> None:
        super().__init__(message)
        self.earlier = earlier


def _same_job(text: str) -> str:
    """Company or role as compared for duplicates: case, spacing and punctuation aside."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


def _refuse_duplicate(event: ev.ApplicationSubmitted, at: datetime,
                      others: Iterable[Application]) -> None:
    for other in others:
        if (other.discarded is None and other.applied_at is not None
                and abs(at - other.applied_at) <= AGAIN_WITHIN
                and _same_job(other.company) == _same_job(event.company)
                and _same_job(other.role) == _same_job(event.role)):
            raise AppliedRecently(
                f"you applied for {other.role} at {other.company} on "
                f"{other.applied_at.date().isoformat()} ({other.id}): add --again to apply "
                "a second time, or see 'afterview show " + other.id + "'", other)


def acceptance_warnings(app: Application, event: ev.OfferAccepted,
                        settings: Settings) -> list[str]:
    if event.start_date is None and settings.currently_employed:
        return [f"no start date yet: the resignation notice will be scheduled once it is "
                f"recorded (afterview start-date {app.id} WHEN)"]
    return []
