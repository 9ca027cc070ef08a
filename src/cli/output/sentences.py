"""The facts of the log as sentences for ``history``: "Interview round 2 held with Ana
(CTO): 3 questions". A fact type this module does not know still reads as words."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from afterview.cli.output import times

if TYPE_CHECKING:
    from afterview.engine.domain.events import JsonValue

People = Mapping[str, str | None]  # name -> title, for "Ana (CTO)"


def sentence(type_name: str, data: Mapping[str, JsonValue], people: People = {}) -> str:  # noqa: B006  # read only
    """One fact, in words."""
    write = _SENTENCES.get(type_name)
    if write is None:
        return _generic(type_name, data)
    return write(data, people)


def _when(value: JsonValue) -> str:
    return times.when_text(datetime.fromisoformat(value), relative=False) if value else "-"


def _day(value: JsonValue) -> str:
    return times.day_text(date.fromisoformat(value)) if value else "-"


def _names(names: JsonValue, people: People) -> str:
    shown = [f"{n} ({people[n]})" if people.get(n) else str(n) for n in names or ()]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _by(who: str) -> str:
    return "you" if who == "me" else "the company" if who == "company" else who


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _terms(data: Mapping[str, JsonValue]) -> str:
    from afterview.cli.output.views import terms_summary
    from afterview.engine.domain.events import OfferTerms

    try:
        return terms_summary(OfferTerms(**data["terms"]))
    except (KeyError, TypeError, ValueError):
        return "terms not recorded"


def _then(text: str | None, joiner: str = ": ") -> str:
    return f"{joiner}{text}" if text else ""


def _submitted(d: Mapping[str, JsonValue], _p: People) -> str:
    extra = _then(d.get("source"), " via ") + _then(d.get("location"), ", in ")
    kept = _kept(d)
    return f"Applied for {d.get('role')} at {d.get('company')}{extra}" + _then(kept, "; ")


def _details_changed(d: Mapping[str, JsonValue], _p: People) -> str:
    changed = [f"{name} {'removed' if d[key] == '' else d[key]}"
               for key, name in (("role", "role"), ("url", "url"), ("location", "location"),
                                 ("source", "source")) if d.get(key) is not None]
    if d.get("tags") is not None:
        changed.append("tags " + (", ".join(d["tags"]) or "removed"))
    if d.get("priority") is not None:
        changed.append(f"priority {d['priority'] or 'removed'}")
    kept = _kept({**d, "tags": (), "priority": None})
    return "Details changed: " + "; ".join([*changed, *([kept] if kept else [])])


def _kept(d: Mapping[str, JsonValue]) -> str:
    """Tags, priority, salary range, referral and job description, as far as recorded."""
    from afterview.engine.domain.offers import format_money

    parts = []
    if d.get("tags"):
        parts.append("tags " + ", ".join(d["tags"]))
    if d.get("priority"):
        parts.append(f"priority {d['priority']}")
    low, high = d.get("salary_min"), d.get("salary_max")
    if low is not None or high is not None:
        low_text, high_text = ("?" if v is None else format_money(Decimal(v)) for v in (low, high))
        parts.append(f"range {low_text}-{high_text} {d.get('salary_currency') or ''}".rstrip())
    if d.get("referred_by"):
        parts.append(f"referred by {d['referred_by']}")
    if d.get("job_description") is not None:
        parts.append("job description " + ("kept" if d["job_description"] else "removed"))
    return "; ".join(parts)


def _scheduled(d: Mapping[str, JsonValue], p: People) -> str:
    kind = _then(d.get("kind"), ", ")
    return (f"Interview round {d.get('round')} scheduled for {_when(d.get('scheduled_for'))}"
            f"{kind}{_then(_names(d.get('interviewers'), p), ' with ')}")


def _held(d: Mapping[str, JsonValue], p: People) -> str:
    round_ = f" round {d['round']}" if d.get("round") else ""
    asked = d.get("questions") or ()
    questions = _count(len(asked), "question") if asked else ""
    return (f"Interview{round_} held{_then(_names(d.get('interviewers'), p), ' with ')}"
            f"{_then(questions)}{_then(d.get('note'), '; ')}")


def _offer(d: Mapping[str, JsonValue], _p: People) -> str:
    received = "Revised offer received" if d.get("revised") else "Offer received"
    respond = f"; respond by {_when(d['respond_by'])}" if d.get("respond_by") else ""
    return f"{received}: {_terms(d)}{respond}"


def _counter(d: Mapping[str, JsonValue], _p: People) -> str:
    reasons = f"; reasons: {', '.join(d['reasons'])}" if d.get("reasons") else ""
    return f"Counter-offer made: {_terms(d)}{reasons}{_then(d.get('note'), '; ')}"


def _contact(d: Mapping[str, JsonValue], _p: People) -> str:
    details = ", ".join(str(v) for v in (d.get("title"), d.get("email")) if v)
    return f"Contact added: {d.get('name')}" + (f" ({details})" if details else "")


_SENTENCES: dict[str, Callable[[Mapping[str, JsonValue], People], str]] = {
    "ApplicationSubmitted": _submitted,
    "ApplicationDetailsChanged": _details_changed,
    "InterviewScheduled": _scheduled,
    "InterviewRescheduled": lambda d, _p: (f"Interview round {d.get('round')} moved to "
                                           f"{_when(d.get('scheduled_for'))}"
                                           + _then(d.get("by") and f"by {_by(d['by'])}", ", ")),
    "InterviewCancelled": lambda d, _p: (f"Interview round {d.get('round')} cancelled"
                                         + _then(d.get("by") and f"by {_by(d['by'])}", " ")
                                         + _then(d.get("reason"))),
    "ApplicationDiscarded": lambda d, _p: "Discarded" + _then(d.get("reason")),
    "StartDateRecorded": lambda d, _p: f"Start date recorded: {_day(d.get('start_date'))}",
    "SettingChanged": lambda d, _p: (f"Setting {d.get('key')} set to {d['value']}"
                                     if d.get("value") is not None
                                     else f"Setting {d.get('key')} back to its default"),
    "DigestSent": lambda d, _p: (f"Daily digest sent for {_day(d.get('day'))}: "
                                 f"{_count(len(d.get('task_ids') or ()), 'task')}"),
    "DaysOffRecorded": lambda d, _p: (f"Days off from {_day(d.get('from'))} to {_day(d.get('to'))}"
                                      + _then(d.get("reason"))),
    "InterviewHeld": _held,
    "ThankYouSent": lambda d, p: "Thank-you note sent" + _then(_names(d.get("to"), p), " to "),
    "FollowUpSent": lambda d, _p: "Followed up" + _then(d.get("note")),
    "OfferReceived": _offer,
    "DecisionTimeRequested": lambda d, _p: f"Asked for time to decide, until {_when(d.get('until'))}",
    "CounterOfferMade": _counter,
    "OfferAccepted": lambda d, _p: "Offer accepted" + _then(
        d.get("start_date") and _day(d["start_date"]), "; starting "),
    "ApplicationWithdrawn": lambda d, _p: "You withdrew" + _then(d.get("reason")),
    "ApplicationDeclined": lambda d, _p: "The company declined" + _then(d.get("reason")),
    "FeedbackRequested": lambda d, _p: "Asked for feedback" + _then(d.get("text")),
    "FeedbackReceived": lambda d, _p: "Feedback received" + _then(d.get("text")),
    "ReflectionRecorded": lambda d, _p: "Reflection" + _then(d.get("text")),
    "NoticeGiven": lambda _d, _p: "Gave notice at your current job",
    "NoteAdded": lambda d, _p: "Note" + _then(d.get("text")),
    "ContactAdded": _contact,
    "EventVoided": lambda d, _p: f"Voided fact {str(d.get('event_id'))[:8]}" + _then(d.get("reason")),
    "TaskScheduled": lambda d, _p: f"Task {d.get('task_id')} due {_when(d.get('due_at'))}"
                                   + _then(d.get("title")),
    "TaskSnoozed": lambda d, _p: f"Task {d.get('task_id')} moved to {_when(d.get('until'))}",
    "TaskClosed": lambda d, _p: f"Task {d.get('task_id')} {d.get('outcome')}" + _then(
        _type_words(d.get("note"))),
    "TaskFired": lambda d, _p: f"Reminder sent for task {d.get('task_id')}",
}


def _type_words(text: str | None) -> str | None:
    """A note the engine wrote ("InterviewScheduled recorded") with fact types as words."""
    if not text:
        return text
    return re.sub(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b", lambda m: _words(m.group()).lower(), text)


def _words(type_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type_name).lower().capitalize()


def _generic(type_name: str, data: Mapping[str, JsonValue]) -> str:
    words = _words(type_name)
    shown = "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items()
                      if isinstance(v, str | int | float) and not isinstance(v, bool) and v != "")
    return words + _then(shown)
