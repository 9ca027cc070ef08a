"""The store contract: what every event-store backend must do, written once against the
EventStore interface (store/base.py) and run on every backend, in the style of the
eventsourcing library's persistence tests.

Adding a backend: append its name to BACKENDS and a Backend to FACTORIES
below (``open``: a store on the log kept under a folder, the same log for the same folder;
``tamper``: how to change that log behind the store's back, or None if it cannot be). Every
test here must then pass unchanged; what only one backend does (file modes, triggers, refusing
foreign files) stays in that backend's own tests (tests/test_store.py for SQLite).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from afterview.engine.store import open_store
from afterview.engine.store import sqlite as sqlite_store
from afterview.engine.store.base import (
    GENESIS_HASH,
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    NewEvent,
    ProjectedApplication,
    ProjectionStatus,
    RowReader,
    StoredEvent,
    StoreError,
    StreamReader,
)
from afterview.engine.store.memory import MemoryStore
from strategies import event_data

OCCURRED = "2024-05-01T14:30:00+02:00"
RECORDED = "2024-05-02T09:00:00+00:00"

Tamper = Callable[[EventStore, Path, int, "str | None"], None]
"""``tamper(store, folder, position, data)``: behind the store's back, replace the data text
of the event at ``position`` with ``data``, or delete that event when ``data`` is None."""


class Backend(NamedTuple):
    open: Callable[[Path], EventStore]
    tamper: Tamper | None


def _sqlite_tamper(_store: EventStore, folder: Path, position: int, data: str | None) -> None:
    import sqlite3

    conn = sqlite3.connect(folder / "afterview.db", isolation_level=None)
    try:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("DROP TRIGGER events_no_delete")
        if data is None:
            conn.execute("DELETE FROM events WHERE position = ?", (position,))
        else:
            conn.execute("UPDATE events SET data = ? WHERE position = ?", (data, position))
    finally:
        conn.close()


def _memory_tamper(store: EventStore, _folder: Path, position: int, data: str | None) -> None:
    # Only reaching into the process's memory can change this log; the rows are the same
    # twelve columns as SQLite's.
    assert isinstance(store, MemoryStore)
    rows = store._log.rows  # type: ignore[union-attr]  # an open store has its log
    index = [row[0] for row in rows].index(position)
    if data is None:
        del rows[index]
    else:
        rows[index] = (*rows[index][:6], data, *rows[index][7:])


def _postgres_tenant(folder: Path) -> str:
    """The tenant whose log a folder stands for, in the session's shared database."""
    import hashlib

    return "contract-" + hashlib.sha256(str(folder).encode()).hexdigest()[:16]


def _postgres_open(folder: Path) -> EventStore:
    import pg

    return open_store(pg.require_shared_database().url, tenant=_postgres_tenant(folder))


def _postgres_tamper(_store: EventStore, folder: Path, position: int, data: str | None) -> None:
    # As a superuser, who is not held by the row-level security and may switch the
    # append-only trigger off (verify reports that too; it is switched back on here).
    import pg

    database, tenant = pg.require_shared_database(), _postgres_tenant(folder)
    database.sql("ALTER TABLE afterview.events DISABLE TRIGGER events_append_only", user="postgres")
    try:
        if data is None:
            database.sql("DELETE FROM afterview.events WHERE tenant = %s AND position = %s",
                         (tenant, position), user="postgres")
        else:
            database.sql("UPDATE afterview.events SET data = %s::jsonb WHERE tenant = %s AND "
                         "position = %s", (data, tenant, position), user="postgres")
    finally:
        database.sql("ALTER TABLE afterview.events ENABLE TRIGGER events_append_only",
                     user="postgres")


FACTORIES = {
    "sqlite": Backend(lambda folder: open_store(folder / "afterview.db"), _sqlite_tamper),
    # Named by the folder: every store opened on the same folder shares one log.
    "memory": Backend(lambda folder: open_store(f"memory:{folder}"), _memory_tamper),
    # A tenant named after the folder, in the test session's PostgreSQL database (tests/pg.py).
    "postgres": Backend(_postgres_open, _postgres_tamper),
}
BACKENDS = ["sqlite", "memory", "postgres"]


