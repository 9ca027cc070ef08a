"""import: an afterview export restored with its ids (twice adds nothing), and a hand-kept
spreadsheet turned into facts, all rows or none."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import DomainError, InvalidValue
from afterview.engine.io.spreadsheet import sheet_amount, sheet_date, status_state
from afterview.engine.service import exchange
from afterview.engine.service.api import Engine
from afterview.engine.service.audit import verify_log
from afterview.engine.service.exchange import import_csv
from afterview.engine.store.sqlite import SQLiteStore
from conftest import CLI, clock_at, new_york
from strategies import sheet_dates
from test_export import small_search


def _export(engine: Engine) -> str:
    out = io.StringIO()
    exchange.export_json(engine, out)
    return out.getvalue()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Engine]:
    """A second, empty database, a day later than the first."""
    store = SQLiteStore(tmp_path / "copy.db")
    yield Engine(store, clock=clock_at("2026-11-21T08:00:00-05:00"))
    store.close()


# ---------------------------------------------------------------------------
# JSON: restoring an export


def test_json_round_trip_keeps_ids_data_and_times_and_verifies(engine: Engine, fresh: Engine) -> None:
    small_search(engine)
    declined = next(f for f in engine.facts("initech") if f.event.TYPE == "ApplicationDeclined")
    engine.void(declined.event_id, "that was another company's letter")
    text = _export(engine)
    result = exchange.import_json(fresh, text, "backup.json")
    original = list(engine.store.read_all())
    copied = {e.event_id: e for e in fresh.store.read_all()}
    assert result.added == len(original) == len(copied)
    for event in original:
        copy = copied[event.event_id]
        assert (copy.stream_id, copy.version, copy.type, copy.schema_version, copy.data,
                copy.occurred_at) == (event.stream_id, event.version, event.type,
                                      event.schema_version, event.data, event.occurred_at)
        metadata = copy.metadata
        imported = metadata.pop("imported")
        assert metadata == event.metadata
        assert imported == {"file": "backup.json", "position": event.position,
                            "recorded_at": event.recorded_at, "hash": event.hash}
        assert copy.recorded_at == "2026-11-21T08:00:00-05:00"  # when it entered this log
    assert verify_log(fresh.store)["ok"]
    assert [(a.id, a.state, len(a.open_tasks())) for a in fresh.applications()] == [
        (a.id, a.state, len(a.open_tasks())) for a in engine.applications()]
    assert fresh.application("initech").state == "applied"  # the void came along


def test_importing_the_same_export_twice_adds_nothing(engine: Engine, fresh: Engine) -> None:
    small_search(engine)
    text = _export(engine)
    exchange.import_json(fresh, text, "backup.json")
    head = fresh.store.head()
    again = exchange.import_json(fresh, text, "backup.json")
    assert (again.added, again.skipped) == (0, len(list(engine.store.read_all())))
    assert fresh.store.head() == head


def test_a_later_export_adds_only_what_is_new(engine: Engine, fresh: Engine) -> None:
    small_search(engine)
    exchange.import_json(fresh, _export(engine), "monday.json")
    engine.record("globex", ev.CounterOfferMade(ev.OfferTerms("USD", 165000), ("market",)))
    result = exchange.import_json(fresh, _export(engine), "tuesday.json")
    assert result.applications == ["globex"]
    assert fresh.application("globex").state == "negotiating"
    assert verify_log(fresh.store)["ok"]


def test_an_edited_export_is_refused_and_nothing_is_appended(engine: Engine, fresh: Engine) -> None:
    small_search(engine)
    document = json.loads(_export(engine))
    offer = next(e for e in document["events"] if e["type"] == "OfferReceived")
    offer["data"]["terms"]["base"] = "250000"
    with pytest.raises(InvalidValue, match=r"position \d+\) breaks the hash chain"):
        exchange.import_json(fresh, json.dumps(document), "edited.json")
    del document["events"][-1]
    with pytest.raises(InvalidValue):
        exchange.import_json(fresh, json.dumps(document), "cut.json")
    assert fresh.store.head()[0] == 0


def test_an_application_with_another_history_here_is_refused(engine: Engine, fresh: Engine) -> None:
    small_search(engine)
    fresh.apply(ev.ApplicationSubmitted("Globex", "Data Engineer"), application_id="globex")
    before = fresh.store.head()
    with pytest.raises(DomainError, match="'globex' already exists here with a different history"):
        exchange.import_json(fresh, _export(engine), "backup.json")
    assert fresh.store.head() == before


def test_json_import_from_the_command_line(cli: CLI, tmp_path: Path) -> None:
    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02")
    backup = tmp_path / "backup.json"
    cli.ok("export", "--output", str(backup))
    copy = CLI(tmp_path / "copy.db")
    assert copy.ok("import", str(backup)).startswith("imported 3 events into 1 application")
    assert copy.ok("import", str(backup)).strip() == "nothing to import: 3 events already here"
    assert copy.json("verify")["ok"]
    line = copy.refused("import", str(tmp_path / "missing.json"), code=2)
    assert "missing.json" in line


# ---------------------------------------------------------------------------
# CSV: a hand-kept spreadsheet

SHEET = """\
Company,Position,Date Applied,Stage,Notes,Link,Base Salary,Recruiter,Favourite
Acme,Backend Engineer,2026-11-02,Submitted,"Referred by Sam, ex-colleague",https://a.example,,Dana Ruiz,yes
Globex,Data Engineer,11/03/2026,Phone screen,,,,,
Initech,SRE,"Nov 4, 2026",Rejected,,,,,
Umbrella,Platform Engineer,5 Nov 2026,offer,,,"$145,000",,
"""


def test_spreadsheet_rows_become_the_facts_of_their_state(engine: Engine) -> None:
    result = import_csv(engine, SHEET, "/home/me/applications.csv")
    apps = {a.company: a for a in engine.applications()}
    assert {c: a.state for c, a in apps.items()} == {
        "Acme": "applied", "Globex": "interviewing", "Initech": "declined", "Umbrella": "offered"}
    acme = apps["Acme"]
    assert (acme.role, acme.url, [c.name for c in acme.contacts]) == (
        "Backend Engineer", "https://a.example", ["Dana Ruiz"])
    assert acme.notes == [(new_york("2026-11-02T09:00"), "Referred by Sam, ex-colleague")]
    assert apps["Globex"].applied_at == new_york("2026-11-03T09:00")
    assert apps["Initech"].applied_at == new_york("2026-11-04T09:00")
    assert apps["Umbrella"].offer.terms.base == 145000
    assert apps["Umbrella"].offer.terms.currency == "USD"
    assert sorted(result.applications) == sorted(a.id for a in apps.values())
    assert result.warnings == ["applications.csv: column 'Favourite' is not one afterview reads; ignored"]
    assert verify_log(engine.store)["ok"]


def test_imported_facts_are_marked_with_the_file_and_line(engine: Engine) -> None:
    import_csv(engine, SHEET, "applications.csv")
    rows = [e for e in engine.store.read_all() if e.stream_id.startswith("initech")]
    assert {e.metadata["actor"] for e in rows} == {"import"}
    declined = next(e for e in rows if e.type == "ApplicationDeclined")
    assert declined.metadata["import"] == {"file": "applications.csv", "line": 4}


def test_importing_the_spreadsheet_again_skips_every_row(engine: Engine) -> None:
    import_csv(engine, SHEET, "applications.csv")
    head = engine.store.head()
    again = import_csv(engine, SHEET, "applications.csv")
    assert (again.added, again.skipped) == (0, 4)
    assert "applications.csv line 2: Acme — Backend Engineer is already here" in again.warnings[1]
    assert engine.store.head() == head


@pytest.mark.parametrize(("row", "complaint"), [
    ("Hooli,,2026-11-01,applied", "line 3: the role is empty"),
    ("Hooli,ML Engineer,2026-13-01,applied", "line 3: '2026-13-01' is not a date"),
    ("Hooli,ML Engineer,25/10/2026,applied", "add --day-first"),
    ("Hooli,ML Engineer,,applied", "line 3: the date applied is empty"),
    ("Hooli,ML Engineer,2026-11-01,ghosted", "line 3: unknown status 'ghosted'"),
    ("Hooli,ML Engineer,2026-12-01,applied", "line 3: the date applied '2026-12-01' is in the future"),
    ("Hooli,ML Engineer,2026-11-01,negotiating", "line 3: status negotiating needs your counter"),
])
def test_a_bad_row_names_its_line_and_nothing_is_imported(engine: Engine, row: str,
                                                          complaint: str) -> None:
    sheet = f"Company,Role,Date,Status\nAcme,Backend Engineer,2026-11-02,applied\n{row}\n"
    before = engine.store.head()
    with pytest.raises(InvalidValue) as refused:
        import_csv(engine, sheet, "/home/me/applications.csv")
    assert str(refused.value).startswith("applications.csv line ") and complaint in str(refused.value)
    assert engine.store.head() == before


def test_an_offer_row_without_a_salary_imports_as_terms_not_recorded(engine: Engine) -> None:
    sheet = "Company,Role,Date,Status\nHooli,ML Engineer,2026-11-01,Offer\n"
    import_csv(engine, sheet, "applications.csv")
    (app,) = engine.applications()
    assert app.state == "offered" and app.offer is not None and app.offer.terms is None
    assert [t.kind for t in app.open_tasks()] == ["offer-decision"]


def test_a_bad_row_from_the_command_line_is_one_error_line_and_appends_nothing(
        cli: CLI, tmp_path: Path) -> None:
    sheet = tmp_path / "applications.csv"
    sheet.write_text("Company,Role,Date,Status\nAcme,Backend Engineer,2026-11-02,applied\n"
                     "Hooli,ML Engineer,25/10/2026,applied\n")
    before = cli.event_count()
    line = cli.refused("import", str(sheet), code=2)
    assert line == ("error: applications.csv line 3: '25/10/2026' is not a date: '25/10/2026' has "
                    "no month 25; if your dates are day/month/year, add --day-first")
    assert cli.event_count() == before
    assert cli.ok("import", "--day-first", str(sheet)).startswith("imported 4 events into 2 ")


def test_a_salary_of_nothing_is_a_bad_row(engine: Engine) -> None:
    sheet = "company,role,applied,status,salary\nAcme,Engineer,2026-11-02,offered,0\n"
    with pytest.raises(InvalidValue, match="line 2: '0' is not an amount of money above 0"):
        import_csv(engine, sheet, "a.csv")
    assert [a.id for a in engine.applications()] == []


def test_a_spreadsheet_without_a_company_column_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidValue, match=r"line 1: no company column.*headers are: Firm, Role"):
        import_csv(engine, "Firm,Role\nAcme,Engineer\n", "a.csv")


def test_semicolons_day_first_dates_and_later_stages(engine: Engine) -> None:
    sheet = ("\ufeffEmployer;Job Title;Applied on;Status;Status date;Salary;Counter;Start\n"
             "Hooli;ML Engineer;02/10/2026;hired;20/10/2026;150k EUR;;04/01/2027\n"
             "Pied Piper;Engineer;03/10/2026;negotiating;21/10/2026;120000;135000;\n")
    import_csv(engine, sheet, "a.csv", day_first=True)
    hooli, piper = engine.application("hooli"), engine.application("pied")
    assert hooli.state == "accepted" and hooli.start_date == date(2027, 1, 4)
    assert hooli.applied_at == new_york("2026-10-02T09:00")
    assert hooli.stage_times["accepted"] == new_york("2026-10-20T09:00")
    assert (hooli.offer.terms.currency, hooli.offer.terms.base) == ("EUR", 150000)
    assert piper.state == "negotiating" and piper.rounds[-1].terms.base == 135000


def test_an_old_acceptance_reaches_only_applications_that_existed_then(engine: Engine) -> None:
    engine.apply(ev.ApplicationSubmitted("Acme", "Engineer"), application_id="acme",
                 at=new_york("2026-11-16T09:00"))
    sheet = ("company,role,applied,status,updated,salary\n"
             "Later,Engineer,2026-11-02,applied,,\n"
             "Hooli,ML Engineer,2026-10-01,accepted,2026-10-20,150000\n"
             "Earlier,Engineer,2026-10-05,applied,,\n")
    import_csv(engine, sheet, "a.csv", keep_overdue=True)
    withdraws = {t.application for a in engine.applications() for t in a.tasks.values()
                 if t.kind == "withdraw-application"}
    assert withdraws == {"earlier-engineer"}


def test_overdue_tasks_of_ended_applications_are_dismissed_unless_kept(engine: Engine,
                                                                        fresh: Engine) -> None:
    sheet = ("company,role,applied,status,status date\n"
             "Acme,Engineer,2026-10-01,applied,\n"  # its follow-up fell due in October: still to do
             "Globex,Engineer,2026-11-19,applied,\n"  # its follow-up is ahead
             "Initech,Engineer,2026-10-01,rejected,2026-10-08\n")  # feedback and reflection: stale
    import_csv(engine, sheet, "a.csv")
    open_tasks = sorted((t.application, t.kind) for a in engine.applications()
                        for t in a.open_tasks())
    assert open_tasks == [("acme-engineer", "follow-up-application"),
                          ("globex-engineer", "follow-up-application")]
    initech = engine.application("initech").tasks.values()
    assert {(t.kind, t.status) for t in initech} == {
        ("follow-up-application", "closed"),  # made moot by the rejection, as always
        ("request-feedback", "dismissed"), ("reflect", "dismissed")}
    fresh.clock = engine.clock
    import_csv(fresh, sheet, "a.csv", keep_overdue=True)
    assert len([t for a in fresh.applications() for t in a.open_tasks()]) == 4


def test_an_interview_ahead_is_scheduled_for_its_date(engine: Engine) -> None:
    sheet = "company,role,applied,status,status date\nAcme,Engineer,2026-11-02,interview,2026-11-25\n"
    import_csv(engine, sheet, "a.csv")
    interview = engine.application("acme").interviews[0]
    assert interview.scheduled_for == new_york("2026-11-25T09:00")


@pytest.mark.parametrize(("word", "state"), [
    ("Applied", "applied"), ("", "applied"), ("submitted", "applied"),
    ("Interview", "interviewing"), ("phone-screen", "interviewing"), ("Onsite", "interviewing"),
    ("OFFER", "offered"), ("Negotiating", "negotiating"), ("hired", "accepted"),
    ("Rejected", "declined"), ("no", "declined"), ("declined", "declined"),
    ("withdrew", "withdrawn"), ("Withdrawn", "withdrawn"),
])
def test_status_words_map_to_states(word: str, state: str) -> None:
    assert status_state(word) == state


@pytest.mark.parametrize(("text", "expected"), [
    ("85000", (85000, None)), ("85,000", (85000, None)), ("$85,000", (85000, "USD")),
    ("85k", (85000, None)), ("85000 EUR", (85000, "EUR")), ("GBP 70000.50", (70000.5, "GBP")),
])
def test_salary_cells(text: str, expected: tuple[float, str | None]) -> None:
    assert sheet_amount(text) == (pytest.approx(expected[0]), expected[1])


@settings(max_examples=40, deadline=None)
@given(sheet_dates())
def test_every_supported_date_spelling_reads_back(day: date) -> None:
    month = day.strftime("%B")
    spellings = [day.isoformat(), f"{day.year}/{day.month}/{day.day}",
                 f"{day.month}/{day.day}/{day.year}", f"{day.month:02}/{day.day:02}/{day.year % 100:02}",
                 f"{month[:3]} {day.day}, {day.year}", f"{month} {day.day} {day.year}",
                 f"{day.day} {month[:3]} {day.year}"]
    for text in spellings:
        assert sheet_date(text) == day, text
    assert sheet_date(f"{day.day}/{day.month}/{day.year}", day_first=True) == day
    assert sheet_date(f"{day.isoformat()}T14:30") == datetime.combine(day, datetime.min.time()
                                                                      ).replace(hour=14, minute=30)


def test_the_csv_export_reads_back_as_the_same_applications(engine: Engine, fresh: Engine) -> None:
    sample = (Path(__file__).resolve().parent.parent / "examples" / "applications.csv").read_text()
    import_csv(engine, sample, "applications.csv")
    exported = io.StringIO()
    exchange.export_csv(engine, exported)
    fresh.clock = engine.clock
    fresh.set_setting("timezone", "America/New_York")
    result = import_csv(fresh, exported.getvalue(), "export.csv")
    assert len(result.applications) == 7
    again = io.StringIO()
    exchange.export_csv(fresh, again)
    assert again.getvalue() == exported.getvalue()


def test_an_unclosed_quote_is_a_bad_line_not_a_swallowed_file(engine: Engine) -> None:
    with pytest.raises(InvalidValue, match=r"a\.csv line 3: unexpected end of data"):
        import_csv(engine, 'Company,Role,Date\nA,B,2026-11-01\n"C,D,2026-11-01\nE,F,2026-11-02\n',
                   "a.csv")


def test_an_import_that_would_leave_two_accepted_applications_is_refused(
        cli: CLI, tmp_path: Path) -> None:
    other = CLI(tmp_path / "other.db")
    for search, company in ((cli, "Acme"), (other, "Globex")):
        search.ok("apply", company, "Engineer", "--at", "2026-11-02")
        search.ok("offer", f"{company.lower()}-engineer", "--salary", "100000", "--at", "2026-11-10")
        search.ok("accept", f"{company.lower()}-engineer", "--at", "2026-11-12")
    backup = tmp_path / "globex.json"
    other.ok("export", "-o", str(backup))
    before = cli.event_count()
    line = cli.refused("import", str(backup))
    assert "(OfferAccepted): it would leave 'globex-engineer' accepted while 'acme-engineer'" in line
    assert cli.event_count() == before and cli.ok("verify").startswith("ok")
    fresh = CLI(tmp_path / "fresh.db")
    fresh.ok("import", str(backup))  # alone, the same backup is fine
