"""Issue 14 (part A): nothing a user types or a crafted file holds may destroy, wedge or
poison the log. Each test tries the hostile input, then shows nothing was lost: the refusal
is one ``error:`` line, nothing is appended, ``verify`` is ok and the views still work."""

from __future__ import annotations

import copy
import json
import os
import resource
import stat
import subprocess
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterview.engine.domain import events as ev
from afterview.engine.domain.amounts import MAX_AMOUNT, AmountError, parse_amount
from afterview.engine.domain.state import PROFILE_STREAM
from afterview.engine.domain.validation import FieldError, check_event
from afterview.engine.service.api import Engine
from afterview.engine.store.base import NewEvent
from afterview.engine.store.chain import canonical_json, event_hash
from afterview.engine.store.sqlite import SQLiteStore
from conftest import CLI, NOW, afterview_command, clock_at, copy_database, copy_fresh_search

# ---------------------------------------------------------------------------
# A small search on the command line, and the checks every hostile case ends with


def _search(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend Engineer", "--id", "acme", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-25T14:00", "--at", "2026-11-06")
    cli.ok("apply", "Globex", "Data Engineer", "--id", "globex", "--at", "2026-11-03")
    cli.ok("offer", "globex", "--salary", "150000", "--at", "2026-11-12")


def _still_works(cli: CLI, events: int) -> None:
    """Nothing was appended, the log verifies, and the views work."""
    assert cli.event_count() == events
    assert cli.json("verify")["ok"]
    for command in (["list"], ["agenda", "--all"], ["stats"], ["report"], ["compare"],
                    ["export", "--format", "ics"], ["export", "--format", "csv"]):
        cli.ok(*command)


@pytest.fixture(scope="module")
def built_search(tmp_path_factory: pytest.TempPathFactory, fresh_search: Path) -> Path:
    """The small search, entered once through the CLI; each test gets a copy."""
    runner = CLI(copy_fresh_search(fresh_search, tmp_path_factory.mktemp("built") / "search"))
    _search(runner)
    return runner.db


@pytest.fixture
def search(cli: CLI, built_search: Path) -> CLI:
    copy_database(built_search, cli.db)
    return cli


# ---------------------------------------------------------------------------
# 1. Outputs: every -o/--output goes through one helper

OUTPUTS: dict[str, list[str]] = {
    "export json": ["export", "--format", "json", "-o"],
    "export csv": ["export", "--format", "csv", "-o"],
    "export ics": ["export", "--format", "ics", "-o"],
    "export by extension": ["export", "-o"],
    "report": ["report", "-o"],
    "report csv": ["report", "--format", "csv", "-o"],
    "stats --svg": ["stats", "--svg"],
}

PROTECTED: dict[str, Callable[[Path, Path], Path]] = {
    "the database": lambda db, _tmp: db,
    "its -wal": lambda db, _tmp: Path(f"{db}-wal"),
    "its -shm": lambda db, _tmp: Path(f"{db}-shm"),
    "its -journal": lambda db, _tmp: Path(f"{db}-journal"),
    "a relative path to it": lambda db, _tmp: Path(os.path.relpath(db)),
    "a path through ..": lambda db, _tmp: db.parent / ".." / db.parent.name / db.name,
    "a symlink to it": lambda db, tmp: _link(tmp / "link.json", db),
    "a symlink to its -wal": lambda db, tmp: _link(tmp / "wal-link.json", Path(f"{db}-wal")),
    "a hard link to it": lambda db, tmp: _hard_link(tmp / "hard.json", db),
}


