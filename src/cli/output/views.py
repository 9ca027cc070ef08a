"""The offer parts of ``show`` (every offer and counter, the negotiation aid while an offer
is below your target, the plan after acceptance), the same as JSON for ``show --json``,
and the negotiation hints of ``agenda``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from afterview.cli.output import render, times

if TYPE_CHECKING:
    from afterview.engine.domain.calendar import WorkCalendar
    from afterview.engine.domain.events import JsonObject, OfferTerms
    from afterview.engine.domain.offers import AcceptancePlan, NegotiationAid
    from afterview.engine.domain.settings import Settings
    from afterview.engine.domain.state import (
        Application,
        Interview,
        Listed,
        OfferRound,
        SalaryRange,
    )
    from afterview.engine.views.digest import Digest


def interview_line(interview: Interview) -> str:
    when = interview.held_at or interview.scheduled_for
    state = "held" if interview.held_at else "scheduled"
    if interview.cancelled_at is not None:
        by = f" by {interview.cancelled_by}" if interview.cancelled_by else ""
        state = f"cancelled{by}" + (f" ({interview.cancel_reason})" if interview.cancel_reason
                                    else "") + ", was"
    elif interview.reschedules and interview.held_at is None:
        state = "moved to"
    people = f" with {', '.join(interview.interviewers)}" if interview.interviewers else ""
    return (f"interview round {interview.round} {state} "
            f"{render.short_time(when) if when else ''}{people}")


# ---------------------------------------------------------------------------
# Offers and counters, every round


def _money(amount: Decimal, currency: str | None = None) -> str:
    from afterview.engine.domain.offers import format_money

    return format_money(amount, currency)


def terms_summary(terms: OfferTerms | None) -> str:
    """Every recorded term of an offer or counter, then the two totals."""
    from afterview.engine.domain.offers import total_compensation

    if terms is None:
        return "terms not recorded"
    comp = total_compensation(terms)
    parts = [f"base {_money(terms.base, terms.currency)}"]
    if terms.bonus is not None or terms.bonus_percent is not None:
        percent = f" ({terms.bonus_percent}% of base)" if terms.bonus is None else ""
        parts.append(f"bonus {_money(comp.bonus)}{percent}")
    for label, value in (("signing", terms.signing), ("relocation", terms.relocation)):
        if value is not None:
            parts.append(f"{label} {_money(value)}")
    if terms.equity_per_year is not None:
        parts.append(f"equity {_money(comp.equity_per_year)}/yr")
    elif terms.equity_total is not None:
        parts.append(f"equity {_money(terms.equity_total)} over {terms.equity_years or 4} years "
                     f"= {_money(comp.equity_per_year)}/yr")
    if terms.benefits or terms.benefits_value is not None:
        worth = f" worth {_money(terms.benefits_value)}/yr" if terms.benefits_value is not None else ""
        parts.append(f"benefits {', '.join(terms.benefits) or '-'}{worth}")
    if terms.commute_minutes is not None or terms.commute_cost is not None:
        minutes = f" {terms.commute_minutes} min each way" if terms.commute_minutes is not None else ""
        cost = f" costing {_money(terms.commute_cost)}/yr" if terms.commute_cost is not None else ""
        parts.append(f"commute{minutes}{cost}")
    if terms.remote_days is not None:
        parts.append(f"remote {terms.remote_days} days/week")
    if len(parts) == 1:
        return parts[0]  # a base alone (a typical ask): totals would hide the rest of the package
    totals = (f"first year {_money(comp.first_year_total, comp.currency)}, "
              f"yearly {_money(comp.yearly_total, comp.currency)}")
    return "; ".join(parts) + f" -> {totals}"


def _round_label(offer_round: OfferRound, number: int) -> str:
    if offer_round.side == "counter":
        return "your ask"
    return "revised offer" if offer_round.revised or number > 1 else "offer"


def round_lines(app: Application) -> list[str]:
    from afterview.engine.domain.offers import negotiation_rounds, previous_offer, term_changes

    if not app.rounds:
        return []
    lines = ["offers and counters:"]
    for pair in negotiation_rounds(app.rounds):
        for offer_round in (pair.offer, pair.ask):
            if offer_round is None:
                continue
            lines.append(f"  round {pair.number} {_round_label(offer_round, pair.number)} "
                         f"{render.short_time(offer_round.at)}: {terms_summary(offer_round.terms)}")
            extras = []
            if offer_round.side == "offer":
                before = previous_offer(app, offer_round)
                changed = term_changes(before.terms if before else None, offer_round.terms)
                if changed:
                    extras.append("changed: " + ", ".join(changed))
            if offer_round.respond_by:
                extras.append(f"respond by {render.short_time(offer_round.respond_by)}")
            if offer_round.reasons:
                extras.append(f"reasons: {', '.join(offer_round.reasons)}")
            if offer_round.note:
                extras.append(f"note: {offer_round.note}")
            if extras:
                lines.append("      " + "; ".join(extras))
    return lines


# ---------------------------------------------------------------------------
# Negotiation aid and the plan after acceptance


def gap_sentence(aid: NegotiationAid) -> str:
    target = "target" if aid.measure == "base" else "target first-year total"
    return (f"the offer's {aid.measure} {_money(aid.offered, aid.currency)} is "
            f"{_money(aid.gap, aid.currency)} below your {target} "
            f"{_money(aid.target, aid.currency)} (+{aid.gap_percent}% would reach it)")


def negotiation_lines(aid: NegotiationAid, app_id: str) -> list[str]:
    package = (f"  weighing the whole package, the first year is worth "
               f"{_money(aid.first_year_total, aid.currency)}")
    lines = [render.paint("Negotiation: " + gap_sentence(aid), "yellow", bold=True), package]
    if aid.arguments:
        lines.append("  arguments your records back:")
        lines += [f"  - {a.description}: {a.evidence}" for a in aid.arguments]
    else:
        lines += ["  no argument recorded yet. The legitimate ones: commute and relocation expenses,",
                  "  a degree the job did not require, certifications or costly training. Record",
                  f"  those that are true, e.g. afterview note {app_id} \"#degree MSc, not required\""]
    lines.append(f"  draft it: afterview draft counter-offer {app_id}")
    return lines


def _day(day: date | None) -> str:
    return "-" if day is None else times.day_text(day)


def plan_lines(plan: AcceptancePlan, now: datetime) -> list[str]:
    lines = [render.paint("After acceptance:", "bright_green", bold=True)]
    if plan.start_date is None:
        lines.append(f"  no start date recorded yet: afterview start-date {plan.application} WHEN "
                     "plans the notice and the rest days")
    else:
        notice = f"  give notice by:     {_day(plan.notice_date)} ({plan.notice_days} days before)"
        if plan.notice_given_at is not None:
            notice += f"; notice given {render.short_time(plan.notice_given_at)}"
        elif not plan.currently_employed:
            notice += ("; none needed while currently_employed is false "
                       "(afterview config set currently_employed true)")
        elif plan.notice_date is not None and plan.notice_date < now.date():
            notice += "; OVERDUE"
        lines += [f"  start date:         {_day(plan.start_date)}",
                  f"  rest days:          {plan.rest_days} calendar days off between jobs",
                  f"  last working day:   {_day(plan.last_working_day)}",
                  notice]
    if plan.withdrawals:
        lines.append("  withdraw elsewhere:")
        for other, task in plan.withdrawals:
            lines.append(f"  - {other.id} ({other.company}, {other.role}): task {task.id} due "
                         f"{render.short_time(task.due_at)}; afterview draft withdrawal {other.id}")
    else:
        lines.append("  withdraw elsewhere: nothing open")
    return lines


def negotiation_hints(apps: Iterable[Application], settings: Settings) -> list[str]:
    """One line per open offer below your target, for the agenda."""
    from afterview.engine.domain.offers import negotiation_aid

    hints = []
    for app in sorted(apps, key=lambda a: a.id):
        aid = negotiation_aid(app, settings)
        if aid is None:
            continue
        backed = ", ".join(a.kind for a in aid.arguments) or "none recorded yet"
        hints.append(f"negotiate {app.id}: {gap_sentence(aid)}; arguments on record: {backed}; "
                     f"see afterview show {app.id}")
    return hints


# ---------------------------------------------------------------------------
# JSON


def round_json(offer_round: OfferRound) -> JsonObject:
    from afterview.engine.domain.offers import total_compensation

    terms = offer_round.terms
    comp = None if terms is None else total_compensation(terms)
    return {
        "side": offer_round.side,
        "at": render.iso(offer_round.at),
        "event_id": offer_round.event_id,
        **render.terms_json(terms),
        "terms_recorded": terms is not None,
        "first_year_total": render.plain_number(comp.first_year_total) if comp else None,
        "yearly_total": render.plain_number(comp.yearly_total) if comp else None,
        "respond_by": render.iso(offer_round.respond_by),
        "revised": offer_round.revised,
        "reasons": list(offer_round.reasons),
        "note": offer_round.note,
    }


def aid_json(aid: NegotiationAid | None) -> JsonObject | None:
    if aid is None:
        return None
    return {
        "currency": aid.currency,
        "measure": aid.measure,
        "offered_base": render.plain_number(aid.offered_base),
        "target": render.plain_number(aid.target),
        "gap": render.plain_number(aid.gap),
        "gap_percent": float(aid.gap_percent),
        "first_year_total": render.plain_number(aid.first_year_total),
        "arguments": [{"kind": a.kind, "description": a.description, "evidence": a.evidence}
                      for a in aid.arguments],
    }


def plan_json(plan: AcceptancePlan | None, now: datetime) -> JsonObject | None:
    if plan is None:
        return None

    def day(value: date | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "start_date": day(plan.start_date),
        "rest_days": plan.rest_days,
        "last_working_day": day(plan.last_working_day),
        "notice_days": plan.notice_days,
        "notice_date": day(plan.notice_date),
        "currently_employed": plan.currently_employed,
        "notice_given_at": render.iso(plan.notice_given_at),
        "withdrawals": [render.task_json(task, now) for _, task in plan.withdrawals],
    }


def offer_details_json(app: Application, now: datetime, settings: Settings | None,
                       others: Sequence[Application] = (),
                       calendar: WorkCalendar | None = None) -> JsonObject:
    """The offer parts of ``show --json``: every round; with the settings, the aid and plan."""
    from afterview.engine.domain.offers import acceptance_plan, negotiation_aid

    details: JsonObject = {"rounds": [round_json(r) for r in app.rounds]}
    if settings is not None:
        details["negotiation"] = aid_json(negotiation_aid(app, settings))
        details["plan"] = plan_json(acceptance_plan(app, others, settings, calendar), now)
    return details


def application_json(app: Listed, now: datetime | None = None) -> JsonObject:
    """The application as ``list --json`` and ``status --json`` show it."""
    return {
        "id": app.id,
        "company": app.company,
        "role": app.role,
        "state": app.state,
        "applied_at": render.iso(app.applied_at),
        "updated_at": render.iso(app.last_event_at),
        "state_since": render.iso(app.updated_at),
        "discarded": app.discarded is not None,
        "tags": list(app.tags),
        "priority": app.priority,
        **_board_json(app, now),
    }


def application_detail_json(app: Application, now: datetime, *,
                            settings: Settings | None = None,
                            others: Sequence[Application] = (),
                            calendar: WorkCalendar | None = None) -> JsonObject:
    """The whole application, as ``show --json`` (and a recorded fact) shows it."""
    data = application_json(app, now)
    data.update({
        "source": app.source,
        "url": app.url,
        "location": app.location,
        "referred_by": app.referred_by,
        "salary_range": _range_json(app.salary_range),
        "job_description": app.job_description,
        "contacts": [{"name": c.name, "title": c.title, "email": c.email}
                     for c in app.contacts],
        "offer": render.offer_json(app.offer),
        "tasks": [render.task_json(t, now) for t in sorted(app.open_tasks(),
                                                         key=lambda t: t.due_at)],
        "closed_tasks": [render.task_json(t, now) for t in app.tasks.values()
                         if not t.is_open],
        "interviews": [_interview_json(i) for i in app.interviews],
        "notes": [{"at": render.iso(at), "text": text} for at, text in app.notes],
        "feedback": list(app.feedback),
        "feedback_requested_at": render.iso(app.feedback_requested_at),
        "reflections": list(app.reflections),
    })
    data.update(offer_details_json(app, now, settings, others, calendar))
    return data


def _board_json(app: Listed, now: datetime | None) -> JsonObject:
    """What the board shows beside the state: the next step, the last contact, gone quiet."""
    from afterview.engine.views.board import soonest_task

    now = now or times.now()
    step = soonest_task(app)
    return {
        "next_step": None if step is None or now is None else render.task_json(step, now),
        "last_contact_at": render.iso(app.last_contact_at),
        "gone_quiet": now is not None and app.gone_quiet(now),
    }


def _interview_json(interview: Interview) -> JsonObject:
    return {
        "round": interview.round,
        "kind": interview.kind,
        "scheduled_for": render.iso(interview.scheduled_for),
        "held_at": render.iso(interview.held_at),
        "interviewers": list(interview.interviewers),
        "questions": [{"question": q.question, "answer": q.answer, "better": q.better}
                      for q in interview.questions],
        "note": interview.note,
    }


def _range_json(salary_range: SalaryRange | None) -> JsonObject | None:
    if salary_range is None:
        return None
    low, high, currency = salary_range
    return {"min": render.plain_number(low), "max": render.plain_number(high),
            "currency": currency}


def digest_json(digest: Digest, now: datetime) -> JsonObject:
    """The digest for scripts and hooks: ``"kind": "digest"``, the day, the tasks overdue
    and due today, today's interviews."""
    return {
        "kind": "digest",
        "date": digest.day.isoformat(),
        "overdue": [render.task_json(t, now) for t in digest.overdue],
        "today": [render.task_json(t, now) for t in digest.today],
        "interviews": [{"application": i.application, "company": i.company, "role": i.role,
                        "round": i.round, "at": render.iso(i.at), "kind": i.kind,
                        "interviewers": list(i.interviewers)} for i in digest.interviews],
    }


def digest_text(digest: Digest, now: datetime) -> str:
    """The digest for people: the agenda of today, with what is overdue."""
    heading = render.paint(f"Digest for {times.day_text(digest.day)}", bold=True)
    if digest.empty:
        return f"{heading}: nothing overdue, nothing due today, no interviews."
    return heading + "\n\n" + render.agenda([*digest.overdue, *digest.today], now,
                                              digest.interviews)
