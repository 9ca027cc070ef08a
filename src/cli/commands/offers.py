"""Offer and coaching commands: compare (offers side by side, one table per currency),
draft (a ready-to-edit message from the recorded facts) and practice (your interview
questions, for rehearsal)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import click

from afterview.cli.context import Refused, emit_json, session, when
from afterview.cli.output import render

if TYPE_CHECKING:
    from afterview.engine.domain.events import JsonObject
    from afterview.engine.domain.offers import ComparedOffer, CurrencyGroup, NegotiationRound
    from afterview.engine.domain.state import OfferRound

# Kept here as well as in engine.drafts so that ``--help`` does not import the engine.
DRAFT_KINDS = ("thank-you", "follow-up", "more-time", "counter-offer", "appreciation",
               "acceptance", "withdrawal", "resignation", "feedback-request")

_COLUMNS = ("application", "company", "state", "base", "bonus", "signing", "equity/yr",
            "relocation", "benefits", "commute", "first year", "yearly")


# ---------------------------------------------------------------------------
# compare


@click.command()
@click.option("--all", "show_all", is_flag=True,
              help="Also the offers of withdrawn and declined applications.")
def compare(show_all: bool) -> None:
    """Offers side by side, best first-year total first; one table per currency."""
    from afterview.engine.domain.offers import compare_offers, offers_without_terms

    s = session()
    apps = s.engine.applications()
    groups = compare_offers(apps, home_currency=s.engine.settings.currency,
                            include_closed=show_all)
    unknown = offers_without_terms(apps, include_closed=show_all)
    if s.as_json:
        emit_json([*(_compared_json(o, group) for group in groups for o in group.offers),
                   *({"application": a.id, "company": a.company, "role": a.role,
                      "state": a.state, "terms_recorded": False, "currency": None,
                      "base": None, "first_year_total": None} for a in unknown)])
    else:
        text = _compare_text(groups, show_all) if groups or not unknown else ""
        lines = [f"{a.id} ({a.company}, {a.role}): offer received, terms not recorded "
                 f"(afterview offer {a.id} --salary N ...)" for a in unknown]
        click.echo("\n\n".join(part for part in (text, "\n".join(lines)) if part))


def _amount(value: Decimal | None) -> str:
    from afterview.engine.domain.offers import format_money

    return "-" if not value else format_money(value)


def _compare_text(groups: list[CurrencyGroup], show_all: bool) -> str:
    if not groups:
        closed = "" if show_all else " (withdrawn and declined ones: compare --all)"
        return f"No offers to compare{closed}."
    blocks = []
    for group in groups:
        rows = [(o.application.id, o.application.company, o.application.state,
                 _amount(c.base), _amount(c.bonus), _amount(c.signing),
                 _amount(c.equity_per_year), _amount(c.relocation), _amount(c.benefits_value),
                 "-" + _amount(c.commute_cost) if c.commute_cost else "-",
                 _amount(c.first_year_total), _amount(c.yearly_total))
                for o in group.offers for c in [o.compensation]]
        heading = render.paint(f"Offers in {group.currency}, best first year first", bold=True)
        blocks.append(heading + "\n" + render.table(_COLUMNS, rows) + "\n"
                      + "\n".join(_detail_lines(o) for o in group.offers))
    if len(groups) > 1:
        blocks.append("Each currency has its own table: amounts in different currencies are never "
                      "added up or ranked against each other.")
    return "\n\n".join(blocks)


def _detail_lines(compared: ComparedOffer) -> str:
    terms = compared.offer.given_terms
    lines = [f"{compared.application.id}:"]
    extras = []
    if terms.benefits:
        extras.append("benefits: " + ", ".join(terms.benefits))
    if terms.commute_minutes is not None:
        extras.append(f"commute {terms.commute_minutes} min each way")
    if terms.remote_days is not None:
        extras.append(f"remote {terms.remote_days} days/week")
    if extras:
        lines.append("  " + "; ".join(extras))
    for pair in compared.rounds:
        lines.append(f"  round {pair.number}: {_round_text(pair)}")
    from afterview.engine.domain.offers import previous_offer, term_changes

    before = previous_offer(compared.application, compared.offer)
    changed = term_changes(before.terms if before else None, terms)
    if changed:
        lines.append("  changed from the previous offer: " + ", ".join(changed))
    return "\n".join(lines)


def _round_text(pair: NegotiationRound) -> str:
    from afterview.engine.domain.offers import format_money

    parts = []
    if pair.offer is not None:
        terms = pair.offer.terms
        parts.append("offered, terms not recorded" if terms is None
                     else f"offered {format_money(terms.base, terms.currency)}")
    if pair.ask is not None:
        terms = pair.ask.given_terms
        reasons = f" ({', '.join(pair.ask.reasons)})" if pair.ask.reasons else ""
        parts.append(f"you asked {format_money(terms.base, terms.currency)}{reasons}")
    return "; ".join(parts)


def _side_json(offer_round: OfferRound | None) -> JsonObject | None:
    from afterview.engine.domain.offers import total_compensation

    if offer_round is None or offer_round.terms is None:
        return None
    comp = total_compensation(offer_round.terms)
    side: JsonObject = {"currency": comp.currency, "base": render.plain_number(comp.base),
            "first_year_total": render.plain_number(comp.first_year_total),
            "yearly_total": render.plain_number(comp.yearly_total),
            "at": render.iso(offer_round.at)}
    if offer_round.side == "counter":
        side.update(reasons=list(offer_round.reasons), note=offer_round.note)
    else:
        side.update(revised=offer_round.revised)
    return side


def _compared_json(compared: ComparedOffer, group: CurrencyGroup) -> JsonObject:
    app, comp, terms = compared.application, compared.compensation, compared.offer.given_terms
    number = render.plain_number
    return {
        "application": app.id, "company": app.company, "role": app.role, "state": app.state,
        "currency": comp.currency, "rank": compared.rank,
        "base": number(comp.base), "bonus": number(comp.bonus),
        "bonus_percent": number(terms.bonus_percent), "signing": number(comp.signing),
        "equity_per_year": number(comp.equity_per_year),
        "equity_total": number(terms.equity_total), "equity_years": terms.equity_years,
        "relocation": number(comp.relocation), "benefits": list(terms.benefits),
        "benefits_value": number(comp.benefits_value), "commute_cost": number(comp.commute_cost),
        "commute_minutes": terms.commute_minutes, "remote_days": terms.remote_days,
        "first_year_total": number(comp.first_year_total),
        "yearly_total": number(comp.yearly_total),
        "terms_recorded": True,
        "offered_at": render.iso(compared.offer.at),
        "respond_by": render.iso(compared.offer.respond_by),
        "rounds": [{"round": pair.number, "offer": _side_json(pair.offer),
                    "ask": _side_json(pair.ask)} for pair in compared.rounds],
    }


# ---------------------------------------------------------------------------
# draft


@click.command()
@click.argument("kind", metavar="KIND")
@click.argument("app", metavar="APP")
@click.option("--until", "until", metavar="WHEN", help="more-time: the date you ask for.")
@click.option("--start", "start", metavar="WHEN",
              help="acceptance, resignation: your start date, when not recorded yet.")
def draft(kind: str, app: str, until: str | None, start: str | None) -> None:
    """A ready-to-edit message for APP from the recorded facts.

    KIND is one of: thank-you, follow-up, more-time, counter-offer, appreciation, acceptance,
    withdrawal, resignation, feedback-request. Your own KIND.txt (Jinja2) in the templates
    folder of afterview's config folder, or in $AFTERVIEW_TEMPLATES, replaces the packaged one.
    """
    kind = kind.strip().lower()  # keywords are matched in any case
    if kind not in DRAFT_KINDS:
        raise Refused(f"unknown draft kind {kind!r}: use one of {', '.join(DRAFT_KINDS)}")
    from afterview.engine.runtime.drafts import render_draft, user_template_folder

    s = session()
    application = s.engine.application(app)
    calendar = s.engine.calendar() if kind == "resignation" else None
    text = render_draft(kind, application, s.engine.settings, folder=user_template_folder(),
                        until=when(until, "--until"), start=when(start, "--start"),
                        calendar=calendar)
    if s.as_json:
        emit_json({"kind": kind, "application": application.id, "text": text})
    else:
        click.echo(text, nl=not text.endswith("\n"))


# ---------------------------------------------------------------------------
# practice


@click.command()
@click.option("--company", metavar="C", help="Only companies whose name contains C (any case).")
def practice(company: str | None) -> None:
    """Every question asked in your interviews, with your answer and what you would answer
    better, newest first: rehearse them."""
    from afterview.engine.views.coaching import practice_questions

    s = session()
    questions = practice_questions(s.engine.applications(), company)
    if s.as_json:
        emit_json([{"application": q.application, "company": q.company, "role": q.role,
                    "round": q.round, "asked_at": render.iso(q.asked_at), "question": q.question,
                    "answer": q.answer, "better": q.better} for q in questions])
        return
    if not questions:
        click.echo("No interview questions recorded" + (f" for {company!r}" if company else "")
                   + ". After an interview: afterview debrief APP --question Q --answer A --better B")
        return
    blocks = []
    for q in questions:
        blocks.append("\n".join([
            render.paint(f"{render.short_time(q.asked_at)}  {q.company} — {q.role}, round {q.round}",
                         bold=True),
            f"  Q: {q.question}",
            f"  you answered: {q.answer or '-'}",
            f"  better: {q.better or '-'}",
        ]))
    from afterview.cli.output.terminal import page

    page("\n\n".join(blocks))


COMMANDS = [compare, draft, practice]
