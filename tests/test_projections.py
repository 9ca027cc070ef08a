"""The read model kept in the store: after any sequence of commands the projections equal a
fresh fold of the log; dropped, deleted or corrupted rows change no answer and verify names
them; a stale version or position rebuilds; the codec round-trips and refuses crafted rows.
(The SIGKILL crash tests, test_crash.py, check the projections with every verify.)
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from afterview.engine.domain import events as ev
from afterview.engine.domain import snapshot
from afterview.engine.domain.state import rebuild
from afterview.engine.service import exchange, projections
from afterview.engine.service.api import Engine
from afterview.engine.service.audit import verify_log
from afterview.engine.store import open_store
from afterview.engine.store.base import EventStore, WithoutProjections
from afterview.engine.store.memory import MemoryStore
from afterview.engine.store.sqlite import SQLiteStore
from crash_worker import InProcessCLI
from strategies import offer_terms
from test_engine_stateful import JobSearch, model_state

READS = [
    ["list"], ["board", "--state", "interviewing"], ["status"], ["agenda"], ["agenda", "--all"],
    ["compare", "--all"], ["stats"], ["practice"], ["--json", "list"], ["--json", "agenda"],
    ["--json", "status"], ["--json", "stats"], ["export", "--format", "csv"],
]


def assert_projections_are_a_fresh_fold(store: EventStore) -> None:
    """Every projection row (application, open tasks, coming interviews) equals the fold of
    the log that replay makes, and they are current at the log's head."""
    status = store.projection_status()
    assert status is not None
    assert (status.version, status.position) == (projections.PROJECTION_VERSION, store.head()[0])
    by_stream: dict[str, list[Any]] = {}
    for stored in store.read_all():
        if stored.stream_id != "profile":
            by_stream.setdefault(stored.stream_id, []).append(projections.to_fact(stored))
    fresh = {stream_id: rebuild(stream_id, facts) for stream_id, facts in by_stream.items()}
    rows = dict(store.read_projections())
    summaries = dict(store.read_projections(summaries=True))
    assert sorted(rows) == sorted(fresh) == sorted(summaries) and status.rows == len(fresh)
    for stream_id, text in rows.items():
        assert json.loads(text) == snapshot.encode(fresh[stream_id]), stream_id
        assert snapshot.decode(json.loads(text)) == fresh[stream_id]
        summary = json.loads(summaries[stream_id])
        assert summary == snapshot.encode_summary(fresh[stream_id]), stream_id
        assert snapshot.decode_summary(summary) == fresh[stream_id].summary()
    expected = {row for app in fresh.values() for row in projections.projected(app, 0).open_tasks}
    assert {(task_id, due, fired) for task_id, _, due, fired, _ in store.read_open_tasks()} == expected
    interviews = {(app.id, *i) for app in fresh.values()
                  for i in projections.projected(app, 0).interviews}
    assert set(store.read_interviews()) == interviews


# --- the property: any sequence of commands ------------------------------------------


SHEET = "company,role,applied,status\nInitech,Analyst,2026-04-01,interviewing\n" \
        "Globex,Engineer,2026-03-02,rejected\n"