def _link(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _hard_link(link: Path, target: Path) -> Path:
    os.link(target, link)
    return link


@pytest.mark.parametrize("target", list(PROTECTED))
@pytest.mark.parametrize("command", list(OUTPUTS))
def test_no_output_can_be_the_database_or_its_journals(
        search: CLI, tmp_path: Path, command: str, target: str) -> None:
    events = search.event_count()
    before = search.db.read_bytes()
    path = PROTECTED[target](search.db, tmp_path)
    line = search.refused(*OUTPUTS[command], str(path), code=2)
    assert "database" in line and "choose another file" in line
    assert search.db.read_bytes() == before
    _still_works(search, events)


def test_an_output_is_replaced_only_by_a_complete_file(search: CLI, tmp_path: Path) -> None:
    """A disk that fills up while the export is written (here: a file size limit the
    export exceeds) leaves the old backup as it was, and no temporary file."""
    with SQLiteStore(search.db) as store:
        engine = Engine(store, clock=clock_at(NOW))
        for number in range(150):
            engine.record("acme", ev.NoteAdded(f"note {number} " + "x" * 400))
    backup = tmp_path / "backup.json"
    old = '{"an": "old backup"}\n'
    backup.write_text(old)
    limit = 64 * 1024  # room for SQLite's shared memory file, not for a 150 kB export

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    env = search.env()
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no bytecode cache cut short by the limit
    done = subprocess.run([*afterview_command(), "export", "-o", str(backup)], env=env,
                          capture_output=True, text=True, preexec_fn=small_files, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot write"), done.stderr
    assert "old file is untouched" in lines[0]
    assert backup.read_text() == old
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")) == []
    # With room again, the same command replaces it with the whole log.
    search.ok("export", "-o", str(backup))
    assert len(json.loads(backup.read_text())["events"]) == search.event_count()


def test_a_file_the_command_creates_is_private_and_nothing_else_is_chmodded(
        search: CLI, tmp_path: Path) -> None:
    created = tmp_path / "new.json"
    search.ok("export", "-o", str(created))
    assert stat.S_IMODE(created.stat().st_mode) == 0o600
    # A symlink to a file of yours: the file gets the new content and keeps its mode.
    mine = tmp_path / "shared.csv"
    mine.write_text("old\n")
    mine.chmod(0o644)
    link = _link(tmp_path / "link.csv", mine)
    search.ok("export", "-o", str(link))
    assert link.is_symlink() and mine.read_text().startswith("id,company,role")
    assert stat.S_IMODE(mine.stat().st_mode) == 0o644
    # stdout
    out = search.ok("export", "--format", "csv", "-o", "-")
    assert out.startswith("id,company,role") and not (Path.cwd() / "-").exists()


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/dev/null").is_char_device(),
                    reason="a device someone else owns: only root can be fooled into chmodding it")
@pytest.mark.parametrize("command", list(OUTPUTS))
def test_a_device_is_written_as_it_is_never_replaced_or_chmodded(search: CLI, command: str) -> None:
    before = os.stat("/dev/null")
    search.ok(*OUTPUTS[command], "/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_mode, after.st_uid, after.st_rdev) == (before.st_mode, before.st_uid,
                                                           before.st_rdev)


@pytest.mark.parametrize(("args", "starts"), [
    (["export", "-o", "apps.csv"], "id,company,role"),
    (["export", "-o", "cal.ics"], "BEGIN:VCALENDAR"),
    (["export", "-o", "log.JSON"], '{"format": "afterview-export"'),
    (["export", "-o", "log.bak"], '{"format": "afterview-export"'),
    (["export", "--format", "csv", "-o", "apps.txt"], "id,company,role"),
    (["report", "-o", "r.csv"], "date,"),
    (["report", "-o", "r.md"], "#"),
])
def test_the_format_follows_the_extension(search: CLI, tmp_path: Path, args: list[str],
                                          starts: str) -> None:
    args = [str(tmp_path / a) if "." in a and not a.startswith("-") else a for a in args]
    search.ok(*args)
    assert Path(args[-1]).read_text().startswith(starts)


@pytest.mark.parametrize("args", [
    ["export", "--format", "json", "-o", "apps.csv"],
    ["export", "--format", "csv", "-o", "cal.ics"],
    ["export", "--format", "ics", "-o", "log.json"],
    ["report", "--format", "csv", "-o", "r.md"],
    ["report", "--format", "md", "-o", "r.csv"],
])
def test_an_extension_that_contradicts_the_format_is_refused(search: CLI, tmp_path: Path,
                                                             args: list[str]) -> None:
    events = search.event_count()
    target = tmp_path / args[-1]
    line = search.refused(*args[:-1], str(target), code=2)
    assert "contradicts" in line
    assert not target.exists()
    _still_works(search, events)


# ---------------------------------------------------------------------------
# 2. Import validates before it commits


def _rehash(document: dict[str, Any]) -> dict[str, Any]:
    """Recompute the chain as an attacker who knows the hash function would."""
    prev = "0" * 64
    for index, event in enumerate(document["events"], start=1):
        event["position"], event["prev_hash"] = index, prev
        row = [event[k] for k in ("position", "stream_id", "version", "event_id", "type",
                                  "schema_version")]
        row += [canonical_json(event["data"]), canonical_json(event["metadata"]),
                event["occurred_at"], event["recorded_at"]]
        event["hash"] = prev = event_hash(prev, row)
    document["head"] = {"position": len(document["events"]), "hash": prev}
    return document


def _backup(cli: CLI) -> dict[str, Any]:
    return json.loads(cli.ok("export"))


def _first(document: dict[str, Any], type_name: str) -> dict[str, Any]:
    return next(e for e in document["events"] if e["type"] == type_name)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a field of the first event of a type: 'TaskScheduled:data.due_at'."""
    type_name, _, dotted = path.partition(":")

    def edit(document: dict[str, Any]) -> None:
        target = _first(document, type_name)
        *parents, last = dotted.split(".")
        for key in parents:
            target = target[key]
        target[last] = value

    return edit


def _add(stream_id: Any, type_name: str, data: dict[str, Any], *,
         version: int | None = None, schema: int = 1) -> Callable[[dict[str, Any]], None]:
    """Append a crafted event to the backup."""

    def edit(document: dict[str, Any]) -> None:
        events = document["events"]
        version_here = version or 1 + sum(1 for e in events if e["stream_id"] == stream_id)
        events.append({
            "position": 0, "stream_id": stream_id, "version": version_here,
            "event_id": str(uuid.uuid4()), "type": type_name, "schema_version": schema,
            "data": data, "metadata": {"actor": "cli"}, "occurred_at": "2026-11-19T09:00:00-05:00",
            "recorded_at": "2026-11-19T09:00:00-05:00", "prev_hash": "", "hash": ""})

    return edit


def _setting(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return _add(PROFILE_STREAM, "SettingChanged", {"key": key, "value": value})


def _new_app(app_id: Any, *later: tuple[str, dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        _add(app_id, "ApplicationSubmitted", {"company": "Evil", "role": "Dev"}, schema=2)(document)
        for type_name, data in later:
            _add(app_id, type_name, data)(document)

    return edit


_TERMS = {"currency": "USD", "base": "100000"}

# What the issue found, and more of each class: (edit, words the error line must hold).
CRAFTED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    # settings
    "unknown zone": (_setting("timezone", "Mars/Olympus"), "data.value"),
    "zone with spaces": (_setting("timezone", " America/New_York"), "data.value"),
    "country XX": (_setting("country", "XX"), "data.value"),
    "subdivision without a country": (_setting("subdivision", "CA"), "data.value"),
    "unknown subdivision": (lambda d: (_setting("country", "US")(d), _setting("subdivision", "ZZ")(d)),
                            "data.value"),
    "text for a number": (_setting("followup_application_days", "ten"), "data.value"),
    "negative days": (_setting("decision_days", "-3"), "data.value"),
    "a number, not text": (_setting("decision_days", 3), "data.value"),
    "huge days": (_setting("reflect_days", "1e400"), "data.value"),
    "bad clock": (_setting("workday_start", "25:00"), "data.value"),
    "bad currency": (_setting("currency", "DOLLARS"), "data.value"),
    "NaN target": (_setting("target_salary", "NaN"), "data.value"),
    "unknown setting": (_setting("colour", "red"), "data.key"),
    # times
    "naive due_at": (_set("TaskScheduled:data.due_at", "2026-11-25T09:00:00"), "data.due_at"),
    "malformed due_at": (_set("TaskScheduled:data.due_at", "next tuesday"), "data.due_at"),
    "due_at year 1": (_set("TaskScheduled:data.due_at", "0001-01-01T00:00:00+00:00"), "data.due_at"),
    "due_at year 9999": (_set("TaskScheduled:data.due_at", "9999-12-31T23:59:00-12:00"),
                         "data.due_at"),
    "due_at a number": (_set("TaskScheduled:data.due_at", 1700000000), "data.due_at"),
    "naive occurred_at": (_set("ApplicationSubmitted:occurred_at", "2026-11-02T09:00:00"),
                          "occurred_at"),
    "recorded_at garbage": (_set("OfferReceived:recorded_at", "yesterday"), "recorded_at"),
    "interview year 0": (_set("InterviewScheduled:data.scheduled_for", "0000-01-01T00:00:00+00:00"),
                         "data.scheduled_for"),
    "start date year 1": (_new_app("hired", ("OfferReceived", {"terms": _TERMS}),
                                   ("OfferAccepted", {"start_date": "0001-01-01"})),
                          "data.start_date"),
    # versions and types of the envelope
    "schema_version '2.0'": (_set("OfferReceived:schema_version", "2.0"), "schema_version"),
    "schema_version 2.0": (_set("OfferReceived:schema_version", 2.0), "schema_version"),
    "schema_version true": (_set("OfferReceived:schema_version", True), "schema_version"),
    "schema_version 99": (_set("OfferReceived:schema_version", 99), "schema_version"),
    "stream version skips": (_set("OfferReceived:version", 7), "version"),
    "stream version text": (_set("OfferReceived:version", "2"), "version"),
    # ids
    "integer stream id": (_new_app(12345), "stream_id"),
    "stream id with CR/LF": (_new_app("evil\r\nBEGIN:VEVENT"), "stream_id"),
    "stream id with a newline at the end": (_new_app("evil\n"), "stream_id"),
    "stream id of 200 characters": (_new_app("a" * 200), "stream_id"),
    "stream id in capitals": (_new_app("EVIL"), "stream_id"),
    "event id with CR/LF": (_set("OfferReceived:event_id", "x\r\nSUMMARY:pwned"), "event_id"),
    "empty event id": (_set("OfferReceived:event_id", ""), "event_id"),
    "event id of 1000 characters": (_set("OfferReceived:event_id", "e" * 1000), "event_id"),
    "task id with CR/LF": (_set("TaskScheduled:data.task_id", "t\r\nBEGIN:VTODO"), "data.task_id"),
    "task id with ESC": (_set("TaskScheduled:data.task_id", "t\x1b]0;x\x07"), "data.task_id"),
    "task id a number": (_set("TaskScheduled:data.task_id", 7), "data.task_id"),
    # fields of the wrong type or shape
    "company a number": (_set("ApplicationSubmitted:data.company", 5), "data.company"),
    "contacts a string": (_set("ApplicationSubmitted:data.contacts", "Dana"), "data.contacts"),
    "contacts of numbers": (_set("ApplicationSubmitted:data.contacts", [1, 2]), "data.contacts[0]"),
    "unknown field": (_set("ApplicationSubmitted:data.salary", "1"), "data.salary"),
    "missing field": (lambda d: _first(d, "ApplicationSubmitted")["data"].pop("role"), "data.role"),
    "data a list": (_set("OfferReceived:data", []), "data"),
    "round -1": (_set("InterviewScheduled:data.round", -1), "data.round"),
    "round true": (_set("InterviewScheduled:data.round", True), "data.round"),
    "round huge": (_set("InterviewScheduled:data.round", 10**30), "data.round"),
    "bad task outcome": (_new_app("closer", ("TaskClosed", {"task_id": "t1", "outcome": "exploded"})),
                         "data.outcome"),
    # money
    "NaN salary": (_set("OfferReceived:data.terms.base", "NaN"), "data.terms.base"),
    "infinite salary": (_set("OfferReceived:data.terms.base", "Infinity"), "data.terms.base"),
    "negative salary": (_set("OfferReceived:data.terms.base", "-150000"), "data.terms.base"),
    "huge salary": (_set("OfferReceived:data.terms.base", "1e400"), "data.terms.base"),
    "capped salary": (_set("OfferReceived:data.terms.base", "1000000000001"), "data.terms.base"),
    "float salary": (_set("OfferReceived:data.terms.base", 150000.5), "data.terms.base"),
    "bool signing": (_set("OfferReceived:data.terms.signing", True), "data.terms.signing"),
    "currency with a newline": (_set("OfferReceived:data.terms.currency", "US\n"),
                                "data.terms.currency"),
    # impossible histories
    "accepted without an offer": (_new_app("evil", ("OfferAccepted", {"start_date": None})),
                                  "(OfferAccepted): field type"),
    "accepted after a decline": (lambda d: (_add("globex", "ApplicationDeclined", {})(d),
                                            _add("globex", "OfferAccepted", {})(d)),
                                 "field type"),
    "a fact before the submission": (lambda d: _add("nobody", "NoteAdded", {"text": "x"})(d),
                                     "field type"),
    "voiding nothing": (_new_app("voider", ("EventVoided", {"event_id": str(uuid.uuid4()),
                                                            "reason": "x"})), "field type"),
    "a setting in an application": (_add("acme", "SettingChanged", {"key": "currency",
                                                                    "value": "EUR"}), "field type"),
    "a note in the settings": (_add(PROFILE_STREAM, "NoteAdded", {"text": "x"}), "field type"),
    "an unknown event type": (_add("acme", "Exploded", {}), "unknown"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_backup_is_refused_whole_and_the_database_still_works(
        search: CLI, tmp_path: Path, case: str) -> None:
    edit, words = CRAFTED[case]
    document = _backup(search)
    edit(document)
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(_rehash(document)))
    events = search.event_count()
    line = search.refused("import", str(crafted))
    assert words in line, line
    assert "event at position" in line, line
    _still_works(search, events)
    # The same backup into a fresh database: refused too, and nothing created in it.
    fresh = CLI(tmp_path / "fresh.db")
    fresh.refused("import", str(crafted))
    assert fresh.event_count() == 0


@pytest.mark.parametrize(("text", "words"), [
    ('{"format": "afterview-export", "version": "2.0", "events": []}', "version '2.0'"),
    ('{"format": "afterview-export", "version": 1.0, "events": []}', "version 1.0"),
    ('{"format": "afterview-export", "version": true, "events": []}', "version True"),
    ('{"format": "afterview-export", "version": 2, "events": []}', "version 2"),
    ('{"format": "afterview-export", "version": 1, "events": [NaN]}', "NaN"),
    ('{"format": "afterview-export", "version": 1, "events": [' + "9" * 5000 + "]}", "not JSON"),
    ('{"format": "afterview-export", "version": 1, "events": ' + "[" * 100000 + "]" * 100000 + "}",
     "not JSON"),
    ('{"format": "afterview-export", "version": 1, "events": [{"position": true}]}', "lacks"),
])
def test_a_backup_that_is_not_one_this_afterview_reads_is_refused(
        search: CLI, tmp_path: Path, text: str, words: str) -> None:
    crafted = tmp_path / "crafted.json"
    crafted.write_text(text)
    events = search.event_count()
    line = search.refused("import", str(crafted), code=2)
    assert words in line, line
    _still_works(search, events)


def test_an_envelope_field_of_the_wrong_type_is_named(search: CLI, tmp_path: Path) -> None:
    for key, value in (("position", "1"), ("stream_id", 5), ("data", "{}"), ("metadata", []),
                       ("occurred_at", 5), ("hash", None)):
        document = _backup(search)
        document["events"][1][key] = value
        crafted = tmp_path / "crafted.json"
        crafted.write_text(json.dumps(document))
        line = search.refused("import", str(crafted), code=2)
        assert "event at position 2" in line and f"field {key}" in line, line
    _still_works(search, search.event_count())


def test_a_valid_backup_still_imports_whole(search: CLI, tmp_path: Path) -> None:
    search.ok("config", "set", "country", "US")
    search.ok("config", "set", "subdivision", "CA")
    search.ok("config", "set", "target_salary", "160000")
    search.ok("accept", "globex", "--start", "2027-01-04")
    backup = tmp_path / "backup.json"
    search.ok("export", "-o", str(backup))
    fresh = CLI(tmp_path / "fresh" / "afterview.db")
    fresh.ok("import", str(backup))
    assert fresh.event_count() == search.event_count()
    assert fresh.json("list") == search.json("list")
    assert fresh.json("verify")["ok"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["OfferReceived", "ApplicationSubmitted", "TaskScheduled",
                        "InterviewScheduled", "OfferAccepted", "InterviewHeld"]),
       st.text(max_size=12),
       st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6))
def test_any_json_in_any_field_is_refused_by_field_or_stored_as_a_readable_event(
        type_name: str, key: str, value: Any) -> None:
    good = {
        "OfferReceived": {"terms": {"currency": "USD", "base": "100000"}},
        "ApplicationSubmitted": {"company": "Acme", "role": "Dev"},
        "TaskScheduled": {"task_id": "t", "kind": "k", "title": "x",
                          "due_at": "2026-11-25T09:00:00-05:00"},
        "InterviewScheduled": {"round": 1, "scheduled_for": "2026-11-25T09:00:00-05:00"},
        "OfferAccepted": {"start_date": "2027-01-04"},
        "InterviewHeld": {"questions": [{"question": "why?"}]},
    }[type_name]
    data = copy.deepcopy(good)
    field = key if key in data or not data else next(iter(data))
    data[field] = value
    try:
        event = check_event(type_name, data)
    except FieldError as error:
        assert error.field.startswith("data")
        return
    # Accepted: it round-trips through the codec, as replay will read it.
    from afterview.engine.domain import events as ev

    assert ev.from_data(type_name, event.SCHEMA_VERSION, ev.to_data(event)) == event


# ---------------------------------------------------------------------------
# 2b. The same defence on read: a stored setting that cannot be used here


BAD_STORED = [("timezone", "Mars/Olympus"), ("country", "XX"), ("followup_application_days", "ten"),
              ("decision_days", "-4"), ("workday_start", "25:99"), ("currency", "dollars"),
              ("target_salary", "NaN"), ("currently_employed", "maybe"), ("thank_you_hours", "1e400")]


def _store_raw_setting(db: Path, key: str, value: str) -> None:
    """As an older afterview, another machine's tzdata or a hand edit would leave it."""
    with SQLiteStore(db) as store:
        store.append([NewEvent(PROFILE_STREAM, str(uuid.uuid4()), "SettingChanged", 1,
                               {"key": key, "value": value}, {"actor": "cli"}, NOW)],
                     expected_versions={}, recorded_at=NOW)


@pytest.mark.parametrize(("key", "value"), BAD_STORED)
def test_a_stored_setting_that_cannot_be_used_falls_back_with_one_warning(
        search: CLI, key: str, value: str) -> None:
    _store_raw_setting(search.db, key, value)
    warned = set()
    for command in (["list"], ["agenda", "--all"], ["show", "acme"], ["config", "list"],
                    ["export"], ["tick"], ["note", "acme", "still works"],
                    ["apply", "Initech", "SRE"], ["offer", "acme", "--salary", "100000"]):
        done = search.run(*command)
        assert done.returncode == 0, (command, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) <= 1, (command, done.stderr)  # at most once per command
        if lines:
            assert lines[0].startswith(f"warning: setting {key} = "), (command, done.stderr)
            warned.add(command[0])
    # Every command that decides with the settings says which one it set aside.
    assert {"note", "apply", "offer"} <= warned
    assert search.json("verify")["ok"]
    # Setting a valid value again ends the warnings.
    valid = {"timezone": "America/New_York", "country": "US", "currency": "EUR",
             "workday_start": "09:00", "target_salary": "1", "currently_employed": "no"}
    search.ok("config", "set", key, valid.get(key, "3"))
    assert search.run("list").stderr == ""


# ---------------------------------------------------------------------------
# 3. Numbers, dates and arguments


@pytest.mark.parametrize(("text", "amount"), [
    ("85000", "85000"), ("85,000", "85000"), ("85,000.50", "85000.50"), ("85.000,50", "85000.50"),
    ("85 000,50", "85000.50"), ("85\u00a0000,50", "85000.50"), ("85'000.50", "85000.50"),
    ("1.000.000", "1000000"), ("1,000,000", "1000000"), ("85000,5", "85000.5"),
    ("85000.5", "85000.5"), ("0.125", "0.125"), ("1e5", "100000"), ("-0", "0"),
    ("999,999,999,999.99", "999999999999.99"),
])
def test_amounts_are_read_as_people_write_them(text: str, amount: str) -> None:
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize(("text", "reason"), [
    ("85.000", "ambiguous"), ("1.500", "ambiguous"), ("1,00,000", "groups"), ("12 34", "groups"),
    ("1.000,000.50", "mixes"), ("85,", "ends with"), ("NaN", "finite"), ("-inf", "finite"),
    ("sNaN", "finite"), ("1e999999", "too large"), ("1e-999999", "decimals"), ("-1", "negative"),
    ("-0.01", "negative"), ("1000000000001", "too large"), ("9" * 41, "characters long"),
    ("12abc", "not a number"), ("0x10", "not a number"), ("", "not a number"), ("½", "not a number"),
])
def test_amounts_that_cannot_be_read_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(AmountError, match=reason):
        parse_amount(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=45) | st.from_regex(r"[-+]?[\d .,'_eE]{1,20}", fullmatch=True))
