"""Offers weighed as a whole: total compensation, the side-by-side comparison, and the
negotiation rounds (the company's offers against your asks).

Pure functions over recorded terms. Money is ``Decimal`` throughout; a value derived by
multiplication or division (a bonus given as a percent, a grant spread over its vesting
years) is rounded to cents, half up, so the parts of a total always add up to it.
The formulas are spelled out in ``docs/offers.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import attrs

from afterview.engine.domain.lifecycle import NEGOTIABLE_STATES as NEGOTIABLE_STATES
from afterview.engine.domain.settings import Settings
from afterview.engine.domain.state import Application, OfferRound, Task
from afterview.engine.domain.values import OfferTerms

if TYPE_CHECKING:
    from afterview.engine.domain.calendar import WorkCalendar

CENT = Decimal("0.01")
ZERO = Decimal(0)
DEFAULT_VESTING_YEARS = 4
"""Years a total grant vests over when none was recorded (the CLI's default too)."""

IN_PLAY_STATES = frozenset({"offered", "negotiating", "accepted"})
"""States whose latest offer ``compare`` shows by default; ``--all`` adds the offers of
withdrawn and declined applications (turned down, or lost)."""


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _or_zero(value: Decimal | None) -> Decimal:
    return ZERO if value is None else value


def bonus_amount(terms: OfferTerms) -> Decimal:
    """The yearly bonus: the amount when one was recorded, else the percent of base."""
    if terms.bonus is not None:
        return terms.bonus
    if terms.bonus_percent is not None:
        return _cents(terms.base * terms.bonus_percent / 100)
    return ZERO


def equity_per_year(terms: OfferTerms) -> Decimal:
    """Equity per year: as recorded, else the total grant over its vesting years."""
    if terms.equity_per_year is not None:
        return terms.equity_per_year
    if terms.equity_total is not None:
        years = terms.equity_years if terms.equity_years is not None else DEFAULT_VESTING_YEARS
        return _cents(terms.equity_total / max(years, 1))
    return ZERO


@attrs.frozen
class Compensation:
    """Every part of an offer as money per year, and the two totals."""

    currency: str
    base: Decimal
    bonus: Decimal
    signing: Decimal
    equity_per_year: Decimal
    relocation: Decimal
    benefits_value: Decimal
    commute_cost: Decimal

    @property
    def yearly_total(self) -> Decimal:
        """Steady state: what a year is worth once the one-off payments are behind you."""
        return (self.base + self.bonus + self.equity_per_year + self.benefits_value
                - self.commute_cost)

    @property
    def first_year_total(self) -> Decimal:
        """The first year: the steady state plus the one-offs (signing, relocation)."""
        return self.yearly_total + self.signing + self.relocation


def total_compensation(terms: OfferTerms) -> Compensation:
    return Compensation(
        currency=terms.currency,
        base=terms.base,
        bonus=bonus_amount(terms),
        signing=_or_zero(terms.signing),
        equity_per_year=equity_per_year(terms),
        relocation=_or_zero(terms.relocation),
        benefits_value=_or_zero(terms.benefits_value),
        commute_cost=_or_zero(terms.commute_cost),
    )


def format_money(amount: Decimal, currency: str | None = None) -> str:
    """``95,000 USD``; cents only when there are some."""
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


# ---------------------------------------------------------------------------
# Negotiation rounds: each offer from the company, and the ask of yours that answered it


@attrs.frozen
class NegotiationRound:
    """One round: the company's offer (None when you countered twice without a new offer)
    and your counter to it (None when you did not counter)."""

    number: int
    offer: OfferRound | None
    ask: OfferRound | None


def negotiation_rounds(rounds: Sequence[OfferRound]) -> list[NegotiationRound]:
    """Pair every offer with the counter that followed it, in the order they happened."""
    pairs: list[list[OfferRound | None]] = []
    for offer_round in rounds:
        if offer_round.side == "offer":
            pairs.append([offer_round, None])
        elif pairs and pairs[-1][1] is None:
            pairs[-1][1] = offer_round
        else:
            pairs.append([None, offer_round])
    return [NegotiationRound(index, offer, ask)
            for index, (offer, ask) in enumerate(pairs, start=1)]


# ---------------------------------------------------------------------------
# Comparison


@attrs.frozen
class ComparedOffer:
    """One application's latest offer, weighed, with its negotiation rounds."""

    application: Application
    offer: OfferRound
    compensation: Compensation
    rounds: tuple[NegotiationRound, ...]
    rank: int  # 1 = the best first-year total among offers in the same currency


@attrs.frozen
class CurrencyGroup:
    """Offers in one currency, best first-year total first. Groups are never added up or
    ranked against each other: there is no exchange rate in the log."""

    currency: str
    offers: tuple[ComparedOffer, ...]


def _order_key(app: Application, comp: Compensation) -> tuple[Decimal, Decimal, str]:
    return (-comp.first_year_total, -comp.yearly_total, app.id)


def compare_offers(applications: Iterable[Application], *, home_currency: str = "USD",
                   include_closed: bool = False) -> list[CurrencyGroup]:
    """The latest offer of every application that has one, grouped by currency (your own
    currency first, then alphabetical) and ranked by first-year total within each group."""
    by_currency: dict[str, list[tuple[Application, OfferRound, Compensation]]] = {}
    for app in applications:
        offer = app.offer
        if offer is None or offer.terms is None or not (include_closed
                                                       or app.state in IN_PLAY_STATES):
            continue
        comp = total_compensation(offer.terms)
        by_currency.setdefault(comp.currency, []).append((app, offer, comp))
    groups = []
    for currency in sorted(by_currency, key=lambda code: (code != home_currency, code)):
        ranked = sorted(by_currency[currency], key=lambda item: _order_key(item[0], item[2]))
        groups.append(CurrencyGroup(currency, tuple(
            ComparedOffer(app, offer, comp, tuple(negotiation_rounds(app.rounds)), rank)
            for rank, (app, offer, comp) in enumerate(ranked, start=1)
        )))
    return groups


def offers_without_terms(applications: Iterable[Application], *,
                         include_closed: bool = False) -> list[Application]:
    """Applications whose latest offer was recorded without its terms."""
    return sorted((app for app in applications
                   if app.offer is not None and app.offer.terms is None
                   and (include_closed or app.state in IN_PLAY_STATES)), key=lambda a: a.id)


_TERM_LABELS = (("base", "base"), ("bonus", "bonus"), ("bonus_percent", "bonus %"),
                ("signing", "signing"), ("equity_per_year", "equity/yr"),
                ("equity_total", "equity total"), ("relocation", "relocation"),
                ("benefits_value", "benefits value"))


def term_changes(before: OfferTerms | None, after: OfferTerms | None) -> list[str]:
    """What a revised offer changed from the previous one: ``base 100,000 → 105,000``."""
    if before is None or after is None:
        return []
    changes = []
    for name, label in _TERM_LABELS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            shown_old = "-" if old is None else format_money(old)
            shown_new = "-" if new is None else format_money(new)
            changes.append(f"{label} {shown_old} → {shown_new}")
    if before.currency != after.currency:
        changes.append(f"currency {before.currency} → {after.currency}")
    if set(before.benefits) != set(after.benefits):
        changes.append(f"benefits {', '.join(before.benefits) or '-'} → "
                       f"{', '.join(after.benefits) or '-'}")
    return changes


def previous_offer(app: Application, offer_round: OfferRound) -> OfferRound | None:
    """The company's offer before ``offer_round``, if any."""
    earlier = None
    for candidate in app.rounds:
        if candidate is offer_round:
            return earlier
        if candidate.side == "offer":
            earlier = candidate
    return None


def latest_ask(app: Application) -> OfferRound | None:
    """Your counter to the latest offer, if you made one since it arrived."""
    rounds = negotiation_rounds(app.rounds)
    return rounds[-1].ask if rounds else None


# ---------------------------------------------------------------------------
# Negotiation aid: the gap to your target and the seed's legitimate arguments that your
# recorded facts back. Nothing is guessed: an argument appears only with its evidence.


ARGUMENTS: dict[str, str] = {
    "commute": "commute expenses",
    "relocation": "relocation expenses",
    "degree": "a university degree the job did not require, which prepares you to exceed "
              "its expectations",
    "certification": "a skillset or certifications that took extensive or costly training, "
                     "especially ones the listing named as preferred",
    "market": "verifiable market research on pay for this role",
}
"""The legitimate arguments of the seed (and its advice to base a counter on research)."""

# A note backs an argument when it carries one of these tags (``#degree MSc, not required``).
_TAGS = {"commute": "commute", "relocation": "relocation", "degree": "degree",
         "certification": "certification", "certifications": "certification",
         "training": "certification", "market": "market"}
_TAG = re.compile(r"#(" + "|".join(sorted(_TAGS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


@attrs.frozen
class Argument:
    kind: str  # a key of ARGUMENTS
    evidence: str  # the recorded fact that backs it

    @property
    def description(self) -> str:
        return ARGUMENTS[self.kind]


@attrs.frozen
class NegotiationAid:
    """An offer below your target: how far below, and what you can argue from your records.
    Like is compared with like: the base with ``target_salary`` (``measure`` "base"), or the
    first-year total with ``target_total`` (``measure`` "first-year total")."""

    application: str
    currency: str
    offered_base: Decimal
    target: Decimal
    first_year_total: Decimal
    arguments: tuple[Argument, ...]
    measure: str = "base"

    @property
    def offered(self) -> Decimal:
        """The amount compared with the target."""
        return self.offered_base if self.measure == "base" else self.first_year_total

    @property
    def gap(self) -> Decimal:
        return self.target - self.offered

    @property
    def gap_percent(self) -> Decimal:
        """The raise on the offered amount that would reach the target, in percent."""
        return (self.gap * 100 / self.offered).quantize(Decimal("0.1"), ROUND_HALF_UP)


def negotiation_aid(app: Application, settings: Settings) -> NegotiationAid | None:
    """The aid for an offer still open that is below your target, in the settings' currency
    (never across currencies: no exchange rate), until you make a counter to it."""
    offer, currency = app.offer, settings.currency
    if (offer is None or offer.terms is None or app.state not in NEGOTIABLE_STATES
            or offer.terms.currency != currency or latest_ask(app) is not None):
        return None
    terms = offer.terms
    total = total_compensation(terms).first_year_total
    if settings.target_salary is not None and terms.base < settings.target_salary:
        measure, target = "base", settings.target_salary
    elif settings.target_total is not None and 0 < total < settings.target_total:
        measure, target = "first-year total", settings.target_total
    else:
        return None
    return NegotiationAid(app.id, currency, terms.base, target, total,
                          tuple(recorded_arguments(app)), measure)


def recorded_arguments(app: Application) -> list[Argument]:
    """Arguments backed by facts about this application, one per kind, in seed order."""
    found: dict[str, Argument] = {}
    offer = app.offer
    if offer is not None and offer.terms is not None:
        _from_terms(offer.terms, found)
    for offer_round in app.rounds:
        if offer_round.side != "counter":
            continue
        day = offer_round.at.date().isoformat()
        for reason in offer_round.reasons:
            if reason in ARGUMENTS:
                note = f": {offer_round.note}" if offer_round.note else ""
                found.setdefault(reason, Argument(reason, f"your counter of {day} gave it{note}"))
    texts = [(at, text) for at, text in app.notes]
    texts += [(r.at, r.note) for r in app.rounds if r.side == "counter" and r.note]
    for at, text in texts:
        for tag in _TAG.findall(text):
            kind = _TAGS[tag.lower()]
            found.setdefault(kind, Argument(kind, f"you noted on {at.date().isoformat()}: {text}"))
    return [found[kind] for kind in ARGUMENTS if kind in found]


def _from_terms(terms: OfferTerms, found: dict[str, Argument]) -> None:
    parts = []
    if terms.commute_minutes:
        parts.append(f"{terms.commute_minutes} minutes each way")
    if terms.commute_cost:
        parts.append(f"{format_money(terms.commute_cost, terms.currency)} a year")
    if parts:
        found["commute"] = Argument("commute", "the offer records a commute of " + ", ".join(parts))
    if terms.relocation:
        found["relocation"] = Argument(
            "relocation", f"the job means moving: the offer's relocation allowance is "
                          f"{format_money(terms.relocation, terms.currency)}")


# ---------------------------------------------------------------------------
# The plan after acceptance (the seed: withdraw elsewhere, two weeks' notice, a few days off)


@attrs.frozen
class AcceptancePlan:
    application: str
    start_date: date | None
    rest_days: int
    notice_days: int
    currently_employed: bool
    notice_given_at: datetime | None
    withdrawals: tuple[tuple[Application, Task], ...]  # open withdraw-application tasks
    last_working_day: date | None = None
    notice_date: date | None = None


def acceptance_plan(app: Application, others: Iterable[Application],
                    settings: Settings, calendar: WorkCalendar | None = None) -> AcceptancePlan | None:
    """The plan for an accepted offer (None for any other state). The last working day is
    the last business day on or before the start minus the rest days (on ``calendar``, when
    given; else counting weekends only); the notice date is the one the resignation-notice
    task recorded, if there is one (a recorded deadline never moves), else computed."""
    if app.state != "accepted":
        return None
    withdrawals = tuple(
        (other, task)
        for other in sorted(others, key=lambda o: o.id) if other.id != app.id
        for task in sorted(other.open_tasks(), key=lambda t: t.due_at)
        if task.kind == "withdraw-application"
    )
    last_day = notice = None
    if app.start_date is not None:
        last_day = _on_or_before(app.start_date - timedelta(settings.rest_days), calendar)
        notice = _on_or_before(last_day - timedelta(settings.notice_days), calendar)
        recorded = [t for t in app.tasks.values() if t.kind == "resignation-notice"]
        if recorded:
            notice = recorded[-1].due_at.date()
    return AcceptancePlan(app.id, app.start_date, settings.rest_days, settings.notice_days,
                          settings.currently_employed, app.notice_given_at, withdrawals,
                          last_day, notice)


def _on_or_before(day: date, calendar: WorkCalendar | None) -> date:
    if calendar is not None:
        return calendar.business_day_on_or_before(day)
    while day.weekday() >= 5:  # without a calendar, weekends are still not working days
        day -= timedelta(days=1)
    return day
