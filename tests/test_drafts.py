"""Drafts: each message carries the facts it should and nothing from another application;
a missing fact refuses the draft; a person's own template replaces the packaged one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import Application, DomainError, InvalidValue, view
from afterview.engine.runtime.drafts import KINDS, render_draft, user_template_folder
from afterview.engine.service.api import Engine
from conftest import CLI, new_york

# What only Globex's records hold: none of it may appear in a draft about Acme.
GLOBEX_ONLY = ("Globex", "Zed Quinn", "Yuki Sato", "Data Scientist", "123,456", "EUR",
               "Why leave your current job?", "Hank Scorpio")
ACME_ONLY = ("Acme", "Ann Lee", "Raj Patel", "Backend Engineer", "90,000", "96,500", "100,000",
             "Tell me about a migration you led", "Priya Shah")


@pytest.fixture
def search(engine: Engine) -> Engine:
    """Acme: interviewed, offered, countered, revised, accepted. Globex: interviewed and
    offered (so accepting Acme asks you to withdraw there). Initech: declined you."""
    acme = engine.apply(ev.ApplicationSubmitted("Acme", "Backend Engineer", contacts=()),
                        application_id="acme", at=new_york("2026-10-01T09:00")).application.id
    globex = engine.apply(ev.ApplicationSubmitted("Globex", "Data Scientist",
                                                  contacts=("Hank Scorpio",)),
                          application_id="globex", at=new_york("2026-10-02T09:00")).application.id
    initech = engine.apply(ev.ApplicationSubmitted("Initech", "Analyst"),
                           application_id="initech", at=new_york("2026-10-03T09:00")).application.id
    engine.record(acme, ev.InterviewHeld(1, ("Ann Lee", "Raj Patel"), (
        ev.Question("Tell me about a migration you led", "The billing move", "Give numbers"),)),
        at=new_york("2026-10-08T14:00"))
    engine.record(globex, ev.InterviewHeld(1, ("Zed Quinn", "Yuki Sato"), (
        ev.Question("Why leave your current job?"),)), at=new_york("2026-10-09T14:00"))
    engine.record(initech, ev.InterviewHeld(1, ("Olga Ivanova",)), at=new_york("2026-10-09T10:00"))
    engine.record(initech, ev.ApplicationDeclined(), at=new_york("2026-10-12T10:00"))
    engine.record(globex, ev.OfferReceived(ev.OfferTerms("EUR", 123_456)),
                  at=new_york("2026-10-14T09:00"))
    engine.record(acme, ev.OfferReceived(ev.OfferTerms("USD", 90_000, commute_minutes=55)),
                  at=new_york("2026-10-15T09:00"))
    engine.record(acme, ev.CounterOfferMade(ev.OfferTerms("USD", 100_000), ("commute",),
                                            "Two hours a day on the train"),
                  at=new_york("2026-10-16T09:00"))
    engine.record(acme, ev.OfferReceived(ev.OfferTerms("USD", 96_500), revised=True),
                  at=new_york("2026-10-19T09:00"))
    engine.record(acme, ev.OfferAccepted(date(2027, 1, 4)), at=new_york("2026-10-20T09:00"))
    return engine


def _acme_as_of(engine: Engine, text: str) -> Application:
    return view("acme", engine.facts("acme"), as_of=new_york(text))


def _draft(engine: Engine, kind: str, app: Application, **options: object) -> str:
    text = render_draft(kind, app, engine.settings, **options)
    assert "{{" not in text and "{%" not in text
    return text


def _has_none_of(text: str, strings: tuple[str, ...]) -> None:
    leaked = [s for s in strings if s in text]
    assert not leaked, f"draft leaks {leaked}:\n{text}"


def test_thank_you_names_the_people_met_and_a_question(search: Engine) -> None:
    text = _draft(search, "thank-you", _acme_as_of(search, "2026-10-09T09:00"))
    assert "Dear Ann Lee and Raj Patel," in text
    assert "Tell me about a migration you led" in text
    assert "Backend Engineer" in text and "Acme" in text
    assert "October 8, 2026" in text
    _has_none_of(text, GLOBEX_ONLY)


def test_counter_offer_is_evidence_based(search: Engine) -> None:
    text = _draft(search, "counter-offer", _acme_as_of(search, "2026-10-17T09:00"))
    assert "excited" in text and "Thank you" in text  # excitement and appreciation
    assert "contribute" in text  # the point on contribution, to fill in
    assert "base salary of 90,000 USD" in text and "base salary of 100,000 USD" in text
    assert "commute" in text and "Two hours a day on the train" in text
    _has_none_of(text, GLOBEX_ONLY)


def test_counter_offer_asks_for_the_target_before_a_counter_is_recorded(search: Engine) -> None:
    search.set_setting("target_salary", "104000")
    text = _draft(search, "counter-offer", _acme_as_of(search, "2026-10-15T12:00"))
    assert "base salary of 104,000 USD" in text
    assert "commute" in text  # the offer itself records a 55-minute commute
    assert "Two hours" not in text  # that note came later


def test_appreciation_after_the_companys_answer(search: Engine) -> None:
    text = _draft(search, "appreciation", _acme_as_of(search, "2026-10-19T12:00"))
    assert "considering my request" in text and "96,500 USD" in text
    _has_none_of(text, GLOBEX_ONLY)


def test_more_time_acceptance_and_resignation_carry_their_dates(search: Engine) -> None:
    offered = _acme_as_of(search, "2026-10-19T12:00")
    more = _draft(search, "more-time", offered, until=new_york("2026-10-23T09:00"))
    assert "Friday, October 23, 2026" in more and "Backend Engineer" in more
    accepted = search.application("acme")
    acceptance = _draft(search, "acceptance", accepted)
    assert "Monday, January 4, 2027" in acceptance and "96,500 USD" in acceptance
    resignation = _draft(search, "resignation", accepted)
    assert "last working day will be Friday, January 1, 2027" in resignation
    assert "giving 14 days' notice" in resignation  # the real period, not "two weeks"
    # With the holiday calendar, the last working day is a business day: 1 January is not.
    search.set_setting("country", "US")
    on_calendar = _draft(search, "resignation", accepted, calendar=search.calendar())
    assert "last working day will be Thursday, December 31, 2026" in on_calendar
    # The letter goes to your current employer: nothing about the new job.
    _has_none_of(resignation, ACME_ONLY)
    for text in (more, acceptance, resignation):
        _has_none_of(text, GLOBEX_ONLY)


def test_withdrawal_thanks_them_and_keeps_the_other_company_private(search: Engine) -> None:
    text = _draft(search, "withdrawal", search.application("globex"))
    assert "Dear Hank Scorpio," in text
    assert "Data Scientist" in text and "Globex" in text
    assert "accept another offer" in text and "keep my details on file" in text
    _has_none_of(text, ACME_ONLY)


def test_feedback_request_follows_a_rejection(search: Engine) -> None:
    text = _draft(search, "feedback-request", search.application("initech"))
    assert "Dear Olga Ivanova," in text and "Analyst" in text and "Initech" in text
    assert "honest assessment" in text and "improve" in text
    _has_none_of(text, ACME_ONLY + GLOBEX_ONLY)


def test_follow_up_mentions_the_last_interview(search: Engine) -> None:
    text = _draft(search, "follow-up", search.application("globex"))
    assert "October 9, 2026" in text and "Data Scientist" in text
    _has_none_of(text, ACME_ONLY)


def test_every_kind_renders_or_says_what_to_record(search: Engine) -> None:
    fresh = search.apply(ev.ApplicationSubmitted("Hooli", "SRE"),
                         at=new_york("2026-11-01T09:00")).application
    needs = {"thank-you": "debrief", "more-time": "offer", "counter-offer": "offer",
             "appreciation": "counter", "acceptance": "offer", "resignation": "accept",
             "feedback-request": "declined"}
    for kind in KINDS:
        if kind in needs:
            with pytest.raises(DomainError, match=needs[kind]) as refused:
                render_draft(kind, fresh, search.settings)
            assert type(refused.value) is DomainError  # exit 1: refused, not bad usage
        else:
            assert "Hooli" in _draft(search, kind, fresh)


def test_missing_dates_are_refused_with_the_option_to_give(search: Engine) -> None:
    offered = _acme_as_of(search, "2026-10-19T12:00")
    with pytest.raises(DomainError, match="--until"):
        render_draft("more-time", offered, search.settings)
    with pytest.raises(DomainError, match="--start"):
        render_draft("acceptance", offered, search.settings)
    with pytest.raises(DomainError, match="not answered"):
        render_draft("appreciation", _acme_as_of(search, "2026-10-17T09:00"), search.settings)


def test_an_unknown_kind_is_bad_usage(search: Engine) -> None:
    with pytest.raises(InvalidValue, match="thank-you, follow-up"):
        render_draft("love-letter", search.application("acme"), search.settings)


def test_a_template_in_the_folder_replaces_the_packaged_one(search: Engine,
                                                           tmp_path: Path) -> None:
    (tmp_path / "thank-you.txt").write_text(
        "Hi {{ people_met | names }}! {{ company }} / {{ question }}\n", encoding="utf-8")
    app = search.application("globex")
    text = render_draft("thank-you", app, search.settings, folder=tmp_path)
    assert text == "Hi Zed Quinn and Yuki Sato! Globex / Why leave your current job?\n"
    # Kinds without an override still use the packaged template.
    assert "following up" in render_draft("follow-up", app, search.settings, folder=tmp_path)


def test_a_template_naming_an_unknown_fact_is_refused(search: Engine, tmp_path: Path) -> None:
    (tmp_path / "follow-up.txt").write_text("Dear {{ recruiter_name }}\n", encoding="utf-8")
    with pytest.raises(DomainError, match="recruiter_name"):
        render_draft("follow-up", search.application("globex"), search.settings, folder=tmp_path)


ESCAPES = (
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ company.__class__ }}",
    "{{ self._TemplateReference__context }}",
    "{% set x = people_met.append('Mallory') %}{{ people_met }}",
    "{{ lipsum.__globals__['os'].system('id') }}",
)


@pytest.mark.parametrize("attack", ESCAPES)
def test_a_template_cannot_reach_past_its_facts(cli: CLI, tmp_path: Path, attack: str) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "follow-up.txt").write_text(f"Hello\n\n{attack}\n", encoding="utf-8")
    cli.ok("apply", "Acme", "Backend Engineer", "--id", "acme", "--at", "2026-11-02")
    before = cli.event_count()
    line = cli.refused("draft", "follow-up", "acme", env=cli.env(AFTERVIEW_TEMPLATES=str(folder)))
    assert line.startswith(f"error: template {folder / 'follow-up.txt'} line 3: "), line
    assert "unsafe" in line or "undefined" in line
    assert "uid=" not in line and cli.event_count() == before


@pytest.mark.parametrize(("text", "line", "says"), [
    ("Dear {{ company }},\n{% if %}\n", 2, "Expected an expression"),
    ("one\ntwo\n{{ company | nosuchfilter }}\n", 3, "nosuchfilter"),
    ("one\n{{ 1 // 0 }}\n", 2, "division"),
    ("{{ 'a' * 10**9 }}", 1, "repeat text up to"),
    ("{{ 10 ** 10 ** 10 ** 10 ** 10 }}", 1, "power"),
])
def test_a_broken_template_is_one_error_line_with_its_file_and_line(
        cli: CLI, tmp_path: Path, text: str, line: int, says: str) -> None:
    (tmp_path / "follow-up.txt").write_text(text, encoding="utf-8")
    cli.ok("apply", "Acme", "Backend Engineer", "--id", "acme", "--at", "2026-11-02")
    said = cli.refused("draft", "follow-up", "acme", env=cli.env(AFTERVIEW_TEMPLATES=str(tmp_path)))
    assert said.startswith(f"error: template {tmp_path / 'follow-up.txt'} line {line}: "), said
    assert says in said


def test_the_template_folder_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("AFTERVIEW_TEMPLATES", str(tmp_path))
    assert user_template_folder() == tmp_path
    monkeypatch.delenv("AFTERVIEW_TEMPLATES")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert user_template_folder() == tmp_path / "config" / "afterview" / "templates"


def test_the_command_line_offers_exactly_the_kinds_the_engine_drafts() -> None:
    from afterview.cli.commands.offers import DRAFT_KINDS

    assert DRAFT_KINDS == KINDS