def test_any_text_is_an_amount_in_range_or_refused(text: str) -> None:
    try:
        amount = parse_amount(text)
    except AmountError:
        return
    assert amount.is_finite() and 0 <= amount <= MAX_AMOUNT
    assert amount.as_tuple().exponent <= 0 and str(amount) == f"{amount:f}"


def test_an_offer_typed_the_german_way_is_stored_right(search: CLI) -> None:
    search.ok("counter", "globex", "--salary", "165.000,50")
    counter = [r for r in search.json("history", "globex") if r["type"] == "CounterOfferMade"]
    assert counter[0]["data"]["terms"]["base"] == "165000.50"
    line = search.refused("counter", "globex", "--salary", "165.000", code=2)
    assert "ambiguous" in line


@pytest.mark.parametrize("cells", ['"85.000,50"', '"€85.000,50"', '"85 000,50 EUR"'])
def test_a_spreadsheet_amount_is_read_the_same_way(tmp_path: Path, cli: CLI, cells: str) -> None:
    sheet = tmp_path / "apps.csv"
    sheet.write_text(f"company,role,status,date applied,salary\nAcme,Dev,offer,2026-11-02,{cells}\n")
    cli.ok("import", str(sheet))
    offer = next(e for e in _backup(cli)["events"] if e["type"] == "OfferReceived")
    assert offer["data"]["terms"]["base"] == "85000.50"


