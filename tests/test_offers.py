"""Offers weighed whole: totals worked out by hand, comparison per currency, negotiation
rounds, the negotiation aid from recorded facts only, and the plan after acceptance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings

from afterview.engine.domain import events as ev
from afterview.engine.domain.offers import (
    acceptance_plan,
    compare_offers,
    negotiation_aid,
    negotiation_rounds,
    total_compensation,
)
from afterview.engine.service.api import Engine
from conftest import new_york
from strategies import offer_terms


def _apply(engine: Engine, company: str, role: str = "Engineer") -> str:
    result = engine.apply(ev.ApplicationSubmitted(company, role),
                          at=new_york("2026-10-01T09:00"))
    return result.application.id


def _offer(engine: Engine, app_id: str, terms: ev.OfferTerms, day: str = "2026-10-20") -> None:
    engine.record(app_id, ev.OfferReceived(terms), at=new_york(f"{day}T09:00"))


def _counter(engine: Engine, app_id: str, base: int, day: str, reasons: tuple[str, ...] = (),
             note: str | None = None, currency: str = "USD") -> None:
    engine.record(app_id, ev.CounterOfferMade(ev.OfferTerms(currency, base), reasons, note),
                  at=new_york(f"{day}T09:00"))


# ---------------------------------------------------------------------------
# Total compensation, by hand


def test_every_kind_of_term_by_hand() -> None:
    terms = ev.OfferTerms(
        "USD", 100_000, bonus_percent="12.5", signing=10_000, equity_total=60_000,
        equity_years=4, relocation=8_000, benefits=("health",), benefits_value=4_000,
        commute_minutes=45, commute_cost=3_600, remote_days=2,
    )
    comp = total_compensation(terms)
    assert comp.bonus == Decimal("12500.00")  # 12.5% of 100,000
    assert comp.equity_per_year == Decimal("15000.00")  # 60,000 over 4 years
    # 100,000 + 12,500 + 10,000 + 15,000 + 8,000 + 4,000 - 3,600
    assert comp.first_year_total == Decimal("145900")
    # the same without the one-offs (signing 10,000 and relocation 8,000)
    assert comp.yearly_total == Decimal("127900")


def test_bonus_amount_and_equity_per_year_as_recorded() -> None:
    comp = total_compensation(ev.OfferTerms("EUR", 85_000, bonus=7_000, equity_per_year=5_000))
    assert (comp.first_year_total, comp.yearly_total) == (Decimal(97_000), Decimal(97_000))


def test_derived_amounts_are_rounded_to_cents_and_add_up() -> None:
    comp = total_compensation(ev.OfferTerms("USD", 70_001, bonus_percent="7.5",
                                            equity_total=10_000, equity_years=3))
    assert comp.bonus == Decimal("5250.08")  # 5,250.075 rounded half up
    assert comp.equity_per_year == Decimal("3333.33")  # 10,000 / 3
    assert comp.yearly_total == Decimal("78584.41")  # 70,001 + 5,250.08 + 3,333.33


def test_a_grant_without_vesting_years_vests_over_four() -> None:
    comp = total_compensation(ev.OfferTerms("USD", 50_000, equity_total=48_000))
    assert comp.equity_per_year == Decimal(12_000)


def test_commute_cost_can_make_the_smaller_salary_worth_more() -> None:
    far = total_compensation(ev.OfferTerms("USD", 92_000, commute_cost=6_000))
    near = total_compensation(ev.OfferTerms("USD", 90_000, commute_cost=500))
    assert near.yearly_total > far.yearly_total


@settings(max_examples=150, deadline=None)
@given(offer_terms())
def test_totals_are_the_sum_of_their_parts(terms: ev.OfferTerms) -> None:
    comp = total_compensation(terms)
    parts = comp.base + comp.bonus + comp.equity_per_year + comp.benefits_value
    assert comp.yearly_total == parts - comp.commute_cost
    assert comp.first_year_total - comp.yearly_total == comp.signing + comp.relocation
    assert comp.bonus == comp.bonus.quantize(Decimal("0.01"))


# ---------------------------------------------------------------------------
# Comparison: one group per currency, never ranked across


def test_offers_are_grouped_by_currency_and_ranked_within(engine: Engine) -> None:
    berlin = _apply(engine, "Berlin GmbH")
    paris = _apply(engine, "Paris SA")
    boston = _apply(engine, "Boston Inc")
    _apply(engine, "No Offer Ltd")
    _offer(engine, berlin, ev.OfferTerms("EUR", 70_000, signing=5_000))
    _offer(engine, paris, ev.OfferTerms("EUR", 72_000))
    _offer(engine, boston, ev.OfferTerms("USD", 60_000))
    groups = compare_offers(engine.applications(), home_currency="USD")
    assert [g.currency for g in groups] == ["USD", "EUR"]  # your own currency first
    assert [o.application.id for o in groups[0].offers] == [boston]
    eur = groups[1].offers
    # Berlin's first year (75,000) beats Paris (72,000) although its base is lower.
    assert [(o.application.id, o.rank) for o in eur] == [(berlin, 1), (paris, 2)]
    assert groups[0].offers[0].rank == 1  # ranked only against USD offers


def test_closed_applications_are_left_out_unless_asked(engine: Engine) -> None:
    kept, gone = _apply(engine, "Kept"), _apply(engine, "Gone")
    _offer(engine, kept, ev.OfferTerms("USD", 50_000))
    _offer(engine, gone, ev.OfferTerms("USD", 90_000))
    engine.record(gone, ev.ApplicationWithdrawn("turned it down"), at=new_york("2026-10-21T09:00"))
    shown = compare_offers(engine.applications())
    assert [o.application.id for g in shown for o in g.offers] == [kept]
    every = compare_offers(engine.applications(), include_closed=True)
    assert [o.application.id for g in every for o in g.offers] == [gone, kept]


def test_the_latest_offer_is_the_one_compared(engine: Engine) -> None:
    app_id = _apply(engine, "Acme")
    _offer(engine, app_id, ev.OfferTerms("USD", 90_000))
    _counter(engine, app_id, 100_000, "2026-10-21")
    _offer(engine, app_id, ev.OfferTerms("USD", 95_000), day="2026-10-23")
    [group] = compare_offers(engine.applications())
    assert group.offers[0].compensation.base == Decimal(95_000)


# ---------------------------------------------------------------------------
# Negotiation rounds: the company's offers against your asks


def test_rounds_pair_each_offer_with_your_ask(engine: Engine) -> None:
    app_id = _apply(engine, "Acme")
    _offer(engine, app_id, ev.OfferTerms("USD", 90_000))
    _counter(engine, app_id, 100_000, "2026-10-21", ("commute",))
    _offer(engine, app_id, ev.OfferTerms("USD", 95_000), day="2026-10-23")
    _counter(engine, app_id, 98_000, "2026-10-24")
    _offer(engine, app_id, ev.OfferTerms("USD", 97_000), day="2026-10-26")
    rounds = negotiation_rounds(engine.application(app_id).rounds)
    pairs = [(r.number, r.offer and int(r.offer.terms.base), r.ask and int(r.ask.terms.base))
             for r in rounds]
    assert pairs == [(1, 90_000, 100_000), (2, 95_000, 98_000), (3, 97_000, None)]
    assert rounds[0].ask is not None and rounds[0].ask.reasons == ("commute",)


def test_a_second_ask_without_a_new_offer_is_its_own_round(engine: Engine) -> None:
    app_id = _apply(engine, "Acme")
    _offer(engine, app_id, ev.OfferTerms("USD", 90_000))
    _counter(engine, app_id, 100_000, "2026-10-21")
    _counter(engine, app_id, 97_000, "2026-10-22")
    rounds = negotiation_rounds(engine.application(app_id).rounds)
    assert [(r.offer is None, r.ask and int(r.ask.terms.base)) for r in rounds] == [
        (False, 100_000), (True, 97_000)]


# ---------------------------------------------------------------------------
# Negotiation aid: only below target, only arguments backed by recorded facts


def test_the_gap_to_the_target_in_amount_and_percent(engine: Engine) -> None:
    engine.set_setting("target_salary", "100000")
    app_id = _apply(engine, "Acme")
    _offer(engine, app_id, ev.OfferTerms("USD", 90_000, signing=5_000))
    aid = negotiation_aid(engine.application(app_id), engine.settings)
    assert aid is not None
    assert aid.gap == Decimal(10_000)
    assert aid.gap_percent == Decimal("11.1")  # 10,000 / 90,000: the raise that reaches it
    assert aid.first_year_total == Decimal(95_000)
    assert aid.arguments == ()  # nothing recorded, nothing guessed


def test_no_aid_at_or_above_target_without_a_target_or_in_another_currency(
        engine: Engine) -> None:
    at_target, euro = _apply(engine, "At Target"), _apply(engine, "Euro")
    _offer(engine, at_target, ev.OfferTerms("USD", 100_000))
    _offer(engine, euro, ev.OfferTerms("EUR", 50_000))
    assert negotiation_aid(engine.application(at_target), engine.settings) is None  # no target
    engine.set_setting("target_salary", "100000")
    assert negotiation_aid(engine.application(at_target), engine.settings) is None
    assert negotiation_aid(engine.application(euro), engine.settings) is None


def test_no_aid_once_the_offer_is_accepted(engine: Engine) -> None:
    engine.set_setting("target_salary", "100000")
    app_id = _apply(engine, "Acme")
    _offer(engine, app_id, ev.OfferTerms("USD", 90_000))
    engine.record(app_id, ev.OfferAccepted(date(2027, 1, 4)), at=new_york("2026-10-21T09:00"))
    assert negotiation_aid(engine.application(app_id), engine.settings) is None


def test_arguments_come_only_from_recorded_facts(engine: Engine) -> None:
    engine.set_setting("target_salary", "100000")
    app_id, other = _apply(engine, "Acme"), _apply(engine, "Other")
    _offer(engine, app_id, ev.OfferTerms("USD", 90_000, commute_minutes=50, commute_cost=2_400))
    engine.record(app_id, ev.NoteAdded("#degree MSc in CS, not required by the posting"),
                  at=new_york("2026-10-20T10:00"))
    engine.record(app_id, ev.NoteAdded("I have a certification too"),  # untagged: not evidence
                  at=new_york("2026-10-20T11:00"))
    engine.record(other, ev.NoteAdded("#relocation moving to Denver"),  # another application
                  at=new_york("2026-10-20T10:00"))
    aid = negotiation_aid(engine.application(app_id), engine.settings)
    assert aid is not None
    assert [a.kind for a in aid.arguments] == ["commute", "degree"]
    commute, degree = aid.arguments
    assert "50 minutes each way" in commute.evidence and "2,400 USD" in commute.evidence
    assert "MSc in CS" in degree.evidence


def test_reasons_given_in_a_counter_back_later_rounds(engine: Engine) -> None:
    engine.set_setting("target_salary", "100000")
    app_id = _apply(engine, "Acme")
    _offer(engine, app_id, ev.OfferTerms("USD", 90_000, relocation=6_000))
    _counter(engine, app_id, 100_000, "2026-10-21", ("certification", "other"),
             note="AWS and CKA certifications")
    _offer(engine, app_id, ev.OfferTerms("USD", 94_000, relocation=6_000), day="2026-10-23")
    aid = negotiation_aid(engine.application(app_id), engine.settings)
    assert aid is not None
    assert [a.kind for a in aid.arguments] == ["relocation", "certification"]
    assert "AWS and CKA" in aid.arguments[1].evidence


# ---------------------------------------------------------------------------
# The plan after acceptance


def test_the_plan_counts_back_from_the_start_date(engine: Engine) -> None:
    engine.set_setting("currently_employed", "true")
    accepted, waiting, done = (_apply(engine, name) for name in ("Acme", "Beta", "Gamma"))
    engine.record(done, ev.ApplicationDeclined(), at=new_york("2026-10-10T09:00"))
    _offer(engine, accepted, ev.OfferTerms("USD", 90_000))
    engine.record(accepted, ev.OfferAccepted(date(2027, 1, 4)), at=new_york("2026-11-20T09:00"))
    plan = acceptance_plan(engine.application(accepted), engine.applications(), engine.settings)
    assert plan is not None
    assert plan.start_date == date(2027, 1, 4)
    assert plan.last_working_day == date(2027, 1, 1)  # 3 rest days before the start
    assert plan.notice_date == date(2026, 12, 18)  # 14 days before the last working day
    assert plan.currently_employed
    # Beta is still open, so accepting scheduled its withdrawal; Gamma had already ended.
    assert [(other.id, task.kind) for other, task in plan.withdrawals] == [
        (waiting, "withdraw-application")]


def test_settings_move_the_plan_and_other_states_have_none(engine: Engine) -> None:
    engine.set_setting("rest_days", "7")
    engine.set_setting("notice_days", "30")
    app_id = _apply(engine, "Acme")
    _offer(engine, app_id, ev.OfferTerms("USD", 90_000))
    assert acceptance_plan(engine.application(app_id), [], engine.settings) is None
    engine.record(app_id, ev.OfferAccepted(date(2027, 2, 1)), at=new_york("2026-11-20T09:00"))
    plan = acceptance_plan(engine.application(app_id), [], engine.settings)
    assert plan is not None
    # 30 days before Mon 25 January is Saturday 26 December: moved back to Friday 25 (no
    # country set, so only weekends are off).
    assert (plan.last_working_day, plan.notice_date) == (date(2027, 1, 25), date(2026, 12, 25))
    assert plan.withdrawals == ()


def test_the_worked_example_in_the_docs_is_what_afterview_computes() -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "offers.md").read_text(encoding="utf-8")
    stated = {name: Decimal(value.replace(",", "")) for name, value in re.findall(
        r"^(yearly total|first-year total) .*= ([\d,]+)$", doc, re.MULTILINE)}
    comp = total_compensation(ev.OfferTerms(
        "USD", 100_000, bonus_percent="12.5", signing=10_000, equity_total=60_000,
        equity_years=4, relocation=8_000, benefits_value=4_000, commute_cost=3_600))
    assert stated == {"yearly total": comp.yearly_total, "first-year total": comp.first_year_total}
