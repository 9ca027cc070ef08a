"""practice: every question asked in your interviews, newest first, with your answer and what
you would answer better; filtered by company, ignoring case."""

from __future__ import annotations

from afterview.engine.domain import events as ev
from afterview.engine.service.api import Engine
from afterview.engine.views.coaching import practice_questions
from conftest import CLI, new_york


def _debrief(engine: Engine, app_id: str, when: str, *questions: ev.Question,
             round_: int | None = None) -> None:
    engine.record(app_id, ev.InterviewHeld(round_, ("Someone",), questions),
                  at=new_york(when))


def _search(engine: Engine) -> None:
    for company, app_id in (("Acme Corp", "acme"), ("Globex", "globex"), ("acmeish", "acmeish")):
        engine.apply(ev.ApplicationSubmitted(company, "Engineer"), application_id=app_id,
                     at=new_york("2026-10-01T09:00"))
    _debrief(engine, "acme", "2026-10-05T10:00",
             ev.Question("Why us?", "Growth", "Name the product I use"),
             ev.Question("A conflict you solved?", "The release freeze"))
    _debrief(engine, "globex", "2026-10-07T10:00", ev.Question("Salary expectations?"))
    _debrief(engine, "acme", "2026-10-12T10:00", ev.Question("Design a rate limiter"))
    _debrief(engine, "acmeish", "2026-10-09T10:00")  # an interview without questions
    engine.record("globex", ev.ApplicationDeclined(), at=new_york("2026-10-13T10:00"))


def test_newest_first_keeping_the_order_within_an_interview(engine: Engine) -> None:
    _search(engine)
    asked = practice_questions(engine.applications())
    assert [q.question for q in asked] == [
        "Design a rate limiter", "Salary expectations?", "Why us?", "A conflict you solved?"]
    why = asked[2]
    assert (why.company, why.round, why.answer, why.better) == (
        "Acme Corp", 1, "Growth", "Name the product I use")
    assert asked[0].round == 2 and asked[0].asked_at == new_york("2026-10-12T10:00")
    assert asked[1].application == "globex"  # a declined application still teaches


def test_filtered_by_company_ignoring_case(engine: Engine) -> None:
    _search(engine)
    assert {q.company for q in practice_questions(engine.applications(), "ACME")} == {"Acme Corp"}
    assert [q.question for q in practice_questions(engine.applications(), "lobe")] == [
        "Salary expectations?"]
    assert practice_questions(engine.applications(), "Initech") == []


def test_practice_at_the_command_line(cli: CLI) -> None:
    cli.ok("apply", "Acme Corp", "Engineer", "--id", "acme", "--at", "2026-10-01")
    cli.ok("apply", "Globex", "Analyst", "--id", "globex", "--at", "2026-10-01")
    cli.ok("debrief", "acme", "--question", "Why us?", "--answer", "Growth", "--better",
           "Name the product I use", "--at", "2026-10-05T10:00")
    cli.ok("debrief", "globex", "--question", "Salary expectations?", "--at", "2026-10-07T10:00")
    out = cli.ok("practice")
    assert out.index("Salary expectations?") < out.index("Why us?")
    assert "you answered: Growth" in out and "better: Name the product I use" in out
    rows = cli.json("practice", "--company", "acme")
    assert rows == [{"application": "acme", "company": "Acme Corp", "role": "Engineer",
                     "round": 1, "asked_at": "2026-10-05T10:00:00-04:00", "question": "Why us?",
                     "answer": "Growth", "better": "Name the product I use"}]
    assert "No interview questions recorded for 'Initech'" in cli.ok("practice", "--company",
                                                                     "Initech")