@pytest.mark.parametrize("when", ["0001-01-01", "0001-01-01T00:00+14:00", "1899-12-31",
                                  "9999-12-31T23:59-12:00", "10000-01-01", "2201-01-01"])
def test_dates_out_of_range_are_refused_everywhere(search: CLI, tmp_path: Path, when: str) -> None:
    events = search.event_count()
    for args in (["note", "acme", "x", "--at", when], ["interview", "acme", "--on", when],
                 ["accept", "globex", "--start", when], ["agenda", "--until", when],
                 ["status", "--as-of", when], ["report", "--from", when]):
        search.refused(*args, code=2)
    sheet = tmp_path / "apps.csv"
    sheet.write_text(f"company,role,status,date applied,start\nAcme,Dev,accepted,2026-11-02,{when}\n")
    search.refused("import", str(sheet), code=2)
    _still_works(search, events)


@pytest.mark.parametrize("args", [
    ["note", "acme", "\udcff\udcfe"], ["apply", "\udcff", "Dev"], ["list", "--state", "\udce9"],
    ["--db", "/tmp/\udcff.db", "list"], ["show", "acme\udc80"],
])
def test_an_argument_that_is_not_utf8_gets_an_error_line(search: CLI, args: list[str]) -> None:
    events = search.event_count()
    line = search.refused(*args, code=2)
    assert "not valid UTF-8" in line
    _still_works(search, events)


