"""export: the lossless JSON log, one CSV row per application, and an iCalendar file that
calendar applications (here: the icalendar library) accept."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import datetime
from pathlib import Path

import icalendar
import pytest
from hypothesis import given, settings

from afterview.engine.domain import events as ev
from afterview.engine.io.ics import export_ics
from afterview.engine.service import exchange
from afterview.engine.service.api import Engine
from conftest import CLI, new_york
from strategies import calendar_texts


def small_search(engine: Engine) -> None:
    """Three applications: one interviewing (an interview ahead), one offered, one declined."""
    engine.apply(ev.ApplicationSubmitted("Acme, Inc.", "Backend Engineer; Platform",
                                         contacts=("Dana Ruiz",)),
                 application_id="acme", at=new_york("2026-11-02T09:00"))
    engine.record("acme", ev.InterviewScheduled(1, new_york("2026-11-25T14:00"), "video",
                                                ("Dana Ruiz",)), at=new_york("2026-11-06T10:00"))
    engine.apply(ev.ApplicationSubmitted("Globex", "Data Engineer"), application_id="globex",
                 at=new_york("2026-11-03T09:00"))
    engine.record("globex", ev.OfferReceived(ev.OfferTerms("USD", 150000, signing=10000)),
                  at=new_york("2026-11-12T09:00"))
    engine.apply(ev.ApplicationSubmitted("Initech", "SRE"), application_id="initech",
                 at=new_york("2026-11-04T09:00"))
    engine.record("initech", ev.ApplicationDeclined("position filled"),
                  at=new_york("2026-11-10T09:00"))


def test_json_export_has_every_event_with_its_whole_envelope(engine: Engine) -> None:
    small_search(engine)
    out = io.StringIO()
    written = exchange.export_json(engine, out)
    document = json.loads(out.getvalue())
    stored = list(engine.store.read_all())
    assert written == len(stored) == len(document["events"])
    assert document["format"] == "afterview-export" and document["version"] == 1
    assert document["head"] == {"position": stored[-1].position, "hash": stored[-1].hash}
    for row, exported in zip(stored, document["events"], strict=True):
        assert exported == exchange.stored_json(row)
        assert exported["metadata"]["actor"] == "cli"
        assert {"occurred_at", "recorded_at", "prev_hash", "hash"} <= exported.keys()


def test_csv_export_is_one_row_per_application_with_state_and_offer(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02", "--source", "referral",
           "--contact", "Dana Ruiz", "--contact", "Sam Lee")
    cli.ok("apply", "Globex", "Data Engineer", "--at", "2026-11-03")
    cli.ok("offer", "globex", "--salary", "150000", "--signing", "10000", "--at", "2026-11-12")
    rows = list(csv.DictReader(io.StringIO(cli.ok("export", "--format", "csv"))))
    assert [r["id"] for r in rows] == ["acme-backend-engineer", "globex-data-engineer"]
    acme, globex = rows
    assert (acme["company"], acme["role"], acme["state"]) == ("Acme", "Backend Engineer", "applied")
    assert acme["applied_at"] == "2026-11-02T09:00:00-05:00"
    assert acme["source"] == "referral" and acme["contacts"] == "Dana Ruiz; Sam Lee"
    assert acme["offer_base"] == ""
    assert globex["state"] == "offered" and globex["state_since"] == "2026-11-12T09:00:00-05:00"
    assert (globex["offer_currency"], globex["offer_base"]) == ("USD", "150000")
    assert globex["offer_first_year_total"] == "160000"  # base plus the signing bonus


FORMULAS = ('=HYPERLINK("http://evil.example","click")', "+1+2", "-3+4", "@SUM(A1:A9)")


def test_csv_cells_never_start_a_spreadsheet_formula(cli: CLI, tmp_path: Path) -> None:
    """OWASP CSV injection: each such cell gets a leading quote, and the export still
    imports back to the same text."""
    for number, text in enumerate(FORMULAS):
        cli.ok("apply", "--id", f"app-{number}", f"--source={text}", "--at", "2026-11-02",
               "--", text, f"{text} role")
    exported = cli.ok("export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(exported)))
    for row in rows:
        for column in ("company", "role", "source"):
            assert row[column][0] not in "=+-@\t\r", (column, row[column])
        assert row["company"].startswith("'")
    saved = tmp_path / "apps.csv"
    saved.write_text(exported, encoding="utf-8")
    fresh = CLI(tmp_path / "fresh.db")
    fresh.ok("import", str(saved))
    companies = {a["company"] for a in fresh.json("list")}
    assert companies == set(FORMULAS)


def test_a_cell_starting_with_tab_or_cr_is_quoted_and_stays_one_row() -> None:
    from afterview.engine.io.spreadsheet import formula_safe_row

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(formula_safe_row(
        ["\tcmd|' /C calc'!A0", "\r=1+1", "a\rb", "plain", 5, "-"]))
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'\tcmd|' /C calc'!A0", "'\n=1+1", "a\nb", "plain", "5", "'-"]]


def test_export_to_a_file_is_private_and_stdout_gets_the_same_log(cli: CLI, tmp_path: Path) -> None:
    cli.ok("apply", "Acme", "Backend Engineer")
    target = tmp_path / "backup.json"
    said = cli.ok("export", "--format", "json", "--output", str(target))
    assert said.strip() == f"exported 3 events to {target}"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    on_stdout = json.loads(cli.ok("export", "--format", "json"))
    assert on_stdout["events"] == json.loads(target.read_text())["events"]


def test_export_into_a_missing_folder_is_refused(cli: CLI, tmp_path: Path) -> None:
    line = cli.refused("export", "--output", str(tmp_path / "nowhere" / "x.json"), code=2)
    assert "cannot write" in line


# ---------------------------------------------------------------------------
# iCalendar


def _calendar(engine: Engine) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(export_ics(engine))


def test_ics_has_a_vevent_per_interview_and_a_vtodo_per_open_task(engine: Engine) -> None:
    small_search(engine)
    calendar = _calendar(engine)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    interview = events[0]
    assert interview.decoded("DTSTART") == new_york("2026-11-25T14:00")
    assert str(interview["SUMMARY"]) == (
        "Interview round 1, video: Acme, Inc. — Backend Engineer; Platform")
    assert "With Dana Ruiz" in str(interview["DESCRIPTION"])
    open_tasks = {t.id: t for app in engine.applications() for t in app.open_tasks()}
    todos = {str(todo["UID"]): todo for todo in calendar.walk("VTODO")}
    assert set(todos) == {f"{task_id}@afterview" for task_id in open_tasks}
    for task_id, task in open_tasks.items():
        todo = todos[f"{task_id}@afterview"]
        assert todo.decoded("DUE") == task.due_at
        assert str(todo["SUMMARY"]) == task.title
        assert str(todo["STATUS"]) == "NEEDS-ACTION"


def test_ics_uids_stay_the_same_between_exports_and_closed_tasks_leave(engine: Engine) -> None:
    small_search(engine)
    first = _calendar(engine)
    engine.clock = lambda: new_york("2026-11-21T12:00")
    task = next(t for app in engine.applications() for t in app.open_tasks()
                if t.kind == "offer-decision")
    engine.snooze_task(task.id, new_york("2026-11-24T09:00"))
    second = _calendar(engine)
    uids = {str(c["UID"]) for c in first.walk() if "UID" in c}
    assert uids == {str(c["UID"]) for c in second.walk() if "UID" in c}
    snoozed = next(c for c in second.walk("VTODO") if str(c["UID"]) == f"{task.id}@afterview")
    assert snoozed.decoded("DUE") == new_york("2026-11-24T09:00")
    engine.close_task(task.id, "done")
    assert f"{task.id}@afterview" not in {str(c["UID"]) for c in _calendar(engine).walk("VTODO")}


def test_ics_lines_are_crlf_and_at_most_75_octets(engine: Engine) -> None:
    small_search(engine)
    text = export_ics(engine)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75


@settings(max_examples=60, deadline=None)
@given(calendar_texts())
def test_any_text_survives_escaping_and_folding(text: str) -> None:
    from afterview.engine.domain.state import Application, Task
    from afterview.engine.io import ics

    when = datetime.fromisoformat("2026-11-20T15:00:00+00:00")
    task = Task("follow-up-x", "acme", "follow-up", text, when, when, None)
    cal = ics.calendar({"acme": (Application("acme", company=text, role="r"), [])})
    cal.add_component(ics.task_todo(task, Application("acme"), when))
    body = cal.to_ical().decode()
    assert max(len(line.encode()) for line in body.split("\r\n")) <= 75
    todo = next(iter(icalendar.Calendar.from_ical(body).walk("VTODO")))
    assert str(todo["SUMMARY"]) == text.replace("\r\n", "\n").replace("\r", "\n")


def test_an_id_with_line_breaks_cannot_add_lines_to_the_calendar(engine: Engine) -> None:
    """An id imported from a crafted file: CR, LF and escapes stay inside its own value."""
    from afterview.engine.domain.state import Application, Task
    from afterview.engine.io import ics

    when = datetime.fromisoformat("2026-11-20T15:00:00+00:00")
    hostile = "x\r\nEND:VTODO\r\nBEGIN:VEVENT\rSUMMARY:pwned\nUID:y\x1b]0;t\x07"
    task = Task(hostile, hostile, "follow-up", "Title\r\nATTACH:evil", when, when, None)
    cal = ics.calendar({})
    cal.add_component(ics.task_todo(task, Application(hostile), when))
    body = cal.to_ical().decode()
    assert "\x1b" not in body and "\x07" not in body
    assert [line.split(":")[0] for line in body.split("\r\n") if line and line[0] != " "] == [
        "BEGIN", "VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-CALNAME", "BEGIN",
        "CATEGORIES", "DESCRIPTION", "DTSTAMP", "DUE", "STATUS", "SUMMARY", "UID", "END", "END"]
    parsed = icalendar.Calendar.from_ical(body)
    assert len(list(parsed.walk("VTODO"))) == 1 and not list(parsed.walk("VEVENT"))
    todo = next(iter(parsed.walk("VTODO")))
    assert str(todo["SUMMARY"]) == "Title\nATTACH:evil"
    assert "ATTACH" not in todo


def test_ics_export_from_the_command_line(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-25T14:00", "--at", "2026-11-06")
    calendar = icalendar.Calendar.from_ical(cli.ok("export", "--format", "ics"))
    assert [e.decoded("DTSTART") for e in calendar.walk("VEVENT")] == [
        datetime.fromisoformat("2026-11-25T14:00:00-05:00")]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_only_on_a_terminal_and_only_for_large_jobs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from afterview.cli.commands.data import PROGRESS_THRESHOLD, _progress

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with _progress(PROGRESS_THRESHOLD, "exporting") as advance:
        advance(PROGRESS_THRESHOLD)
    assert "exporting" in terminal.getvalue() and "100%" in terminal.getvalue()
    small = _Terminal()
    monkeypatch.setattr("sys.stderr", small)
    with _progress(PROGRESS_THRESHOLD - 1, "exporting") as advance:
        advance(PROGRESS_THRESHOLD - 1)
    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    with _progress(10 * PROGRESS_THRESHOLD, "exporting") as advance:
        advance(10 * PROGRESS_THRESHOLD)
    assert small.getvalue() == piped.getvalue() == ""
