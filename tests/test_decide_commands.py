"""Rules the domain decides that a person typing a command leaves implicit: which round an
interview is, and whether an offer is the company's revised offer. Every writer gets the
same answer (the CLI only passes what was typed)."""

from __future__ import annotations

from decimal import Decimal

from afterview.engine.domain import events as ev
from afterview.engine.service.api import Engine
from conftest import new_york


def _terms(base: int) -> ev.OfferTerms:
    return ev.OfferTerms("USD", Decimal(base))


def _applied(engine: Engine) -> str:
    submitted = ev.ApplicationSubmitted("Acme", "Backend Engineer")
    return engine.apply(submitted, at=new_york("2026-10-01T09:00")).application.id


def test_an_interview_without_a_round_is_the_next_one(engine: Engine) -> None:
    app = _applied(engine)
    first = engine.schedule_interview(app, new_york("2026-10-10T10:00"),
                                      at=new_york("2026-10-02T09:00"))
    second = engine.schedule_interview(app, new_york("2026-10-20T10:00"), kind="onsite",
                                       at=new_york("2026-10-11T09:00"))
    chosen = engine.schedule_interview(app, new_york("2026-10-30T10:00"), round=7,
                                       at=new_york("2026-10-21T09:00"))
    assert [f.event.round for f in (first.facts[0], second.facts[0], chosen.facts[0])] == [1, 2, 7]
    assert [i.round for i in chosen.application.interviews] == [1, 2, 7]


def test_an_offer_received_while_negotiating_is_the_revised_offer(engine: Engine) -> None:
    app = _applied(engine)
    first = engine.receive_offer(app, _terms(100000), at=new_york("2026-10-05T09:00"))
    engine.record(app, ev.CounterOfferMade(_terms(110000)), at=new_york("2026-10-06T09:00"))
    revised = engine.receive_offer(app, _terms(105000), at=new_york("2026-10-07T09:00"))
    assert (first.facts[0].event.revised, revised.facts[0].event.revised) == (False, True)
    assert [r.revised for r in revised.application.rounds if r.side == "offer"] == [False, True]