def test_invalid_utf8_bytes_on_a_real_command_line(search: CLI) -> None:
    command = [os.fsencode(part) for part in afterview_command()]
    done = subprocess.run([*command, b"note", b"acme", b"caf\xe9"], env=search.env(),
                          capture_output=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("error: argument 3") and b"Traceback" not in done.stderr


# ---------------------------------------------------------------------------
# 4. Databases are created only by writes

READING = [["list"], ["board"], ["show", "acme"], ["status"], ["agenda"], ["history", "acme"],
           ["compare"], ["stats"], ["verify"], ["export"], ["report"], ["config", "list"],
           ["config", "get", "timezone"], ["practice"], ["tick"]]


@pytest.mark.parametrize("command", READING, ids=" ".join)
def test_a_read_command_on_a_missing_database_creates_nothing(tmp_path: Path,
                                                            command: list[str]) -> None:
    missing = CLI(tmp_path / "not" / "yet" / "afterview.db")
    line = missing.refused(*command, code=1)
    assert "afterview apply" in line and "afterview demo" in line
    assert list(tmp_path.iterdir()) == []


def test_a_write_creates_the_database(tmp_path: Path) -> None:
    new = CLI(tmp_path / "new" / "afterview.db")
    new.ok("apply", "Acme", "Dev")
    assert stat.S_IMODE(new.db.stat().st_mode) == 0o600
    assert new.run("list").stderr == ""


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o666])
def test_a_database_others_can_read_gets_one_warning(search: CLI, mode: int) -> None:
    search.db.chmod(mode)
    done = search.run("list")
    assert done.returncode == 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: ") and f"{mode:04o}" in lines[0]
    assert "chmod 600" in lines[0]
    assert stat.S_IMODE(search.db.stat().st_mode) == mode  # told, never changed behind your back
    search.db.chmod(0o600)
    assert search.run("list").stderr == ""


