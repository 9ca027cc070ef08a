"""Bad and hostile input through the real CLI: each is refused cleanly (one ``error:`` line,
non-zero exit, nothing appended) or, when it is text a person may legitimately type, stored
verbatim and shown without harming the terminal.

The CLI runs in-process (``crash_worker.InProcessCLI``) so that hundreds of cases stay fast;
the subprocess path is exercised by the crash, concurrency and privacy tests.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from afterview.engine.domain import lifecycle
from conftest import copy_fresh_search
from crash_worker import InProcessCLI, assert_one_error_line

ZONE = "America/New_York"


@pytest.fixture
def av(tmp_path: Path, fresh_search: Path) -> InProcessCLI:
    return InProcessCLI(copy_fresh_search(fresh_search, tmp_path / "search"))


@pytest.fixture
def app(av: InProcessCLI) -> str:
    return av.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02").strip()


# --- empty names, absurd amounts, impossible dates ------------------------------------

EMPTY = [
    ["apply", "", "Engineer"],
    ["apply", "Acme", ""],
    ["apply", "  ", "\t"],
    ["apply", "Acme", "Engineer", "--id", ""],
    ["contact", "APP", ""],
    ["contact", "APP", "   "],
    ["note", "APP", ""],
    ["reflect", "APP", " \n "],
    ["feedback", "APP", "--received", ""],
    ["debrief", "APP", "--question", " "],
    ["note", "", "text"],
    ["done", " "],
    ["void", "", "--reason", "typo"],
]


@pytest.mark.parametrize("argv", EMPTY, ids=lambda argv: " ".join(argv).strip() or "blank")
def test_empty_names_and_texts_are_refused_as_bad_values(av: InProcessCLI, app: str,
                                                         argv: list[str]) -> None:
    av.refused(*[app if word == "APP" else word for word in argv], code=2)


BAD_SALARIES = ["1e400", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "snan", "-1", "-0.01",
                "1e13", "1000000000001", "", "12abc", "0x10", "1e", "0", "-0", "0.00"]


@pytest.mark.parametrize("salary", BAD_SALARIES)
def test_absurd_or_non_finite_salaries_are_refused(av: InProcessCLI, app: str, salary: str) -> None:
    line = av.refused("offer", app, "--salary", salary, code=2)
    assert "salary" in line


@pytest.mark.parametrize(("option", "value"), [
    ("--bonus", "nan%"), ("--bonus", "1e400%"), ("--bonus", "-5%"), ("--bonus", "1001%"),
    ("--bonus", "inf"), ("--signing", "-1"), ("--equity", "1e400"), ("--relocation", "nan"),
    ("--equity-total", "-inf"), ("--benefits-value", "1e13"), ("--commute-cost", "snan"),
    ("--currency", "US"), ("--currency", "€€€"), ("--currency", "U$D"), ("--currency", "USDX"),
])
def test_every_money_option_refuses_what_is_not_an_amount(av: InProcessCLI, app: str,
                                                          option: str, value: str) -> None:
    line = av.refused("offer", app, "--salary", "100000", option, value, code=2)
    assert option in line


def test_minus_zero_is_stored_as_zero_and_big_legitimate_amounts_exactly(
        av: InProcessCLI, app: str) -> None:
    # -0 is not negative, so it is accepted; it must not come back as "-0".
    av.ok("offer", app, "--salary", "999,999,999,999.99", "--bonus", "-0", "--signing", "0.10")
    offer = av.json("show", app)["offer"]
    assert (offer["base"], offer["bonus"], offer["signing"]) == (999999999999.99, 0, 0.1)
    data = next(r["data"] for r in av.json("history", app) if r["type"] == "OfferReceived")
    assert data["terms"]["bonus"] == "0"
    assert data["terms"]["base"] == "999999999999.99"
    assert "bonus 0;" in av.ok("show", app)


BAD_DATES = ["2026-02-30", "2026-13-01", "2026-11-20T24:30", "2026-11-25T10:00+25:00",
             "1899-12-31", "2201-01-01", "", "soon", "2026-11-20T10:00:00Z junk"]
DATE_OPTIONS = {
    "interview --on": ["interview", "APP", "--on", "WHEN"],
    "interview --at": ["interview", "APP", "--on", "2026-11-25", "--at", "WHEN"],
    "offer --respond-by": ["offer", "APP", "--salary", "1", "--respond-by", "WHEN"],
    "ask-time --until": ["ask-time", "APP", "--until", "WHEN"],
    "accept --start": ["accept", "APP", "--start", "WHEN"],
    "status --as-of": ["status", "--as-of", "WHEN"],
    "status --known-at": ["status", "APP", "--known-at", "WHEN"],
    "agenda --until": ["agenda", "--until", "WHEN"],
    "snooze --until": ["snooze", "follow-up-application", "--until", "WHEN"],
    "report --from": ["report", "--from", "WHEN"],
}


@pytest.mark.parametrize("where", DATE_OPTIONS)
def test_impossible_dates_are_refused_by_every_date_option(av: InProcessCLI, app: str,
                                                           where: str) -> None:
    for value in BAD_DATES:
        argv = [app if w == "APP" else value if w == "WHEN" else w for w in DATE_OPTIONS[where]]
        line = av.refused(*argv, code=2)
        assert where.split()[1] in line, (value, line)


@pytest.mark.parametrize("at", ["tomorrow", "2026-11-20T10:01", "2026-11-01"])
def test_facts_in_the_future_or_before_the_application_are_refused(av: InProcessCLI, app: str,
                                                                   at: str) -> None:
    av.refused("note", app, "text", "--at", at, code=2)


@pytest.mark.parametrize(("key", "value"), [
    ("timezone", "Mars/Olympus"), ("timezone", "../../../etc/passwd"),
    ("timezone", "/etc/localtime"), ("timezone", "America/New York"), ("timezone", "UTC+5"),
    ("timezone", "\x00"), ("timezone", "Europe/Berlin\u202e"), ("country", "ZZ"),
    ("country", "Narnia"), ("country", "\u202eUS"), ("subdivision", "ZZ"),
    ("workday_start", "25:00"), ("decision_days", "1e400"), ("decision_days", "-1"),
    ("no_such_setting", "1"),
])
def test_zones_countries_and_settings_that_do_not_exist_are_refused(
        av: InProcessCLI, key: str, value: str) -> None:
    av.ok("config", "set", "country", "US")
    before = av.json("config", "list")
    av.refused("config", "set", key, value, code=2)
    assert av.json("config", "list") == before


# --- ids -------------------------------------------------------------------------------


def test_unknown_and_ambiguous_ids_are_refused_with_the_candidates(av: InProcessCLI) -> None:
    av.ok("apply", "Acme", "Backend", "--at", "2026-11-02")
    av.ok("apply", "Acme", "Frontend", "--at", "2026-11-02")
    assert "acme-backend, acme-frontend" in av.refused("note", "acme", "x", code=1)
    assert "did you mean acme-backend" in av.refused("note", "acme-backnd", "x", code=1)
    assert "unknown application 'globex'" in av.refused("withdraw", "globex", code=1)
    assert "ambiguous task" in av.refused("done", "follow-up-application", code=1)
    assert "unknown task" in av.refused("dismiss", "no-such-task", code=1)
    assert "unknown event" in av.refused("void", "ffffffff-no", "--reason", "x", code=1)
    for number in range(14):
        av.ok("note", "acme-frontend", f"note {number}")
    event_ids = [r["event_id"] for r in av.json("history", "acme-backend")]
    event_ids += [r["event_id"] for r in av.json("history", "acme-frontend")]
    assert len(event_ids) > 16  # so two of them share a first hex digit
    shared = next(a[:1] for a in event_ids if sum(b.startswith(a[:1]) for b in event_ids) > 1)
    assert "ambiguous event" in av.refused("void", shared, "--reason", "x", code=1)


# --- every invalid transition, from the lifecycle table --------------------------------

# How a person asks for each fact on the command line ("APP" is replaced by the id).
FACT_ARGV: dict[str, list[str]] = {
    "ApplicationSubmitted": ["apply", "Acme", "Engineer", "--id", "APP"],
    "InterviewScheduled": ["interview", "APP", "--on", "2026-11-25"],
    "InterviewHeld": ["debrief", "APP"],
    "OfferReceived": ["offer", "APP", "--salary", "100000"],
    "CounterOfferMade": ["counter", "APP", "--salary", "110000"],
    "OfferAccepted": ["accept", "APP"],
    "ApplicationWithdrawn": ["withdraw", "APP"],
    "ApplicationDeclined": ["declined", "APP"],
    "DecisionTimeRequested": ["ask-time", "APP", "--until", "2026-12-01"],
    "ThankYouSent": ["thanks", "APP"],
    "FollowUpSent": ["follow-up", "APP"],
    "FeedbackRequested": ["feedback", "APP", "--requested"],
    "FeedbackReceived": ["feedback", "APP", "--received", "text"],
    "ReflectionRecorded": ["reflect", "APP", "text"],
    "NoticeGiven": ["notice", "APP"],
    "NoteAdded": ["note", "APP", "text"],
    "ContactAdded": ["contact", "APP", "Ana"],
    "InterviewRescheduled": ["interview", "APP", "--on", "2026-11-26T10:00"],
    "InterviewCancelled": ["interview", "APP", "--cancel"],
    "StartDateRecorded": ["start-date", "APP", "2027-01-11"],
    "ApplicationDiscarded": ["discard", "APP", "--reason", "entered twice"],
    "ApplicationDetailsChanged": ["edit", "APP", "--priority", "1"],
}
# The facts that lead from a new application to each state.
PATHS: dict[str, list[str]] = {
    "applied": [],
    "interviewing": ["InterviewScheduled"],
    "offered": ["OfferReceived"],
    "negotiating": ["OfferReceived", "CounterOfferMade"],
    "accepted": ["OfferReceived", "OfferAccepted"],
    "withdrawn": ["ApplicationWithdrawn"],
    "declined": ["ApplicationDeclined"],
}
INVALID = [(state, trigger) for state in lifecycle.STATES for trigger in sorted(FACT_ARGV)
           if (state, trigger) not in lifecycle.TABLE]


def test_the_tables_here_cover_the_whole_lifecycle() -> None:
    assert set(FACT_ARGV) == lifecycle.LIFECYCLE_TRIGGERS
    assert set(PATHS) == set(lifecycle.STATES)
    assert len(INVALID) > 30  # most pairs are refused: the table below is not vacuous


@pytest.fixture(scope="module")
def one_app_per_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessCLI]:
    runner = InProcessCLI(tmp_path_factory.mktemp("states") / "afterview.db")
    runner.ok("config", "set", "timezone", ZONE)
    for state, path in PATHS.items():
        runner.ok("apply", "Acme", state, "--id", state, "--at", "2026-11-02")
        for trigger in path:
            runner.ok(*[state if w == "APP" else w for w in FACT_ARGV[trigger]])
    yield runner


@pytest.mark.parametrize(("state", "trigger"), INVALID)
def test_every_invalid_transition_is_refused_through_the_cli(
        one_app_per_state: InProcessCLI, state: str, trigger: str) -> None:
    argv = [state if w == "APP" else w for w in FACT_ARGV[trigger]]
    line = one_app_per_state.refused(*argv, code=1)
    if trigger == "ApplicationSubmitted":
        assert "already exists" in line
    else:
        assert f"'{lifecycle.COMMAND_NAMES[trigger]}'" in line and state in line
    assert one_app_per_state.json("status", state)["state"] == state


# --- free text: SQL, markup, control characters, length ---------------------------------

SQL = "Robert'); DROP TABLE events; --"
MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
CONTROL = "a\x1b[2J\x1b]0;pwned\x07b\u202ec\x00d\r\x08e\u2066f\x9bg"


def test_sql_and_markup_in_free_text_are_stored_and_shown_verbatim(av: InProcessCLI) -> None:
    app = av.ok("apply", SQL, MARKUP, "--url", MARKUP, "--location", SQL).strip()
    av.ok("note", app, SQL)
    av.ok("contact", app, MARKUP, "--title", SQL, "--email", "x@y'--")
    shown = av.json("show", app)
    assert (shown["company"], shown["role"], shown["url"], shown["location"]) == (SQL, MARKUP,
                                                                                  MARKUP, SQL)
    assert shown["contacts"] == [{"name": MARKUP, "title": SQL, "email": "x@y'--"}]
    texts = [r["data"].get("text") for r in av.json("history", app)]
    assert SQL in texts
    assert av.json("verify")["ok"]
    assert av.event_count() == len(av.json("history", app)) + 1  # + the timezone setting


def test_control_and_bidi_characters_are_stored_verbatim(av: InProcessCLI) -> None:
    app = av.ok("apply", "Evil" + CONTROL, "Role" + CONTROL, "--id", "evil", "--url", CONTROL,
                "--contact", CONTROL, "--at", "2026-11-02").strip()
    av.ok("note", app, CONTROL)
    av.ok("debrief", app, "--question", CONTROL, "--answer", CONTROL, "--at", "2026-11-03")
    av.ok("offer", app, "--salary", "1", "--benefit", CONTROL)
    shown = av.json("show", app)
    assert shown["company"] == "Evil" + CONTROL and shown["url"] == CONTROL
    assert shown["offer"]["benefits"] == [CONTROL]
    assert [r["data"]["text"] for r in av.json("history", app) if r["type"] == "NoteAdded"] == [
        CONTROL]


VIEWS = [["list"], ["list", "--wide"], ["agenda"], ["agenda", "--all"], ["show", "evil"],
         ["history", "evil"], ["status"], ["status", "--wide"], ["status", "evil"], ["compare"],
         ["practice"], ["search", "evil"], ["contacts"], ["digest"]]
# The board on an 80-column terminal leaves out the company and role (the id names both).
NO_TYPED_TEXT = (["list"], ["status"])


@pytest.mark.parametrize("view", VIEWS, ids=" ".join)
def test_text_views_send_no_control_characters_to_a_terminal(av: InProcessCLI,
                                                             view: list[str]) -> None:
    av.ok("apply", "Evil" + CONTROL, "Role" + CONTROL, "--id", "evil", "--url", CONTROL,
          "--location", CONTROL, "--contact", CONTROL, "--at", "2026-11-02")
    av.ok("note", "evil", CONTROL)
    av.ok("debrief", "evil", "--question", CONTROL, "--answer", CONTROL, "--with", CONTROL,
          "--at", "2026-11-03")
    av.ok("offer", "evil", "--salary", "1", "--benefit", CONTROL)
    shown = av.ok(*view, tty=True)
    if view not in NO_TYPED_TEXT:
        assert "\\x1b[2J" in shown or "\\x1b]0;pwned" in shown  # there, escaped
    leaked = {ch for ch in shown if ch != "\n" and not ch.isprintable()}
    assert not leaked, f"{' '.join(view)} sent {sorted(map(hex, map(ord, leaked)))} to the terminal"


def test_on_a_colour_terminal_only_afterviews_own_colour_codes_get_through(
        av: InProcessCLI) -> None:
    av.ok("apply", "Evil" + CONTROL, "Role" + CONTROL, "--id", "evil", "--at", "2026-11-02")
    av.ok("offer", "evil", "--salary", "1", "--benefit", CONTROL)
    for view in (["list"], ["agenda"], ["show", "evil"]):
        shown = av.ok(*view, tty=True, colour=True)
        assert "\x1b[" in shown  # coloured: the guard did not simply strip everything
        plain = re.sub(r"\x1b\[(?:0|1|3[0-7]|9[0-7])m", "", shown)
        assert not [ch for ch in plain if ch != "\n" and not ch.isprintable()], view


def test_fact_commands_echo_no_control_characters_to_a_terminal(av: InProcessCLI) -> None:
    av.ok("apply", "Evil" + CONTROL, "Role", "--id", "evil", "--at", "2026-11-02")
    for argv in (["debrief", "evil", "--at", "2026-11-03"], ["offer", "evil", "--salary", "5"],
                 ["counter", "evil", "--salary", "6"]):
        shown = av.ok(*argv, tty=True)
        assert not [ch for ch in shown if ch != "\n" and not ch.isprintable()], shown


def test_error_lines_show_control_characters_escaped(av: InProcessCLI) -> None:
    """A refusal quoting typed text back is still one line, and obeys nothing, even when
    stderr is not a terminal (a log file is read on one later)."""
    done = av.run("show", "nobody" + CONTROL)
    lines = done.stderr.splitlines()
    assert done.code != 0 and len(lines) == 1 and lines[0].startswith("error: ")
    assert "\\x1b[2J\\x1b]0;pwned\\x07" in lines[0] and "\\r\\x08" in lines[0]
    assert not [ch for ch in lines[0] if not ch.isprintable()], lines[0]


def test_json_escapes_control_characters_as_json_does(av: InProcessCLI) -> None:
    av.ok("apply", "Evil" + CONTROL, "Role", "--id", "evil", "--at", "2026-11-02")
    for tty in (False, True):
        text = av.ok("--json", "show", "evil", tty=tty)
        assert "\\u001b[2J" in text and "\\u009bg" in text and "\\u202e" in text
        assert not [ch for ch in text if ch != "\n" and not ch.isprintable()]
        assert json.loads(text)["company"] == "Evil" + CONTROL


def test_a_100_kb_note_and_company_are_stored_whole(av: InProcessCLI, app: str) -> None:
    long_text = ("Lorem ipsum dolor sit amet, \u00e9\u4e2d\U0001f600 " * 2500)[:99_999] + "."
    av.ok("note", app, long_text)
    big = av.ok("apply", long_text, "Engineer", "--at", "2026-11-02").strip()
    assert len(big) <= 80  # the id stays usable
    notes = [r["data"]["text"] for r in av.json("history", app) if r["type"] == "NoteAdded"]
    assert notes == [long_text]
    assert av.json("show", big)["company"] == long_text
    assert max(len(line) for line in av.ok("list").splitlines()) < 200  # tables cut cells
    assert av.json("verify")["ok"]


# --- the database path -------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file in ``folder`` with its bytes, mtime and mode."""
    return {p.name: (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns,
                     p.stat().st_mode) for p in folder.iterdir()}