class ProjectedJobSearch(JobSearch):
    """The stateful job search of test_engine_stateful (applies, facts the lifecycle allows
    or refuses, voids, task closes and snoozes, an acceptance across applications), plus a
    spreadsheet import, a JSON import and a second connection writing: after every step the
    projections equal a fresh fold of the log."""

    @precondition(lambda self: not self.imported)
    @rule()
    def import_spreadsheet(self) -> None:
        self.clock.advance(minutes=7)
        result = exchange.import_csv(self.engine, SHEET, "sheet.csv")
        for stream_id in result.applications:
            self.live[stream_id] = self.engine.facts(stream_id)
        self.imported = True

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def another_connection_writes(self, data: st.DataObject) -> None:
        app_id = self.pick_app(data)
        with SQLiteStore(self.path) as other:
            other_engine = Engine(other, clock=self.clock)
            result = other_engine.record(app_id, ev.NoteAdded("from another process"))
        self.absorb(result.facts)
        self.model[app_id].append(
            type(self.model[app_id][0])(result.facts[0].event_id, "note"))

    @rule()
    def import_own_export_again(self) -> None:
        import io

        out = io.StringIO()
        exchange.export_json(self.engine, out)
        assert exchange.import_json(self.engine, out.getvalue(), "again.json").added == 0

    @invariant()
    def engine_agrees_with_the_model(self) -> None:
        """As in JobSearch, for the applications the model follows (not the imported)."""
        states = {a.id: a.state for a in self.engine.applications() if a.id in self.model}
        assert states == {app_id: model_state(facts) for app_id, facts in self.model.items()}

    @invariant()
    def projections_equal_a_fresh_fold(self) -> None:
        with SQLiteStore(self.path) as store:
            assert_projections_are_a_fresh_fold(store)

    @invariant()
    def a_full_rebuild_and_verify_fold_as_the_appends_did(self) -> None:
        """The one-pass fold of a rebuild, and verify's checking fold (read in the same pass
        as the chain), give byte for byte the rows the appends wrote through state.rebuild;
        verify finds nothing."""
        with SQLiteStore(self.path) as store:
            written = {stream_id: (data, summary) for (stream_id, data), (_, summary) in zip(
                store.read_projections(), store.read_projections(summaries=True), strict=True)}
            position = store.head()[0]

            def rows_of(apps: dict[str, Any]) -> dict[str, tuple[str, str]]:
                return {app.id: (row.data, row.summary) for app in apps.values()
                        for row in [projections.projected(app, position)]}

            assert rows_of(projections.fold_log(store)) == written
            findings = projections.Findings()
            checked: list[dict[str, Any]] = []
            store.check_chain(lambda rows: checked.append(
                projections.fold_log(store, findings=findings, rows=rows)))
            assert not findings.unreadable and not findings.broken
            assert rows_of(checked[0]) == written
            assert verify_log(store)["ok"]

    def __init__(self) -> None:
        super().__init__()
        self.imported = False


ProjectedJobSearch.TestCase.settings = settings(max_examples=40, stateful_step_count=25,
                                                deadline=None)
TestProjectedJobSearch = ProjectedJobSearch.TestCase


def test_the_memory_store_keeps_the_same_projections(tmp_path: Path) -> None:
    store = open_store("memory:")
    engine = Engine(store)
    app = engine.apply(ev.ApplicationSubmitted("Acme", "Engineer")).application
    engine.record(app.id, ev.InterviewScheduled(1, engine.now().replace(year=2100)))
    engine.record(app.id, ev.NoteAdded("the recruiter called"))
    assert_projections_are_a_fresh_fold(store)
    assert [row[:2] for row in store.read_interviews()] == [(app.id, 1)]
    assert engine.applications() == [engine.application(app.id)]


class Forgetful(WithoutProjections, MemoryStore):
    """A backend that keeps no projections: it says so, and ignores the projector."""

    def append(self, events: Any, *, expected_versions: Any, recorded_at: str,
               projector: Any = None) -> Any:
        return super().append(events, expected_versions=expected_versions,
                              recorded_at=recorded_at)


