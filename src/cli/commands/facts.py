"""Fact-entering commands: each builds one event from its options and records it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict, TypeVar, Unpack

import click

from afterview.cli.commands.core import echo_recorded, record_fact
from afterview.cli.context import (
    Refused,
    complete_application,
    money,
    required_money,
    required_when,
    session,
    when,
)

if TYPE_CHECKING:
    from afterview.engine.domain.events import OfferTerms

_AT = click.option("--at", "at", metavar="WHEN", help="When it happened (default: now).")
_APP = click.argument("app", metavar="APP", shell_complete=complete_application)

REASONS = ("commute", "relocation", "degree", "certification", "market", "other")


class MoneyOptions(TypedDict):
    """The money options as click hands them over (the terms of an offer or counter)."""

    salary: str
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


def _money_options(command: Command) -> Command:
    """The terms of an offer, shared by ``offer`` and ``counter``."""
    options = [
        click.option("--salary", required=True, metavar="N", help="Base salary per year."),
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


def terms_from_options(options: MoneyOptions) -> OfferTerms:
    """Offer terms from the money options; amounts checked, currency defaulted."""
    from afterview.engine.domain.amounts import currency_code
    from afterview.engine.domain.events import OfferTerms

    bonus_text = options.get("bonus")
    bonus = bonus_percent = None
    if bonus_text is not None and bonus_text.strip().endswith("%"):
        bonus_percent = money(bonus_text.strip()[:-1], "--bonus")
        if bonus_percent is not None and bonus_percent > 1000:
            raise Refused(f"--bonus {bonus_text!r} is not a plausible percentage")
    else:
        bonus = money(bonus_text, "--bonus")
    typed = options.get("currency") or session().engine.settings.currency
    currency = currency_code(typed)
    if currency is None:
        raise Refused(f"--currency {typed.strip().upper()!r} is not a currency code: use three "
                      "letters such as USD")
    equity_total = money(options.get("equity_total"), "--equity-total")
    years = options.get("vesting_years")
    if years is not None and equity_total is None:
        raise Refused("--vesting-years goes with --equity-total")
    return OfferTerms(
        currency=currency,
        base=required_money(options["salary"], "--salary"),
        bonus=bonus,
        bonus_percent=bonus_percent,
        signing=money(options.get("signing"), "--signing"),
        equity_per_year=money(options.get("equity"), "--equity"),
        equity_total=equity_total,
        equity_years=(years or 4) if equity_total is not None else None,
        relocation=money(options.get("relocation"), "--relocation"),
        benefits=tuple(options.get("benefits") or ()),
        benefits_value=money(options.get("benefits_value"), "--benefits-value"),
        commute_minutes=options.get("commute_minutes"),
        commute_cost=money(options.get("commute_cost"), "--commute-cost"),
        remote_days=options.get("remote_days"),
    )


@click.command()
@_APP
@click.option("--on", "on", required=True, metavar="WHEN", help="When the interview takes place.")
@click.option("--round", "round_", type=click.IntRange(1, 50), metavar="N",
              help="Round number (default: the next one).")
@click.option("--kind", type=click.Choice(["phone", "video", "onsite"]), help="How it takes place.")
@click.option("--with", "interviewers", multiple=True, metavar="NAME", help="Interviewer (repeatable).")
@click.option("--at", "at", metavar="WHEN", help="When it was arranged (default: now).")
def interview(app: str, on: str, round_: int | None, kind: str | None,
              interviewers: tuple[str, ...], at: str | None) -> None:
    """Record that an interview was scheduled (also a later round)."""
    scheduled_for = required_when(on, "--on")
    engine = session().engine
    echo_recorded(engine.schedule_interview(app, scheduled_for, round=round_, kind=kind,
                                            interviewers=interviewers, at=when(at)))


@click.command()
@_APP
@click.option("--round", "round_", type=click.IntRange(1, 50), metavar="N",
              help="Which round (default: the next one not held).")
@click.option("--with", "interviewers", multiple=True, metavar="NAME", help="Person you met (repeatable).")
@click.option("--question", "questions", multiple=True, metavar="Q", help="A question asked (repeatable).")
@click.option("--answer", "answers", multiple=True, metavar="A", help="Your answer, in question order.")
@click.option("--better", multiple=True, metavar="B", help="What you would answer better, in question order.")
@click.option("--note", metavar="T", help="Anything else worth remembering.")
@_AT
def debrief(app: str, round_: int | None, interviewers: tuple[str, ...],
            questions: tuple[str, ...], answers: tuple[str, ...], better: tuple[str, ...],
            note: str | None, at: str | None) -> None:
    """Record an interview you had: people met, questions, your answers, what to improve."""
    from afterview.engine.domain.events import InterviewHeld, Question

    if len(answers) > len(questions) or len(better) > len(questions):
        raise Refused("each --answer and --better follows the --question it belongs to")
    if any(not q.strip() for q in questions):
        raise Refused("--question cannot be empty")
    asked = tuple(
        Question(q, answers[i] if i < len(answers) else None, better[i] if i < len(better) else None)
        for i, q in enumerate(questions)
    )
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
@_money_options
@click.option("--respond-by", metavar="WHEN", help="When they want your answer.")
@_AT
def offer(app: str, respond_by: str | None, at: str | None,
          **terms: Unpack[MoneyOptions]) -> None:
    """Record an offer (while negotiating: the company's revised offer)."""
    offered, respond = terms_from_options(terms), when(respond_by, "--respond-by")
    echo_recorded(session().engine.receive_offer(app, offered, respond_by=respond, at=when(at)))


@click.command("ask-time")
@_APP
@click.option("--until", "until", required=True, metavar="WHEN", help="The new date to decide by.")
@_AT
def ask_time(app: str, until: str, at: str | None) -> None:
    """Record that you asked for time to decide (moves the decision deadline)."""
    from afterview.engine.domain.events import DecisionTimeRequested

    record_fact(app, DecisionTimeRequested(required_when(until, "--until")), at)


@click.command()
@_APP
@_money_options
@click.option("--reason", "reasons", multiple=True, type=click.Choice(REASONS),
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
    """Record that you accepted the offer."""
    from afterview.engine.domain.events import OfferAccepted

    start_at = when(start, "--start")
    record_fact(app, OfferAccepted(start_at.date() if start_at else None), at)


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
    from afterview.cli.output import render, views

    s = session()
    result = s.engine.void(event_id, reason, at=when(at))
    if s.as_json:
        emit_json(views.application_json(result.application, s.engine.now(), detail=True))
    else:
        from afterview.engine.domain.events import EventVoided

        correction = result.facts[0].event
        assert isinstance(correction, EventVoided)
        voided = correction.event_id
        click.echo(f"voided {voided} in {result.application.id}: now "
                   f"{render.state_label(result.application.state)}")


COMMANDS = [interview, debrief, thanks, follow_up, offer, ask_time, counter, accept, withdraw,
            declined, feedback, reflect, notice, contact, void]