def open_backend(backend: str, folder: Path) -> EventStore:
    """A store of ``backend`` on the log kept in ``folder`` (the same log each time)."""
    return FACTORIES[backend].open(folder)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[EventStore]:
    opened = open_backend(backend, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def other(backend: str, tmp_path: Path, store: EventStore) -> Iterator[EventStore]:
    """A second connection to the same log as ``store``."""
    opened = open_backend(backend, tmp_path)
    yield opened
    opened.close()


def note(stream_id: str = "app-1", text: str = "called the recruiter", **fields: Any) -> NewEvent:
    """A NoteAdded event; keyword arguments override its fields."""
    event = NewEvent(
        stream_id=stream_id,
        event_id=uuid4().hex,
        type="NoteAdded",
        schema_version=1,
        data={"text": text},
        metadata={"actor": "cli"},
        occurred_at=OCCURRED,
    )
    return event._replace(**fields)


def append(store: EventStore, *events: NewEvent, **expected: int | None) -> list[Any]:
    return store.append(list(events), expected_versions=expected, recorded_at=RECORDED)


# ---------------------------------------------------------------------------
# Appending and reading back


def test_an_offer_reads_back_exactly_as_it_was_appended(store: EventStore) -> None:
    terms = {
        "currency": "EUR",
        "base": "123456.78",  # decimals travel as strings, never as floats
        "benefits": ["Jahreskarte für die Öffis", "保険", ["nested", {"days": 30}]],
        "note": "Zürich — relocation 🎉",
    }
    offer = NewEvent("app-1", uuid4().hex, "OfferReceived", 2, {"terms": terms}, {"actor": "cli"}, OCCURRED)
    [stored] = append(store, offer, **{"app-1": 0})

    assert stored.data == {"terms": terms}
    assert stored.metadata == {"actor": "cli"}
    assert (stored.type, stored.schema_version) == ("OfferReceived", 2)
    assert (stored.occurred_at, stored.recorded_at) == (OCCURRED, RECORDED)
    assert store.read_stream("app-1") == [stored]
    assert store.read_event(offer.event_id) == stored
    assert list(store.read_all()) == [stored]


def test_what_a_reader_changes_in_what_it_read_is_not_the_log(store: EventStore) -> None:
    [stored] = append(store, note(data={"terms": {"base": "90000"}}))
    stored.data["terms"]["base"] = "1"
    [read] = store.read_stream("app-1")
    read.data.clear()
    assert store.read_event(stored.event_id).data == {"terms": {"base": "90000"}}  # type: ignore[union-attr]
    assert store.check_chain().ok


def test_versions_count_up_per_application_and_positions_across_the_log(
    store: EventStore,
) -> None:
    for stream_id in ["app-1", "app-2", "app-1", "app-1", "app-2"]:
        append(store, note(stream_id))

    assert [e.version for e in store.read_stream("app-1")] == [1, 2, 3]
    assert [e.version for e in store.read_stream("app-2")] == [1, 2]
    assert [e.position for e in store.read_all()] == [1, 2, 3, 4, 5]
    assert [e.position for e in store.read_all(from_position=3)] == [4, 5]
    assert list(store.read_all(from_position=5)) == []
    assert (store.stream_version("app-1"), store.stream_version("app-9")) == (3, 0)
    assert store.read_stream("app-9") == []
    assert store.read_event("no-such-event") is None


def test_reading_the_log_crosses_chunk_boundaries_in_order(store: EventStore) -> None:
    count = 2 * sqlite_store._READ_CHUNK + 1  # longer than a backend reads at once
    append(store, *(note(f"app-{i % 7}", text=str(i)) for i in range(count)))

    events = list(store.read_all())

    assert [e.position for e in events] == list(range(1, count + 1))
    assert [e.data["text"] for e in events] == [str(i) for i in range(count)]
    assert len(list(store.read_all(from_position=count - 3))) == 3


def test_the_replay_read_gives_what_read_all_gives_without_metadata_or_hashes(
    store: EventStore,
) -> None:
    count = 2 * sqlite_store._READ_CHUNK + 1  # across chunk boundaries, as read_all
    append(store, *(note(f"app-{i % 7}", text=str(i), schema_version=1 + i % 2,
                         occurred_at=f"2024-05-01T14:{i % 60:02d}:00+02:00")
                    for i in range(count)))
    append(store, note("app-1", type="OfferReceived", data={"base": {"amount": "1.5"}}))

    rows = list(store.read_for_replay())

    assert rows == [
        (e.stream_id, e.version, e.event_id, e.type, e.schema_version, e.data,
         e.occurred_at, e.recorded_at)
        for e in store.read_all()
    ]
    assert len(rows) == count + 1
    assert rows[-1][5] == {"base": {"amount": "1.5"}}  # data decoded
    assert list(store.read_for_replay(from_position=count - 2)) == rows[-3:]
    assert list(store.read_for_replay(from_position=count + 1)) == []


def test_prefix_lookups_are_literal_and_case_sensitive(store: EventStore) -> None:
    names = ["app-1", "app-2", "App-3", "apple", "app_x", "appyx", "app%", "b"]
    events = [note(name, event_id=f"{name}-event") for name in names]
    append(store, *events)

    assert store.stream_ids() == sorted(names)
    assert store.stream_ids("app") == ["app%", "app-1", "app-2", "app_x", "apple", "appyx"]
    assert store.stream_ids("app_") == ["app_x"]
    assert store.stream_ids("app%") == ["app%"]
    assert store.stream_ids("zzz") == []
    assert store.event_ids("App") == ["App-3-event"]
    assert store.event_ids("app-") == ["app-1-event", "app-2-event"]


# ---------------------------------------------------------------------------
# Expected versions, conflicts and atomic appends across streams


def test_one_append_spanning_applications_lands_whole(store: EventStore) -> None:
    append(store, note("app-2"))
    batch = [note("app-1"), note("app-2"), note("app-3"), note("app-1")]

    stored = append(store, *batch, **{"app-1": 0, "app-2": 1, "app-3": None})

    assert [(e.stream_id, e.version, e.position) for e in stored] == [
        ("app-1", 1, 2),
        ("app-2", 2, 3),
        ("app-3", 1, 4),
        ("app-1", 2, 5),
    ]
    assert list(store.read_all(from_position=1)) == stored


def test_no_expected_version_appends_whatever_the_stream_holds(store: EventStore) -> None:
    append(store, note("app-1"), note("app-1"))

    stored = append(store, note("app-1"), note("app-2"), **{"app-1": None})

    assert [(e.stream_id, e.version) for e in stored] == [("app-1", 3), ("app-2", 1)]


def test_a_stale_version_is_refused_and_nothing_is_appended(store: EventStore) -> None:
    append(store, note("app-1"), note("app-1"))
    head = store.head()

    with pytest.raises(ConcurrencyError) as refused:
        append(store, note("app-2"), note("app-1"), **{"app-2": 0, "app-1": 1})

    assert (refused.value.stream_id, refused.value.expected, refused.value.actual) == (
        "app-1",
        1,
        2,
    )
    assert "run it again" in str(refused.value)
    assert store.head() == head
    assert store.stream_ids() == ["app-1"]


def test_a_conflict_on_one_application_appends_nothing_on_any(
    store: EventStore, other: EventStore
) -> None:
    append(store, note("app-1"), note("app-2"), note("app-3"))
    head, token = store.head(), other.change_token()
    batch = [note("app-1"), note("app-2"), note("app-3"), note("app-4")]

    with pytest.raises(ConcurrencyError) as refused:
        append(store, *batch, **{"app-1": 1, "app-2": 1, "app-3": 0, "app-4": 0})

    assert refused.value.stream_id == "app-3"
    assert store.head() == other.head() == head
    assert [store.stream_version(s) for s in ("app-1", "app-2", "app-3", "app-4")] == [1, 1, 1, 0]
    assert all(store.read_event(e.event_id) is None for e in batch)
    assert other.change_token() == token  # nothing was committed
    # The store still works, and the next append follows the head.
    [after] = append(store, note("app-4"), **{"app-4": 0})
    assert (after.position, after.prev_hash) == (4, head[1])


def test_a_new_application_expected_but_already_there_is_refused(store: EventStore) -> None:
    append(store, note("app-1"))
    with pytest.raises(ConcurrencyError):
        append(store, note("app-1"), **{"app-1": 0})
    assert store.stream_version("app-1") == 1


def test_writers_racing_on_one_application_each_land_once_in_order(
    backend: str, tmp_path: Path, store: EventStore
) -> None:
    """Four threads, each with its own connection, append to one stream with expected
    versions and retry on a conflict: none is lost, none doubles, versions have no gap."""
    writers, each = 4, 5
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            with open_backend(backend, tmp_path) as mine:
                for number in range(each):
                    event = note("app-1", text=f"{writer}:{number}")
                    while True:
                        expected = mine.stream_version("app-1")
                        try:
                            append(mine, event, **{"app-1": expected})
                            break
                        except ConcurrencyError:
                            continue  # someone else appended first: read again
        except BaseException as error:  # reported below, on the test's thread
            failures.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    events = store.read_stream("app-1")
    assert [e.version for e in events] == list(range(1, writers * each + 1))
    assert sorted(e.data["text"] for e in events) == sorted(
        f"{w}:{n}" for w in range(writers) for n in range(each))
    assert store.check_chain().ok


# ---------------------------------------------------------------------------
# Event ids: each is in the log once (what makes a firing idempotent)


def test_an_event_id_already_in_the_log_is_refused_and_nothing_is_appended(
    store: EventStore,
) -> None:
    [first] = append(store, note())
    fresh = note("app-2")

    with pytest.raises(DuplicateEventError) as refused:
        append(store, fresh, note(event_id=first.event_id))

    assert refused.value.event_id == first.event_id
    assert store.read_event(fresh.event_id) is None
    assert store.head() == (1, first.hash)


def test_the_same_event_appended_again_is_in_the_log_once(
    store: EventStore, other: EventStore
) -> None:
    firing = note("app-1", event_id="fired-thank-you-ab12", type="TaskFired")
    append(store, firing)

    with pytest.raises(DuplicateEventError):
        append(other, firing, **{"app-1": None})  # a second daemon, or a retry

    assert [e.event_id for e in store.read_all()] == [firing.event_id]
    assert other.event_ids("fired-") == [firing.event_id]


def test_an_event_id_twice_in_one_batch_is_refused_and_nothing_is_appended(
    store: EventStore,
) -> None:
    twice = note()
    with pytest.raises(DuplicateEventError):
        append(store, note(), twice, twice._replace(stream_id="app-2"))
    assert list(store.read_all()) == []


@pytest.mark.parametrize("bad", [{"when": {1, 2}}, {"salary": float("nan")}])
def test_data_that_is_not_json_is_refused_readably(store: EventStore, bad: dict) -> None:
    with pytest.raises(StoreError, match="cannot be stored as JSON"):
        append(store, note(), note(data=bad))
    assert list(store.read_all()) == []


# ---------------------------------------------------------------------------
# The hash chain and the head


def test_an_empty_log_has_the_genesis_head_and_a_sound_chain(store: EventStore) -> None:
    report = store.check_chain()
    assert store.head() == (0, GENESIS_HASH)
    assert (report.ok, report.events, report.head, report.problems) == (
        True,
        0,
        GENESIS_HASH,
        [],
    )


def test_the_chain_links_every_event_to_the_one_before(store: EventStore) -> None:
    first = append(store, note("app-1"), note("app-2"))
    second = append(store, note("app-1"))
    events = first + second

    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == 3
    report = store.check_chain()
    assert report.ok, report.problems
    assert (report.events, report.head, report.first_bad_position) == (3, events[-1].hash, None)
    assert store.head() == (3, events[-1].hash)


def test_every_backend_hashes_the_same_events_to_the_same_head(tmp_path: Path) -> None:
    """The chain is the backends' common text: a log copied from one to another verifies
    with the same head (an export from SQLite checked against a hosted copy)."""
    events = [note("app-1", event_id="a"), note("app-2", event_id="b"), note("app-1", event_id="c")]
    heads = {}
    for name in BACKENDS:
        with open_backend(name, tmp_path / name) as store:
            append(store, *events[:2])
            append(store, events[2])
            heads[name] = store.head()
    assert len(set(heads.values())) == 1, heads


@pytest.fixture
def six_events(store: EventStore) -> EventStore:
    """``store`` holding six events on two applications."""
    for stream_id in ["app-1", "app-2", "app-1", "app-2", "app-1", "app-2"]:
        append(store, note(stream_id))
    return store


def _tamper(backend: str) -> Tamper:
    tamper = FACTORIES[backend].tamper
    if tamper is None:
        pytest.skip(f"the {backend} log cannot be changed behind the store's back")
    return tamper


def test_an_edited_event_is_named(six_events: EventStore, backend: str, tmp_path: Path) -> None:
    _tamper(backend)(six_events, tmp_path, 3, '{"text":"offer was 90k"}')
    report = six_events.check_chain()
    assert (report.ok, report.first_bad_position, report.events) == (False, 3, 6)
    assert "position 3: hash does not match its content (edited?)" in report.problems


def test_a_deleted_event_is_named(six_events: EventStore, backend: str, tmp_path: Path) -> None:
    _tamper(backend)(six_events, tmp_path, 3, None)
    report = six_events.check_chain()
    assert (report.ok, report.first_bad_position, report.events) == (False, 3, 5)
    assert "position 3: position 3 is missing (deleted?)" in report.problems


# ---------------------------------------------------------------------------
# Connections: change detection, closing


def test_another_connection_committing_changes_the_change_token(
    store: EventStore, backend: str, tmp_path: Path
) -> None:
    before = store.change_token()
    other = open_backend(backend, tmp_path)
    try:
        append(other, note())
    finally:
        other.close()
    assert store.change_token() != before
    assert store.stream_version("app-1") == 1


def test_the_change_token_holds_still_while_nobody_commits(
    store: EventStore, other: EventStore
) -> None:
    append(store, note())
    seen = other.change_token()
    assert (other.read_stream("app-1")[0].version, other.head()[0]) == (1, 1)
    assert other.change_token() == seen  # reading is not a change


def test_a_closed_store_fails_with_a_store_error(backend: str, tmp_path: Path) -> None:
    with open_backend(backend, tmp_path) as store:
        append(store, note())
    with pytest.raises(StoreError):
        store.read_stream("app-1")
    with pytest.raises(StoreError):
        append(store, note())


# ---------------------------------------------------------------------------
# Projections: rows a projector folds, written in the append's transaction


class CountingProjector:
    """A projector that needs no domain: each stream's row holds how many events it has
    (read inside the transaction plus the new ones), one open task per stream, and one
    interview per stream. ``fail`` makes it raise, as a fold that breaks would."""

    version = 3

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.rows_seen: list[tuple[str, str | None]] = []  # what read_row gave, per stream

    def __call__(self, new_events: list[StoredEvent], read_stream: StreamReader,
                 read_row: RowReader) -> list[ProjectedApplication]:
        if self.fail:
            raise RuntimeError("the fold broke")
        streams = dict.fromkeys(event.stream_id for event in new_events)
        self.rows_seen += [(stream_id, read_row(stream_id)) for stream_id in streams]
        return [
            ProjectedApplication(
                stream_id, new_events[-1].position,
                str(len(read_stream(stream_id)) + sum(e.stream_id == stream_id for e in new_events)),
                f"summary of {stream_id}",
                ((f"task-{stream_id}", f"2026-01-0{len(stream_id)}T00:00:00+00:00", False),),
                ((1, "2026-02-01T10:00:00+00:00"),),
            )
            for stream_id in streams
        ]


def project(store: EventStore, *events: NewEvent, projector: Any = None) -> None:
    store.append(list(events), expected_versions={}, recorded_at=RECORDED,
                 projector=projector or CountingProjector())


@pytest.fixture
def projecting(store: EventStore) -> EventStore:
    """``store``, for the tests of a backend that keeps projections (docs/store.md)."""
    if store.projection_status() is None:
        pytest.skip("this backend keeps no projections (WithoutProjections)")
    return store


def test_a_new_log_has_projections_to_build(projecting: EventStore) -> None:
    store = projecting
    status = store.projection_status()
    assert status is not None and status.position == -1
    store.replace_projections([], version=3, position=0)
    assert store.projection_status() == ProjectionStatus(3, 0, 0)


def test_the_projectors_rows_are_written_with_the_events_and_move_to_the_head(
    projecting: EventStore, other: EventStore
) -> None:
    store = projecting
    store.replace_projections([], version=3, position=0)
    project(store, note("b"), note("a"), note("b"))
    project(store, note("a"))
    assert other.projection_status() == ProjectionStatus(3, 4, 2)
    assert other.read_projections() == [("a", "2"), ("b", "2")]
    assert other.read_projections(["b", "zzz"]) == [("b", "2")]
    assert other.read_projections(["b"], summaries=True) == [("b", "summary of b")]
    assert [t[:4] for t in other.read_open_tasks()] == [
        ("task-a", "a", "2026-01-01T00:00:00+00:00", False),
        ("task-b", "b", "2026-01-01T00:00:00+00:00", False)]
    assert [t[0] for t in other.read_open_tasks(after_position=3)] == ["task-a"]
    assert other.read_interviews() == [("a", 1, "2026-02-01T10:00:00+00:00"),
                                       ("b", 1, "2026-02-01T10:00:00+00:00")]


def test_a_failing_projector_appends_nothing(projecting: EventStore) -> None:
    store = projecting
    store.replace_projections([], version=3, position=0)
    with pytest.raises(RuntimeError):
        project(store, note(), projector=CountingProjector(fail=True))
    assert store.head() == (0, GENESIS_HASH)
    assert store.projection_status() == ProjectionStatus(3, 0, 0)


def test_projections_behind_the_log_or_of_another_version_stay_behind(projecting: EventStore) -> None:
    store = projecting
    append(store, note("a"))  # no projector: an older writer
    project(store, note("a"))
    assert store.projection_status().position == -1  # type: ignore[union-attr]
    store.replace_projections([], version=2, position=2)
    project(store, note("a"))
    assert store.projection_status() == ProjectionStatus(2, 2, 0)  # not this version


def test_a_projector_reads_each_row_as_it_stood_before_the_append(
        projecting: EventStore) -> None:
    store = projecting
    store.replace_projections([], version=3, position=0)
    project(store, note("a"))
    projector = CountingProjector()
    project(store, note("a"), note("b"), projector=projector)
    assert projector.rows_seen == [("a", "1"), ("b", None)]
    assert store.read_projections() == [("a", "2"), ("b", "1")]


def test_replacing_the_projections_drops_every_old_row(projecting: EventStore) -> None:
    store = projecting
    store.replace_projections([], version=3, position=0)
    project(store, note("a"), note("b"))
    rows = [ProjectedApplication("c", 2, "x", "summary of c", (), ())]
    store.replace_projections(iter(rows), version=3, position=2)
    assert store.read_projections() == [("c", "x")]
    assert store.read_projections(summaries=True) == [("c", "summary of c")]
    assert store.read_open_tasks() == [] and store.read_interviews() == []
    assert store.projection_status() == ProjectionStatus(3, 2, 1)


# ---------------------------------------------------------------------------
# Random appends


@st.composite
def append_batches(draw: st.DrawFn) -> list[list[NewEvent]]:
    streams = draw(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=3, unique=True))
    event = st.builds(
        NewEvent,
        stream_id=st.sampled_from(streams),
        event_id=st.uuids().map(str),
        type=st.sampled_from(["NoteAdded", "OfferReceived"]),
        schema_version=st.integers(1, 3),
        data=event_data(),
        metadata=st.fixed_dictionaries({"actor": st.sampled_from(["cli", "daemon", "import"])}),
        occurred_at=st.just(OCCURRED),
    )
    return draw(st.lists(st.lists(event, min_size=1, max_size=3), min_size=1, max_size=4))