def test_a_backend_without_projections_answers_every_read_by_replaying() -> None:
    keeping, forgetful = MemoryStore(), Forgetful()  # logs of their own
    engines = [Engine(keeping), Engine(forgetful)]
    for engine in engines:
        engine.clock = lambda: datetime(2026, 11, 2, 9, tzinfo=UTC)
        acme = engine.apply(ev.ApplicationSubmitted("Acme", "Engineer")).application.id
        engine.record(acme, ev.InterviewScheduled(1, datetime(2026, 11, 4, 15, tzinfo=UTC)))
        engine.apply(ev.ApplicationSubmitted("Globex", "Analyst"))
        gone = engine.apply(ev.ApplicationSubmitted("Initech", "SRE")).application.id
        engine.record(gone, ev.ApplicationDiscarded("entered twice"))
    assert forgetful.projection_status() is None and forgetful.read_projections() == []
    kept, replayed = engines

    def seen(apps: Any) -> list[Any]:  # task ids are random: what a person sees of them
        return [(a.id, a.company, a.state, a.discarded, a.last_contact_at,
                 sorted((t.kind, t.due_at, t.number) for t in a.open_tasks())) for a in apps]

    assert seen(replayed.summaries()) == seen(kept.summaries()) != []
    assert seen(replayed.summaries(include_discarded=True)) == seen(
        kept.summaries(include_discarded=True))
    wanted = ["acme-engineer", "initech-sre", "nobody"]
    assert seen(replayed.applications_of(wanted)) == seen(kept.applications_of(wanted))
    assert [a.id for a in kept.applications_of(wanted)] == ["acme-engineer"]  # not discarded
    assert replayed.with_coming_interviews() == kept.with_coming_interviews() == {
        "acme-engineer"}
    assert sorted(t.due_at for t in replayed.open_tasks_since().tasks) == sorted(
        t.due_at for t in kept.open_tasks_since().tasks)