# ---------------------------------------------------------------------------
# 5. Voids with a better command


def _event_ids(cli: CLI, app: str, type_name: str) -> list[str]:
    return [r["event_id"] for r in cli.json("history", app) if r["type"] == type_name]


def test_task_facts_and_settings_are_not_voided_and_the_error_names_the_command(
        search: CLI) -> None:
    later = search.env(AFTERVIEW_NOW="2026-11-30T10:00:00-05:00")
    search.run("tick", env=later)
    task = search.json("agenda", "--all")[0]["id"]
    search.ok("snooze", task, "--until", "2026-12-10")
    search.ok("dismiss", search.json("agenda", "--all")[-1]["id"])
    cases = {"TaskScheduled": "dismiss", "TaskFired": "snooze", "TaskSnoozed": "snooze",
             "TaskClosed": "closed task stays closed"}
    events = search.event_count()
    for type_name, words in cases.items():
        found = [i for app in ("acme", "globex") for i in _event_ids(search, app, type_name)]
        assert found, type_name
        for event_id in found:
            line = search.refused("void", event_id, "--reason", "mistake", code=1)
            assert words in line and "afterview" in line, line
    with SQLiteStore(search.db) as store:
        setting = next(s for s in store.read_stream(PROFILE_STREAM))
    line = search.refused("void", setting.event_id, "--reason", "mistake", code=1)
    assert "config set" in line
    _still_works(search, events)
    # A fact is still voided as before.
    offer = _event_ids(search, "globex", "OfferReceived")[0]
    search.ok("void", offer, "--reason", "it was for someone else")