def _newer_schema(path: Path) -> None:
    InProcessCLI(path).ok("config", "set", "timezone", ZONE)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (id INTEGER, what TEXT)")
    conn.execute("INSERT INTO events VALUES (1, 'not ours')")
    conn.commit()
    conn.close()


MAKERS = {
    "a folder": lambda p: p.mkdir(),
    "a text file": lambda p: p.write_text("company,role\nAcme,Engineer\n"),
    "an empty-looking binary": lambda p: p.write_bytes(b"\x00" * 4096),
    "another program's database": _foreign,
    "a newer afterview": _newer_schema,
}


@pytest.mark.parametrize("what", MAKERS)
def test_a_path_that_is_not_a_usable_database_is_refused_and_left_untouched(
        tmp_path: Path, what: str) -> None:
    path = tmp_path / "afterview.db"
    MAKERS[what](path)
    before = _snapshot(tmp_path)
    for argv in (["apply", "Acme", "Engineer"], ["list"], ["verify"], ["tick"]):
        ran = InProcessCLI(path).run(*argv)
        assert ran.code == 1, (argv, ran)
        assert_one_error_line(ran.stderr)
        assert str(path) in ran.stderr
    assert _snapshot(tmp_path) == before


@pytest.fixture
def locked_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this user cannot write to (root ignores modes: the immutable flag then)."""
    import os
    import shutil
    import subprocess

    folder = tmp_path / "locked"
    folder.mkdir()
    InProcessCLI(folder / "afterview.db").ok("config", "set", "timezone", ZONE)
    if os.geteuid() != 0:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)]).returncode:
        pytest.skip("running as root without a working chattr")
    yield folder
    subprocess.run([chattr, "-i", str(folder)], check=True)


@pytest.mark.parametrize("name", ["afterview.db", "new.db", "sub/new.db"])
def test_a_database_in_a_folder_it_cannot_write_is_refused_and_left_untouched(
        locked_folder: Path, name: str) -> None:
    before = _snapshot(locked_folder)
    ran = InProcessCLI(locked_folder / name).run("note", "x", "text")
    assert ran.code == 1
    assert_one_error_line(ran.stderr)
    assert "writable" in ran.stderr
    assert _snapshot(locked_folder) == before


def test_a_database_path_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    ran = InProcessCLI(tmp_path / "notes.txt" / "afterview.db").run("list")
    assert ran.code == 1
    assert_one_error_line(ran.stderr)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_warnings_on_a_terminal_show_control_characters_escaped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    import click

    from afterview.cli.output.terminal import guarded_stdout

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    with guarded_stdout():
        click.echo("warning: " + CONTROL, err=True)
    assert err.getvalue() == (
        "warning: a\\x1b[2J\\x1b]0;pwned\\x07b\\u202ec\\x00d\\r\\x08e\\u2066f\\x9bg\n")