def test_an_append_folds_onto_the_row_and_replays_only_after_a_void(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The projector carries the stream's row on with the new events (an append costs the
    same however long the history), and replays the stream when a void is involved."""
    replayed: list[str] = []
    projector = projections.ApplicationProjector()

    def counting(new_events: Any, read_stream: Any, read_row: Any) -> Any:
        def reading(stream_id: str) -> Any:
            replayed.append(stream_id)
            return read_stream(stream_id)
        return projector(new_events, reading, read_row)

    monkeypatch.setattr(projections, "PROJECTOR", counting)
    counting.version = projector.version  # type: ignore[attr-defined]
    store = MemoryStore()  # a log of its own
    engine = Engine(store)
    app = engine.apply(ev.ApplicationSubmitted("Acme", "Engineer")).application
    assert replayed == [app.id]  # a new stream: no row to carry on
    note = engine.record(app.id, ev.NoteAdded("called")).facts[0]
    engine.record(app.id, ev.NoteAdded("and wrote"))
    assert replayed == [app.id]  # both notes folded onto the row
    assert_projections_are_a_fresh_fold(store)
    engine.void(note.event_id, "wrong application")
    engine.record(app.id, ev.NoteAdded("called again"))
    assert replayed == [app.id] * 3  # the void, and after it every append, replay the stream
    assert_projections_are_a_fresh_fold(store)
    assert [text for _, text in engine.application(app.id).notes] == ["and wrote",
                                                                      "called again"]


# --- dropped, deleted, corrupted rows --------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    InProcessCLI(path).ok("demo")
    return path


def answers(cli: InProcessCLI, app_id: str) -> list[str]:
    return [cli.ok(*argv) for argv in [*READS, ["show", app_id], ["status", app_id]]]


def one_app(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("SELECT stream_id FROM projection_tasks ORDER BY due_at, "
                                "task_id LIMIT 1").fetchone()[0])


def behind_the_engines_back(db: Path, *statements: str) -> None:
    with sqlite3.connect(db) as conn:
        for sql in statements:
            conn.execute(sql)


@pytest.fixture
def copy(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.db"
    shutil.copy(demo_db, path)
    return path


def test_dropping_every_projection_table_changes_no_answer(copy: Path) -> None:
    cli = InProcessCLI(copy)
    app_id = one_app(copy)
    before = answers(cli, app_id)
    behind_the_engines_back(copy, *(f"DROP TABLE {t}" for t in (
        "projection_meta", "projection_applications", "projection_tasks", "projection_interviews")))
    assert answers(cli, app_id) == before
    assert cli.json("verify")["projections"] == {"current": True, "problems": [], "rebuilt": None}


@pytest.mark.parametrize(("column", "damage"), [
    ("data", "delete"), ("data", "not-json"), ("data", "crafted"), ("data", "wrong-id"),
    ("summary", "not-json"), ("summary", "crafted"), ("summary", "wrong-id"),
    ("summary", "closed-task"),
])
def test_a_damaged_row_is_named_by_verify_and_changes_no_answer(copy: Path, column: str,
                                                                damage: str) -> None:
    cli = InProcessCLI(copy)
    app_id = one_app(copy)
    before = answers(cli, app_id)
    where = f"WHERE stream_id = '{app_id}'"
    behind_the_engines_back(copy, {
        "delete": f"DELETE FROM projection_applications {where}",
        "not-json": f"UPDATE projection_applications SET {column} = '{{not json' {where}",
        # JSON that would build something else than an Application (never code: no pickle)
        "crafted": f"UPDATE projection_applications SET {column} = "
                   f"json_set({column}, '$.tasks', json('[{{\"id\": 7}}]')) {where}",
        "wrong-id": f"UPDATE projection_applications SET {column} = "
                    f"json_set({column}, '$.id', 'someone-else') {where}",
        "closed-task": f"UPDATE projection_applications SET {column} = "
                       f"json_set({column}, '$.tasks[0].status', 'done') {where}",
    }[damage])
    ran = cli.run("--json", "verify")
    assert ran.code == 1 and ran.stderr.startswith("error: the log does not verify")
    report = json.loads(ran.stdout)
    assert any(p.startswith(f"projection of {app_id}") for p in report["problems"]), report
    assert answers(cli, app_id) == before


def test_a_changed_field_is_named_by_application_and_field_and_repaired(copy: Path) -> None:
    cli = InProcessCLI(copy)
    app_id = one_app(copy)
    before = answers(cli, app_id)
    with sqlite3.connect(copy) as conn:
        task_id = conn.execute("SELECT task_id FROM projection_tasks WHERE stream_id = ?",
                               (app_id,)).fetchone()[0]
        conn.execute(
            "UPDATE projection_applications SET data = json_set(data, '$.company', 'Evil Corp',"
            " '$.tasks[0].due_at', '2001-01-01T00:00:00+00:00'), "
            "summary = json_set(summary, '$.company', 'Evil Corp') WHERE stream_id = ?",
            (app_id,))
        conn.execute("UPDATE projection_tasks SET due_at = '2001' WHERE task_id = ?", (task_id,))
    ran = cli.run("verify")
    assert ran.code == 1
    assert f"projection of {app_id} differs from the log in: company, tasks[" in ran.stdout
    assert f"projection of {app_id} differs from the log in: summary.company" in ran.stdout
    assert f"open-task projection of {app_id}: task {task_id}" in ran.stdout
    assert "error: the log does not verify" in ran.stderr
    repaired = cli.run("verify", "--repair")
    assert repaired.code == 0 and "projections rebuilt from the log" in repaired.stdout
    assert f"repaired: projection of {app_id}" in repaired.stdout
    assert answers(cli, app_id) == before
    assert cli.json("verify")["ok"]


def test_a_projection_table_of_an_older_shape_is_made_again(copy: Path) -> None:
    """An older afterview's table (no summary column) is dropped and rebuilt on open."""
    cli = InProcessCLI(copy)
    app_id = one_app(copy)
    before = answers(cli, app_id)
    behind_the_engines_back(
        copy, "DROP TABLE projection_applications",
        "CREATE TABLE projection_applications (stream_id TEXT PRIMARY KEY, "
        "position INTEGER NOT NULL, data TEXT NOT NULL)",
        "UPDATE projection_meta SET version = 2")
    assert answers(cli, app_id) == before
    assert cli.json("verify")["projections"] == {"current": True, "problems": [], "rebuilt": None}
    with sqlite3.connect(copy) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(projection_applications)")]
    assert columns == ["stream_id", "position", "data", "summary"]


