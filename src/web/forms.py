"""A form for every fact, declared once: the fields the page shows (each with its label)
and how the submitted values become the event the command line would record. Values are
checked by the same functions as the command line's options (engine.service.inputs and the
WHEN parser), so a form is refused with the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import Application
from afterview.engine.service.api import Engine, Result
from afterview.engine.service.errors import DomainError, InvalidValue
from afterview.engine.service.inputs import given_terms, offer_terms, questions, whole_number

if TYPE_CHECKING:
    from starlette.datastructures import FormData, UploadFile

Values = Mapping[str, str | list[str] | None]  # field name -> the text typed (checkboxes: a list)
Recorder = Callable[[Engine, Application, Values, datetime | None], Result]
"""Records a form's fact about an application (the time it happened given, else now)."""

KINDS = ("phone", "video", "onsite")
BY = ("me", "company")
REASONS = ("commute", "relocation", "degree", "certification", "market", "other")


_MULTI = {"reasons"}  # checkbox groups: every value sent


def values_of(form: FormData) -> dict[str, str | list[str] | None]:
    """A submitted form as the recorders read it."""
    # Every value is text: checked_form refuses files (max_files=0), so no UploadFile is left out.
    return {key: ([v for v in form.getlist(key) if isinstance(v, str)] if key in _MULTI
                  else _text(form.get(key))) for key in form}


def _text(value: str | UploadFile | None) -> str | None:
    return value if isinstance(value, str) else None