@pytest.mark.parametrize("backend_name", BACKENDS)
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(batches=append_batches())
def test_random_appends_round_trip_and_keep_the_chain_sound(
    backend_name: str, batches: list[list[NewEvent]]
) -> None:
    if backend_name == "postgres":
        # What jsonb cannot give back exactly is refused (tests/test_postgres_store.py).
        assume(all(_jsonb_keeps([e.stream_id, e.event_id, e.data]) for b in batches for e in b))
    with tempfile.TemporaryDirectory() as folder:
        store = open_backend(backend_name, Path(folder))
        try:
            _append_and_compare(store, batches)
        finally:
            store.close()


def _jsonb_keeps(value: Any) -> bool:
    """False for what PostgreSQL's jsonb would not give back as it was: the character U+0000,
    -0.0, and floats written with an exponent that would come back as integers."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, float):
        return str(value) != "-0.0" and not (value.is_integer() and "e" in repr(value))
    if isinstance(value, dict):
        return all(_jsonb_keeps(k) and _jsonb_keeps(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(_jsonb_keeps, value))
    return True


def _append_and_compare(store: EventStore, batches: list[list[NewEvent]]) -> None:
    for batch in batches:
        expected = {e.stream_id: store.stream_version(e.stream_id) for e in batch}
        append(store, *batch, **expected)
    appended = [event for batch in batches for event in batch]
    stored = list(store.read_all())
    as_appended = [(e.stream_id, e.event_id, e.type, e.schema_version, e.data) for e in appended]
    assert [(e.stream_id, e.event_id, e.type, e.schema_version, e.data) for e in stored] == (as_appended)
    assert [e.metadata for e in stored] == [e.metadata for e in appended]
    streams = sorted({e.stream_id for e in appended})
    assert store.stream_ids() == streams
    for stream_id in streams:
        versions = [e.version for e in store.read_stream(stream_id)]
        assert versions == list(range(1, len(versions) + 1))
        prefix = stream_id[:1]
        assert store.stream_ids(prefix) == [s for s in streams if s.startswith(prefix)]
    assert store.check_chain().ok