def test_a_stale_version_or_position_rebuilds_on_open(copy: Path) -> None:
    cli = InProcessCLI(copy)
    app_id = one_app(copy)
    before = answers(cli, app_id)
    behind_the_engines_back(copy, "UPDATE projection_meta SET version = version + 1",
                            "UPDATE projection_applications SET data = '[]'")
    assert answers(cli, app_id) == before
    behind_the_engines_back(copy, "UPDATE projection_meta SET position = position - 5",
                            "DELETE FROM projection_tasks")
    assert cli.ok("--json", "agenda") == before[READS.index(["--json", "agenda"])]
    with SQLiteStore(copy) as store:
        assert_projections_are_a_fresh_fold(store)


def test_rebuild_on_demand(copy: Path) -> None:
    cli = InProcessCLI(copy)
    behind_the_engines_back(copy, "DELETE FROM projection_applications")
    with SQLiteStore(copy) as store:
        events = store.head()[0]
    assert cli.json("rebuild") == {"applications": 8, "position": events}
    assert cli.ok("rebuild") == f"rebuilt the projections of 8 applications from {events} events\n"
    with SQLiteStore(copy) as store:
        assert_projections_are_a_fresh_fold(store)


def test_an_older_writer_leaves_them_behind_and_the_next_command_catches_up(copy: Path) -> None:
    """An append without projections (an older afterview, another backend's tool) leaves
    them behind the head; the next read rebuilds them."""
    with SQLiteStore(copy) as store:
        app_id = one_app(copy)
        note = ev.NoteAdded("written by an older afterview")
        store.append([projections_free_note(app_id, note)], expected_versions={},
                     recorded_at="2026-11-20T15:00:00+00:00")
        assert store.projection_status().position < store.head()[0]  # type: ignore[union-attr]
    assert note.text in InProcessCLI(copy).ok("show", app_id)
    with SQLiteStore(copy) as store:
        assert_projections_are_a_fresh_fold(store)


def projections_free_note(app_id: str, note: ev.NoteAdded) -> Any:
    from afterview.engine.store.base import NewEvent

    return NewEvent(app_id, "older-writer-note", note.TYPE, note.SCHEMA_VERSION,
                    ev.to_data(note), {"actor": "cli"}, "2026-11-20T10:00:00-05:00")


# --- the codec ------------------------------------------------------------------------


def test_every_demo_application_round_trips_through_the_codec(demo_db: Path) -> None:
    with SQLiteStore(demo_db) as store:
        engine = Engine(store)
        for app in engine.applications(as_of=engine.now()):  # replayed, not read back
            assert snapshot.decode(json.loads(json.dumps(snapshot.encode(app)))) == app
            summary = json.loads(json.dumps(snapshot.encode_summary(app)))
            assert snapshot.decode_summary(summary) == app.summary()


def test_the_board_reads_summaries_that_match_the_whole_applications(demo_db: Path) -> None:
    """list, board and status decode only the summary of each row: the same answers as the
    whole applications give, discarded ones included on request."""
    with SQLiteStore(demo_db) as store:
        engine = Engine(store)
        for everything in (False, True):
            whole = engine.applications(include_discarded=everything)
            assert engine.summaries(include_discarded=everything) == [a.summary() for a in whole]
        assert any(s.tasks for s in engine.summaries())  # open tasks, for the next step
        assert any(s.last_contact_at != s.applied_at for s in engine.summaries())


def _json_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    _json_containers, max_leaves=20))
def test_any_json_decodes_to_an_application_or_a_snapshot_error(data: Any) -> None:
    for decode, encode in ((snapshot.decode, snapshot.encode),
                           (snapshot.decode_summary, snapshot.encode_summary)):
        try:
            app = decode(data)
        except snapshot.SnapshotError:
            continue
        assert encode(app) is not None


# --- the daemon's incremental read ------------------------------------------------------