def test_the_crafting_helper_rehashes_as_the_log_does(search: CLI) -> None:
    """Otherwise the crafted backups above would be refused for their chain alone."""
    document = _backup(search)
    assert _rehash(copy.deepcopy(document)) == document


@pytest.mark.parametrize("chosen", ["acme\n", "acme\r\nx", "acme\x1b", " acme", "ACME", "a" * 81])
def test_an_id_chosen_with_apply_holds_nothing_that_could_inject_lines(cli: CLI, chosen: str) -> None:
    line = cli.refused("apply", "Acme", "Dev", "--id", chosen, code=2)
    assert "not a usable id" in line
    assert cli.event_count() == 1  # the timezone setting only


@pytest.mark.skipif(not Path("/dev/zero").is_char_device(), reason="needs /dev/zero")
def test_importing_a_device_is_refused_instead_of_read_without_end(search: CLI) -> None:
    events = search.event_count()
    line = search.refused("import", "/dev/zero", code=2)
    assert "not a regular file" in line
    _still_works(search, events)


@pytest.mark.parametrize(("typed", "stored"), [("85.000,50", "85000.50"), ("85,000", "85000"),
                                               ("1e5", "100000")])
def test_the_target_salary_setting_reads_amounts_the_same_way(cli: CLI, typed: str,
                                                              stored: str) -> None:
    cli.ok("config", "set", "target_salary", typed)
    assert Decimal(cli.ok("config", "get", "target_salary").split()[-1]) == Decimal(stored)
    assert "ambiguous" in cli.refused("config", "set", "target_salary", "85.000", code=2)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_a_read_only_backup_is_not_replaced(search: CLI, tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("old\n")
    kept.chmod(0o400)
    assert "read-only" in search.refused("export", "-o", str(kept), code=2)
    assert kept.read_text() == "old\n"


def test_a_store_url_is_guarded_like_a_path(search: CLI, tmp_path: Path) -> None:
    """--db sqlite:///path: its file is never an output, and a missing one is not created
    by reading; memory: has no file and reads as an empty search."""
    url = f"sqlite://{search.db}"
    events = search.event_count()
    line = search.refused("--db", url, "export", "-o", str(search.db), code=2)
    assert "database" in line
    missing = tmp_path / "nowhere" / "afterview.db"
    assert "afterview demo" in search.refused("--db", f"sqlite://{missing}", "list", code=1)
    assert not missing.parent.exists()
    assert search.run("--db", "memory:", "list").returncode == 0
    _still_works(search, events)
