"""Fact-entering commands: each builds one event from its options and records it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict, TypeVar, Unpack

import click

from afterview.cli.context import (
    Refused,
    complete_application,
    deadline,
    keywords,
    required_when,
    session,
    when,
)
from afterview.cli.recording import echo_recorded, record_fact

if TYPE_CHECKING:
    from afterview.engine.domain.events import JsonObject, OfferTerms

_AT = click.option("--at", "at", metavar="WHEN", help="When it happened (default: now).")
_APP = click.argument("app", metavar="APP", shell_complete=complete_application)

REASONS = ("commute", "relocation", "degree", "certification", "market", "other")


class MoneyOptions(TypedDict):
    """The money options as click hands them over (the terms of an offer or counter)."""

    salary: str | None
    currency: str | None
    bonus: str | None
    signing: str | None
    equity: str | None
    equity_total: str | None
    vesting_years: int | None
    relocation: str | None
    benefits: tuple[str, ...]
    benefits_value: str | None
    commute_minutes: int | None
    commute_cost: str | None
    remote_days: int | None


Command = TypeVar("Command", bound=Callable[..., None])


def _money_options(command: Command, *, salary_required: bool = True) -> Command:
    """The terms of an offer, shared by ``offer`` and ``counter``."""
    salary_help = "Base salary per year." if salary_required else (
        "Base salary per year (a revised offer keeps every term it does not repeat).")
    options = [
        click.option("--salary", required=salary_required, metavar="N", help=salary_help),
        click.option("--currency", metavar="C", help="Currency code (default: setting, else USD)."),
        click.option("--bonus", metavar="N|P%", help="Yearly bonus: an amount, or a percent of base."),
        click.option("--signing", metavar="N", help="Signing bonus (once)."),
        click.option("--equity", metavar="N", help="Equity value per year."),
        click.option("--equity-total", metavar="N", help="Total equity grant (with --vesting-years)."),
        click.option("--vesting-years", type=click.IntRange(1, 10), metavar="Y",
                     help="Years the total grant vests over (default 4)."),
        click.option("--relocation", metavar="N", help="Moving allowance (once)."),
        click.option("--benefit", "benefits", multiple=True, metavar="T",
                     help="A benefit, in words (repeatable)."),
        click.option("--benefits-value", metavar="N", help="Yearly value of the benefits."),
        click.option("--commute-minutes", type=click.IntRange(0, 600), metavar="M",
                     help="Commute, minutes each way."),
        click.option("--commute-cost", metavar="N", help="Commute cost per year."),
        click.option("--remote-days", type=click.IntRange(0, 7), metavar="D",
                     help="Remote days per week."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _offer_options(command: Command) -> Command:
    return _money_options(command, salary_required=False)


def terms_from_options(options: MoneyOptions) -> OfferTerms:
    """Offer terms from the money options; amounts checked, currency defaulted."""
    from afterview.engine.service.inputs import offer_terms

    return _refusing(lambda: offer_terms(options, session().engine.settings.currency))


def given_terms(options: MoneyOptions) -> JsonObject:
    """The terms given on the command line, by OfferTerms field; amounts checked (by
    engine.service.inputs, as the web app's offer form is)."""
    from afterview.engine.service import inputs

    return _refusing(lambda: inputs.given_terms(options))


T = TypeVar("T")


def _refusing(read: Callable[[], T]) -> T:
    """A value the inputs refuse, as the command line's own refusal (exit 2)."""
    from afterview.engine.service.errors import InvalidValue

    try:
        return read()
    except InvalidValue as error:
        raise Refused(str(error)) from None


@click.command()
@_APP
@click.option("--on", "on", metavar="WHEN",
              help="When it takes place; for a round scheduled and not yet held, its new time.")
@click.option("--round", "round_", type=click.IntRange(1, 50), metavar="N",
              help="Round number (default: the pending round, else the next one).")
@click.option("--kind", type=keywords(["phone", "video", "onsite"]), help="How it takes place.")
@click.option("--with", "interviewers", multiple=True, metavar="NAME", help="Interviewer (repeatable).")
@click.option("--cancel", is_flag=True, help="The pending round is cancelled.")
@click.option("--by", type=keywords(["me", "company"]), help="Who moved or cancelled it.")
@click.option("--reason", metavar="T", help="Why it was cancelled.")
@click.option("--at", "at", metavar="WHEN",
              help="When it was arranged (default: now, or the interview's time if that has passed).")
def interview(app: str, on: str | None, round_: int | None, kind: str | None,
              interviewers: tuple[str, ...], cancel: bool, by: str | None, reason: str | None,
              at: str | None) -> None:
    """Record that an interview was scheduled (also a later round), moved or cancelled.

    For a round already scheduled and not yet held, --on moves it (rescheduled): the
    agenda, show and the calendar then show one interview at the new time."""
    if cancel == (on is not None):
        raise Refused("use --on WHEN to schedule or move an interview, or --cancel")
    if cancel:
        if kind or interviewers:
            raise Refused("--kind and --with describe a scheduled interview, not a cancellation")
        echo_recorded(session().engine.cancel_interview(app, round=round_, by=by, reason=reason,
                                                        at=when(at)))
        return
    if reason is not None:
        raise Refused("--reason goes with --cancel")
    assert on is not None
    scheduled_for = required_when(on, "--on")
    echo_recorded(session().engine.schedule_interview(
        app, scheduled_for, round=round_, kind=kind, interviewers=interviewers, by=by,
        at=when(at)))


@click.command()
@_APP
@click.option("--round", "round_", type=click.IntRange(1, 50), metavar="N",
              help="Which round (default: the next one not held).")
@click.option("--with", "interviewers", multiple=True, metavar="NAME", help="Person you met (repeatable).")
@click.option("--qa", "qas", multiple=True, nargs=3, metavar="QUESTION ANSWER TIP",
              help='A question, your answer and what you would answer better, kept together '
                   '(repeatable; "" for an answer or tip you have not got).')
@click.option("--question", "questions", multiple=True, metavar="Q", help="A question asked (repeatable).")
@click.option("--answer", "answers", multiple=True, metavar="A",
              help="Your answer: one per --question, or none at all.")
@click.option("--better", multiple=True, metavar="B",
              help="What you would answer better: one per --question, or none at all.")
@click.option("--note", metavar="T", help="Anything else worth remembering.")
@click.option("--at", "at", metavar="WHEN",
              help="When it was held (default: the round's scheduled time once it has passed).")
def debrief(app: str, round_: int | None, interviewers: tuple[str, ...],
            qas: tuple[tuple[str, str, str], ...], questions: tuple[str, ...],
            answers: tuple[str, ...], better: tuple[str, ...], note: str | None,
            at: str | None) -> None:
    """Record an interview you had: people met, questions, your answers, what to improve."""
    from afterview.engine.domain.events import InterviewHeld
    from afterview.engine.service import inputs

    for option, given in (("--answer", answers), ("--better", better)):
        if given and len(given) != len(questions):
            raise Refused(f"{len(questions)} --question but {len(given)} {option}: give one "
                          f"{option} per --question (\"\" for none), or use --qa QUESTION "
                          "ANSWER TIP to keep each together")
    pairs = [*qas, *zip(questions, answers or ("",) * len(questions),
                        better or ("",) * len(questions), strict=True)]
    asked = _refusing(lambda: inputs.questions(pairs))
    record_fact(app, InterviewHeld(round_, interviewers, asked, note), at)


@click.command()
@_APP
@click.option("--to", "to", multiple=True, metavar="NAME", help="Who you thanked (repeatable).")
@_AT
def thanks(app: str, to: tuple[str, ...], at: str | None) -> None:
    """Record a thank-you or appreciation note you sent."""
    from afterview.engine.domain.events import ThankYouSent

    record_fact(app, ThankYouSent(to), at)


@click.command("follow-up")
@_APP
@click.option("--note", metavar="T", help="What you wrote or said.")
@_AT
def follow_up(app: str, note: str | None, at: str | None) -> None:
    """Record that you followed up."""
    from afterview.engine.domain.events import FollowUpSent

    record_fact(app, FollowUpSent(note), at)


@click.command()
@_APP
@_offer_options
@click.option("--respond-by", metavar="WHEN",
              help="When they want your answer (a date alone: the end of that working day).")
@_AT
def offer(app: str, respond_by: str | None, at: str | None,
          **terms: Unpack[MoneyOptions]) -> None:
    """Record an offer; while offered or negotiating, the company's revised offer, which keeps
    every term it does not repeat. Without terms, the offer is recorded as terms not known."""
    respond_at, whole_day = deadline(respond_by, "--respond-by")
    echo_recorded(session().engine.receive_offer(
        app, given_terms(terms) or None, respond_by=respond_at, whole_day=whole_day,
        at=when(at)))


@click.command("ask-time")
@_APP
@click.option("--until", "until", required=True, metavar="WHEN",
              help="The new date to decide by (a date alone: the end of that working day).")
@_AT
def ask_time(app: str, until: str, at: str | None) -> None:
    """Record that you asked for time to decide (moves the decision deadline, never earlier)."""
    from afterview.engine.domain.events import DecisionTimeRequested

    until_at, whole_day = deadline(until, "--until")
    assert until_at is not None
    record_fact(app, DecisionTimeRequested(until_at, whole_day), at)


@click.command()
@_APP
@_money_options
@click.option("--reason", "reasons", multiple=True, type=keywords(REASONS),
              help="A legitimate argument for more (repeatable).")
@click.option("--note", metavar="T", help="Your evidence, in words.")
@_AT
def counter(app: str, reasons: tuple[str, ...], note: str | None, at: str | None,
            **terms: Unpack[MoneyOptions]) -> None:
    """Record a counter-offer you made."""
    from afterview.engine.domain.events import CounterOfferMade

    record_fact(app, CounterOfferMade(terms_from_options(terms), reasons, note), at)


@click.command()
@_APP
@click.option("--start", metavar="WHEN", help="Your start date at the new job.")
@_AT
def accept(app: str, start: str | None, at: str | None) -> None:
    """Record that you accepted the offer (on an accepted one, --start records the start date)."""
    from afterview.engine.domain.events import OfferAccepted

    start_at = when(start, "--start")
    record_fact(app, OfferAccepted(start_at.date() if start_at else None), at)


@click.command("start-date")
@_APP
@click.argument("start", metavar="WHEN")
@_AT
def start_date(app: str, start: str, at: str | None) -> None:
    """Record your start date after accepting: rest days, last working day and notice follow."""
    from afterview.engine.domain.events import StartDateRecorded

    record_fact(app, StartDateRecorded(required_when(start, "WHEN").date()), at)


@click.command()
@_APP
@click.option("--reason", required=True, metavar="T", help="Why it was a mistake (a duplicate, ...).")
@_AT
def discard(app: str, reason: str, at: str | None) -> None:
    """Discard an application entered by mistake or twice: it leaves the board, agenda, stats,
    report and compare (list --all, show and history keep it; void the discard to restore it)."""
    from afterview.engine.domain.events import ApplicationDiscarded

    record_fact(app, ApplicationDiscarded(reason), at)


@click.command()
@click.argument("first", metavar="FROM")
@click.argument("last", metavar="TO")
@click.option("--reason", metavar="T", help="Why (for your records).")
def vacation(first: str, last: str, reason: str | None) -> None:
    """Record personal days off, FROM to TO included: deadlines computed later skip them
    (deadlines already recorded never move)."""
    from afterview.cli.context import emit_json

    s = session()
    first_day, last_day = required_when(first, "FROM").date(), required_when(last, "TO").date()
    s.engine.record_days_off(first_day, last_day, reason)
    if s.as_json:
        emit_json({"from": first_day.isoformat(), "to": last_day.isoformat(), "reason": reason})
    else:
        click.echo(f"days off {first_day:%a} {first_day.isoformat()} to {last_day:%a} "
                   f"{last_day.isoformat()}: not business days for deadlines from now on")


@click.command()
@_APP
@click.option("--reason", metavar="T", help="Why (for your records).")
@_AT
def withdraw(app: str, reason: str | None, at: str | None) -> None:
    """Record that you withdrew (also: you turned the offer down)."""
    from afterview.engine.domain.events import ApplicationWithdrawn

    record_fact(app, ApplicationWithdrawn(reason), at)


@click.command()
@_APP
@click.option("--reason", metavar="T", help="What they said.")
@_AT
def declined(app: str, reason: str | None, at: str | None) -> None:
    """Record that the company declined you."""
    from afterview.engine.domain.events import ApplicationDeclined

    record_fact(app, ApplicationDeclined(reason), at)


@click.command()
@_APP
@click.option("--requested", is_flag=True, help="You asked for feedback.")
@click.option("--received", metavar="TEXT", help="The feedback you received.")
@_AT
def feedback(app: str, requested: bool, received: str | None, at: str | None) -> None:
    """Record that you asked for feedback, or what feedback you received."""
    from afterview.engine.domain.events import FeedbackReceived, FeedbackRequested

    if requested == (received is not None):
        raise Refused("use exactly one of --requested or --received TEXT")
    record_fact(app, FeedbackRequested() if requested else FeedbackReceived(received or ""), at)


@click.command()
@_APP
@click.argument("text")
@_AT
def reflect(app: str, text: str, at: str | None) -> None:
    """Record your reflection and plan after the process."""
    from afterview.engine.domain.events import ReflectionRecorded

    record_fact(app, ReflectionRecorded(text), at)


@click.command()
@_APP
@_AT
def notice(app: str, at: str | None) -> None:
    """Record that you gave notice at your current job."""
    from afterview.engine.domain.events import NoticeGiven

    record_fact(app, NoticeGiven(), at)


@click.command()
@_APP
@click.argument("name")
@click.option("--title", metavar="T", help="Their job title.")
@click.option("--email", metavar="E", help="Their email address.")
@_AT
def contact(app: str, name: str, title: str | None, email: str | None, at: str | None) -> None:
    """Record a person at the company."""
    from afterview.engine.domain.events import ContactAdded

    record_fact(app, ContactAdded(name, title, email), at)


@click.command()
@click.argument("event_id", metavar="EVENT_ID")
@click.option("--reason", required=True, metavar="T", help="Why the fact was a mistake.")
@_AT
def void(event_id: str, reason: str, at: str | None) -> None:
    """Void a mistaken fact: it stays in the log, replay skips it."""
    from afterview.cli.context import emit_json
    from afterview.cli.output import views

    s = session()
    from afterview.engine.domain.state import PROFILE_STREAM

    target = s.engine.resolve_event(event_id)
    result_before = (None if target.stream_id == PROFILE_STREAM  # refused by void below
                     else s.engine.application(target.stream_id).state)
    result = s.engine.void(event_id, reason, at=when(at))
    if s.as_json:
        emit_json(views.application_detail_json(result.application, s.engine.now()))
    else:
        from afterview.cli.output.confirm import state_change
        from afterview.cli.output.sentences import sentence

        click.echo(f"Voided {target.event_id}: {sentence(target.type, target.data)}.")
        click.echo(state_change(result.application, result_before))


COMMANDS = [interview, debrief, thanks, follow_up, offer, ask_time, counter, accept, start_date,
            withdraw, declined, discard, feedback, reflect, notice, contact, void, vacation]