def test_open_tasks_since_a_position_covers_only_the_applications_that_changed(
        copy: Path) -> None:
    with SQLiteStore(copy) as store:
        engine = Engine(store)
        everything = engine.open_tasks_since(-1)
        assert everything.applications is None
        assert {t.id for t in everything.tasks} == {
            t.id for a in engine.applications() for t in a.open_tasks()}
        assert engine.open_tasks_since(everything.position).tasks == []  # nothing changed
        app_id = one_app(copy)
        task = next(t for t in everything.tasks if t.application == app_id)
        engine.close_task(task.id, ev.TaskOutcome.DONE)
        changed = engine.open_tasks_since(everything.position)
        assert changed.applications == frozenset({app_id})
        assert task.id not in {t.id for t in changed.tasks}
        assert {t.application for t in changed.tasks} <= {app_id}
        assert changed.position == store.head()[0]


def _statements_run(store: SQLiteStore, read: Any) -> int:
    """How many SQLite virtual-machine steps ``read()`` takes (rows visited show here)."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store._conn.set_progress_handler(count, 1)
    try:
        read()
    finally:
        store._conn.set_progress_handler(None, 1)
    return steps


def test_reading_one_change_costs_the_same_however_many_applications_are_open(
        engine: Engine) -> None:
    """What the daemon reads after one change visits the rows past its position only: the
    same SQLite work with 20 or 220 applications open (it once walked every row)."""
    assert isinstance(engine.store, SQLiteStore)
    costs = []
    for batch in range(2):
        for number in range(20 if batch == 0 else 200):
            engine.apply(ev.ApplicationSubmitted(f"Co{batch}-{number}", "Dev"))
        seen = engine.open_tasks_since(-1)
        engine.record(seen.tasks[0].application, ev.NoteAdded("one change"))
        costs.append(_statements_run(engine.store, partial(engine.open_tasks_since, seen.position)))
        changed = engine.open_tasks_since(seen.position)
        assert changed.applications == frozenset({seen.tasks[0].application})
    assert costs[1] == costs[0]


def test_status_of_one_application_reads_its_row_however_long_its_history(
        engine: Engine) -> None:
    """``status APP`` (now) reads the projection row, not the application's stream: the
    same SQLite work for an application with one fact or with 150."""
    assert isinstance(engine.store, SQLiteStore)
    short = engine.apply(ev.ApplicationSubmitted("Short", "Dev")).application.id
    long = engine.apply(ev.ApplicationSubmitted("Long", "Dev")).application.id
    for number in range(150):
        engine.record(long, ev.NoteAdded(f"note {number}"))
    costs = [_statements_run(engine.store, partial(engine.status, app)) for app in (short, long)]
    assert costs[0] == costs[1]
    assert len(engine.status(long).notes) == 150


@settings(max_examples=100)
@given(offer_terms())
def test_offer_terms_encode_as_the_event_codec_does(terms: ev.OfferTerms) -> None:
    assert snapshot._terms(terms) == ev.to_data(terms)


def test_the_codec_keeps_every_field_of_the_folded_state() -> None:
    """A field added to Application, Task, Interview or OfferRound must be added to the codec
    (and PROJECTION_VERSION bumped): this fails until it is."""
    import attrs

    from afterview.engine.domain.state import Application, Contact, Interview, OfferRound, Task

    def names(cls: type) -> set[str]:
        return {field.name for field in attrs.fields(cls)}

    moment = datetime.fromisoformat("2026-11-20T10:00:00-05:00")
    task = Task("t", "a", ev.TaskKind(next(iter(ev.TaskKind)).value), "title", moment, moment,
                None)
    assert set(snapshot.encode(Application("a"))) == names(Application)
    assert set(snapshot._task(task)) == names(Task)
    assert set(snapshot._interview(Interview(1))) == names(Interview)
    assert set(snapshot._round(OfferRound("offer", None, moment, "e"))) == names(OfferRound)
    assert names(Contact) == {"name", "title", "email"}  # encoded as [name, title, email]