class Refusal(Exception):
    """A command the engine refused: shown on the page it came from (in the command line's
    words, with the HTTP status for its kind), nothing appended."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@attrs.frozen
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, date, datetime, number, email, select, checkboxes
    required: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""


@attrs.frozen
class FactForm:
    kind: str  # the command's name: the URL and the id of the form
    title: str
    button: str
    fields: tuple[Field, ...]
    record: Recorder
    help: str = ""


def fact(build: Callable[[Values], ev.Event]) -> Recorder:
    """A form whose fact is recorded as is (most of them): ``build`` makes it from the values."""
    return lambda engine, app, values, at: engine.record(app.id, build(values), at=at)


def label(name: str) -> str:
    """How a refusal names a field: ``equity_total`` -> ``equity total``."""
    return name.replace("_", " ")


def text(values: Values, name: str) -> str | None:
    value = values.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def required(values: Values, field: str) -> str:
    value = text(values, field)
    if value is None:
        raise InvalidValue(f"{label(field)} is required")
    return value


def names(values: Values, field: str) -> tuple[str, ...]:
    """A comma-separated list (the repeatable options of the command line)."""
    return tuple(part.strip() for part in (text(values, field) or "").split(",") if part.strip())


def when(engine: Engine, values: Values, field: str) -> datetime | None:
    """A WHEN from a date or date-time field, parsed as ``--at`` and friends are."""
    value = text(values, field)
    if value is None:
        return None
    from datetime import time

    from afterview.engine.domain.calendar import CalendarError, parse_when

    try:
        return parse_when(value, now=engine.now(), tz=engine.tz, default_time=time(9, 0))
    except CalendarError as error:
        raise InvalidValue(f"{label(field)}: {error}") from None


def deadline(engine: Engine, values: Values, field: str) -> tuple[datetime | None, bool]:
    """A company's deadline, as ``--respond-by`` reads it: a date alone is that whole day
    (until ``workday_end``), and says so."""
    value = text(values, field)
    if value is None:
        return None, False
    from afterview.engine.domain.calendar import CalendarError, parse_deadline

    try:
        return parse_deadline(value, now=engine.now(), tz=engine.tz,
                              workday_end=engine.settings.workday_end_time)
    except CalendarError as error:
        raise InvalidValue(f"{label(field)}: {error}") from None


def _offer_fields(values: Values) -> dict[str, object]:
    fields: dict[str, object] = {name: text(values, name) for name in (
        "salary", "currency", "bonus", "signing", "equity", "equity_total", "vesting_years",
        "relocation", "benefits_value", "commute_minutes", "commute_cost", "remote_days")}
    fields["benefits"] = names(values, "benefits")
    return fields


# ---------------------------------------------------------------------------
# Recorders: submitted values -> what the command of the same name records


def _interview(engine: Engine, app: Application, values: Values, at: datetime | None) -> Result:
    scheduled_for = when(engine, values, "on")
    if scheduled_for is None:
        raise InvalidValue("interview on is required: when the interview takes place")
    kind = _choice(values, "kind", KINDS)
    return engine.schedule_interview(
        app.id, scheduled_for, round=whole_number(text(values, "round"), "round", 1, 50),
        kind=kind, interviewers=names(values, "with"), at=at)


def _debrief(values: Values) -> ev.InterviewHeld:
    """Each row keeps a question with its own answer and tip (``--qa``); blank rows are
    skipped, and a row with an answer or tip but no question is refused as the option is."""
    rows = [(text(values, f"question{n}"), text(values, f"answer{n}"), text(values, f"better{n}"))
            for n in range(1, QUESTIONS + 1)]
    asked = questions([row for row in rows if any(row)])
    round_ = whole_number(text(values, "round"), "round", 1, 50)
    return ev.InterviewHeld(round_, names(values, "with"), asked, text(values, "note"))


def _reschedule(engine: Engine, app: Application, values: Values, at: datetime | None) -> Result:
    scheduled_for = when(engine, values, "on")
    if scheduled_for is None:
        raise InvalidValue("new time is required: when the interview now takes place")
    return engine.schedule_interview(
        app.id, scheduled_for, round=whole_number(text(values, "round"), "round", 1, 50),
        by=_choice(values, "by", BY), at=at)


def _cancel_interview(engine: Engine, app: Application, values: Values,
                      at: datetime | None) -> Result:
    return engine.cancel_interview(
        app.id, round=whole_number(text(values, "round"), "round", 1, 50),
        by=_choice(values, "by", BY), reason=text(values, "reason"), at=at)


def _start_date(engine: Engine, app: Application, values: Values, at: datetime | None) -> Result:
    start = when(engine, values, "start")
    if start is None:
        raise InvalidValue("start date is required: your first day at the new job")
    return engine.record(app.id, ev.StartDateRecorded(start.date()), at=at)


def _choice(values: Values, field: str, choices: tuple[str, ...]) -> str | None:
    """A select's value, refused as click.Choice refuses an option's."""
    value = text(values, field)
    if value is not None and value not in choices:
        raise InvalidValue(f"{label(field)} {value!r} is not one of {', '.join(choices)}")
    return value


def _offer(engine: Engine, app: Application, values: Values, at: datetime | None) -> Result:
    respond_by, whole_day = deadline(engine, values, "respond_by")
    return engine.receive_offer(app.id, given_terms(_offer_fields(values), label) or None,
                                respond_by=respond_by, whole_day=whole_day, at=at)


def _counter(engine: Engine, app: Application, values: Values, at: datetime | None) -> Result:
    chosen = values.get("reasons") or []
    reasons = (chosen,) if isinstance(chosen, str) else tuple(chosen)
    unknown = [r for r in reasons if r not in REASONS]
    if unknown:
        raise InvalidValue(f"reason {unknown[0]!r} is not one of {', '.join(REASONS)}")
    terms = offer_terms(_offer_fields(values), engine.settings.currency, label)
    event = ev.CounterOfferMade(terms, reasons, text(values, "note"))
    return engine.record(app.id, event, at=at)


def _ask_time(engine: Engine, app: Application, values: Values, at: datetime | None) -> Result:
    until, whole_day = deadline(engine, values, "until")
    if until is None:
        raise InvalidValue("until is required: the new date to decide by")
    return engine.record(app.id, ev.DecisionTimeRequested(until, whole_day), at=at)


def _accept(engine: Engine, app: Application, values: Values, at: datetime | None) -> Result:
    start = when(engine, values, "start")
    return engine.record(app.id, ev.OfferAccepted(start.date() if start else None), at=at)


QUESTIONS = 5  # question rows on the debrief form; debrief again for more

AT = Field("at", "When it happened", "datetime", hint="default: now")
_SALARY = Field("salary", "Base salary per year", "text", required=True)
_MONEY = (
    Field("currency", "Currency", hint="three letters; default: your currency setting"),
    Field("bonus", "Yearly bonus", hint="an amount, or a percent of base such as 10%"),
    Field("signing", "Signing bonus"),
    Field("equity", "Equity value per year"),
    Field("equity_total", "Total equity grant"),
    Field("vesting_years", "Vesting years", "number", hint="with the total grant; default 4"),
    Field("relocation", "Relocation allowance"),
    Field("benefits", "Benefits, comma-separated"),
    Field("benefits_value", "Yearly value of the benefits"),
    Field("commute_minutes", "Commute, minutes each way", "number"),
    Field("commute_cost", "Commute cost per year"),
    Field("remote_days", "Remote days per week", "number"),
)
_DEBRIEF_QUESTIONS = tuple(
    field for n in range(1, QUESTIONS + 1) for field in (
        Field(f"question{n}", f"Question {n}", "textarea"),
        Field(f"answer{n}", f"Your answer {n}", "textarea"),
        Field(f"better{n}", f"Tip {n}: what you would answer better", "textarea"),
    ))
_REASON = Field("reason", "Reason", "textarea")

FORMS: tuple[FactForm, ...] = (
    FactForm("note", "Note", "Add note", (Field("text", "Note", "textarea", required=True), AT),
             fact(lambda v: ev.NoteAdded(required(v, "text")))),
    FactForm("interview", "Interview scheduled", "Record interview scheduled", (
        Field("on", "Interview on", "datetime", required=True),
        Field("round", "Round", "number", hint="default: the next one"),
        Field("kind", "Kind", "select", choices=KINDS),
        Field("with", "Interviewers, comma-separated"),
        Field("at", "When it was arranged", "datetime", hint="default: now")), _interview),
    FactForm("reschedule", "Interview moved", "Record new interview time", (
        Field("on", "New time", "datetime", required=True),
        Field("round", "Round", "number", hint="default: the round scheduled and not yet held"),
        Field("by", "Moved by", "select", choices=BY),
        Field("at", "When it was moved", "datetime", hint="default: now")), _reschedule,
             "The round scheduled and not yet held moves: the agenda and the calendar show "
             "one interview, at the new time."),
    FactForm("cancel-interview", "Interview cancelled", "Record interview cancelled", (
        Field("round", "Round", "number", hint="default: the round scheduled and not yet held"),
        Field("by", "Cancelled by", "select", choices=BY), _REASON,
        Field("at", "When it was cancelled", "datetime", hint="default: now")),
             _cancel_interview),
    FactForm("debrief", "Interview held (debrief)", "Record interview held", (
        Field("round", "Round", "number", hint="default: the next one not held"),
        Field("with", "People you met, comma-separated"),
        *_DEBRIEF_QUESTIONS,
        Field("note", "Anything else worth remembering", "textarea"), AT), fact(_debrief)),
    FactForm("thanks", "Thank-you sent", "Record thank-you sent",
             (Field("to", "Who you thanked, comma-separated"), AT),
             fact(lambda v: ev.ThankYouSent(names(v, "to")))),
    FactForm("follow-up", "Follow-up sent", "Record follow-up sent",
             (Field("note", "What you wrote or said", "textarea"), AT),
             fact(lambda v: ev.FollowUpSent(text(v, "note")))),
    FactForm("offer", "Offer received", "Record offer",
             (Field("salary", "Base salary per year", hint="a revised offer keeps every term "
                    "it does not repeat; no terms at all: an offer with terms not known"),
              *_MONEY, Field("respond_by", "Respond by", "date"), AT), _offer,
             "While offered or negotiating, this records the company's revised offer."),
    FactForm("ask-time", "Asked for time to decide", "Record time asked for",
             (Field("until", "Decide by", "date", required=True), AT), _ask_time),
    FactForm("counter", "Counter-offer made", "Record counter-offer", (
        _SALARY, *_MONEY, Field("reasons", "Reasons", "checkboxes", choices=REASONS),
        Field("note", "Your evidence", "textarea"), AT), _counter),
    FactForm("accept", "Offer accepted", "Accept offer",
             (Field("start", "Start date", "date"), AT), _accept),
    FactForm("start-date", "Start date", "Record start date",
             (Field("start", "Start date", "date", required=True), AT), _start_date,
             "After accepting: rest days, the last working day and when to give notice "
             "follow from it."),
    FactForm("withdraw", "Withdrawn", "Withdraw application", (_REASON, AT),
             fact(lambda v: ev.ApplicationWithdrawn(text(v, "reason"))),
             "Also when you turn the offer down."),
    FactForm("declined", "Declined by the company", "Record that they declined", (_REASON, AT),
             fact(lambda v: ev.ApplicationDeclined(text(v, "reason")))),
    FactForm("feedback-requested", "Feedback requested", "Record feedback requested", (AT,),
             fact(lambda v: ev.FeedbackRequested())),
    FactForm("feedback", "Feedback received", "Record feedback received",
             (Field("text", "Feedback", "textarea", required=True), AT),
             fact(lambda v: ev.FeedbackReceived(required(v, "text")))),
    FactForm("reflect", "Reflection", "Record reflection",
             (Field("text", "Reflection and plan", "textarea", required=True), AT),
             fact(lambda v: ev.ReflectionRecorded(required(v, "text")))),
    FactForm("notice", "Notice given", "Record notice given", (AT,),
             fact(lambda v: ev.NoticeGiven())),
    FactForm("discard", "Discard (entered by mistake)", "Discard application",
             (Field("reason", "Why it was a mistake", "textarea", required=True), AT),
             fact(lambda v: ev.ApplicationDiscarded(required(v, "reason"))),
             "A duplicate or a slip, not a lifecycle state: it leaves the board, agenda, "
             "stats, report and compare; its history stays, and voiding the discard "
             "restores it."),
    FactForm("contact", "Contact", "Add contact", (
        Field("name", "Name", required=True), Field("title", "Job title"),
        Field("email", "Email", "email"), AT),
             fact(lambda v: ev.ContactAdded(required(v, "name"), text(v, "title"),
                                            text(v, "email")))),
)
BY_KIND = {form.kind: form for form in FORMS}

VOID_FIELDS = (Field("event", "Fact to void", "select", required=True),
               Field("reason", "Why it was a mistake", "textarea", required=True), AT)
RESTORE_REASON = Field("reason", "Why restore it", "textarea", required=True,
                       hint="the discard is voided: it stays in the history, struck through")

# Dropping a card on a column records the fact that leads there; the dialog asks for the
# fields that fact needs (the application page has them all).
MOVES: dict[str, tuple[str, tuple[str, ...]]] = {
    "interviewing": ("interview", ("on", "kind", "with")),
    "offered": ("offer", ("salary", "currency", "bonus", "respond_by")),
    "negotiating": ("counter", ("salary", "currency", "reasons", "note")),
    "accepted": ("accept", ("start",)),
    "withdrawn": ("withdraw", ("reason",)),
    "declined": ("declined", ("reason",)),
}


def move_fields(state: str) -> Sequence[Field]:
    kind, wanted = MOVES[state]
    return [f for f in BY_KIND[kind].fields if f.name in wanted]


def move_form(state: str, app: Application) -> FactForm:
    """The form whose fact moves ``app`` to ``state``; refused when no fact does."""
    if state not in MOVES:
        if state == "applied":
            raise DomainError(
                f"no fact moves application {app.id!r} back to applied: void the fact that "
                "moved it on (its application page lists them)")
        raise InvalidValue(f"unknown state {state!r}")
    return BY_KIND[MOVES[state][0]]


def record(engine: Engine, app_ref: str, form: FactForm, values: Values) -> Result:
    """Record the form's fact, as the command of the same name does."""
    app = engine.application(app_ref)
    return form.record(engine, app, values, when(engine, values, "at"))
