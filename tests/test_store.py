"""The SQLite event store: what the file must be (append-only, tamper-evident, private, never
clobbered). What every backend must do is in tests/test_store_contract.py."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterview.engine.store import chain, sqlite_file
from afterview.engine.store import sqlite as sqlite_store
from afterview.engine.store.base import StoreError, StoreOpenError
from afterview.engine.store.sqlite import SQLiteStore
from test_store_contract import OCCURRED, RECORDED, append, note


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A log of six events on two applications, closed."""
    path = tmp_path / "afterview.db"
    with SQLiteStore(path) as store:
        for stream_id in ["app-1", "app-2", "app-1", "app-2", "app-1", "app-2"]:
            append(store, note(stream_id))
    return path


def tamper(path: Path, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    """Run SQL behind the store's back, after dropping the append-only triggers."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("DROP TRIGGER events_no_delete")
        for statement in statements:
            sql, params = (statement, ()) if isinstance(statement, str) else statement
            conn.execute(sql, params)
    finally:
        conn.close()


def check(path: Path) -> Any:
    with SQLiteStore(path) as store:
        return store.check_chain()


def rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM events ORDER BY position").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("sql", ["UPDATE events SET data = '{}' WHERE position = 2", "DELETE FROM events"])
def test_the_file_refuses_updates_and_deletes(db_path: Path, sql: str) -> None:
    conn = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="afterview events are append-only"):
            conn.execute(sql)
    finally:
        conn.close()
    assert check(db_path).ok


def test_the_file_refuses_a_second_event_at_the_same_version(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        [row] = conn.execute("SELECT * FROM events WHERE position = 1").fetchall()
        forged = (7, row[1], row[2], "another-id", *row[4:])
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(f"INSERT INTO events VALUES ({', '.join('?' * 12)})", forged)
    finally:
        conn.close()


def test_dropped_triggers_are_reported(db_path: Path) -> None:
    tamper(db_path)
    report = check(db_path)
    assert not report.ok
    assert report.problems == ["append-only triggers are missing"]
    assert report.first_bad_position is None


def test_an_edited_event_is_named(db_path: Path) -> None:
    tamper(db_path, 'UPDATE events SET data = \'{"text":"offer was 90k"}\' WHERE position = 3')
    report = check(db_path)
    assert report.first_bad_position == 3
    assert "position 3: hash does not match its content (edited?)" in report.problems
    assert "append-only triggers are missing" in report.problems


def test_a_deleted_event_is_named(db_path: Path) -> None:
    tamper(db_path, "DELETE FROM events WHERE position = 3")
    report = check(db_path)
    assert (report.ok, report.first_bad_position, report.events) == (False, 3, 5)
    assert "position 3: position 3 is missing (deleted?)" in report.problems


def test_a_forged_event_is_named(db_path: Path) -> None:
    last = rows(db_path)[-1]
    forged_hash = hashlib.sha256(b"forged").hexdigest()
    forged = (7, "app-1", 4, "forged-id", "OfferAccepted", 1, "{}", "{}", OCCURRED, RECORDED)
    insert = f"INSERT INTO events VALUES ({', '.join('?' * 12)})"
    tamper(db_path, (insert, (*forged, last[-1], forged_hash)))
    report = check(db_path)
    assert (report.first_bad_position, report.events, report.head) == (7, 7, forged_hash)


def test_an_event_slipped_in_before_the_first_is_named(db_path: Path) -> None:
    first = rows(db_path)[0]
    forged = (0, "app-9", 1, "forged-id", *first[4:])
    tamper(db_path, (f"INSERT INTO events VALUES ({', '.join('?' * 12)})", forged))
    assert check(db_path).first_bad_position == 0


def test_two_swapped_events_are_named(db_path: Path) -> None:
    all_rows = rows(db_path)
    second, fourth = all_rows[1], all_rows[3]
    insert = f"INSERT INTO events VALUES ({', '.join('?' * 12)})"
    tamper(
        db_path,
        "DELETE FROM events WHERE position IN (2, 4)",
        (insert, (2, *fourth[1:])),
        (insert, (4, *second[1:])),
    )
    report = check(db_path)
    assert report.first_bad_position == 2
    assert "position 2: hash does not match its content (edited?)" in report.problems
    assert "position 4: hash does not match its content (edited?)" in report.problems


def test_a_deleted_last_event_changes_the_head_even_with_triggers_restored(
    db_path: Path,
) -> None:
    with SQLiteStore(db_path) as store:
        kept_head = store.head()
    conn = sqlite3.connect(db_path)
    triggers = [sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type='trigger'")]
    conn.close()
    tamper(db_path, "DELETE FROM events WHERE position = 6", *triggers)

    report = check(db_path)

    # The chain itself is intact; only a head kept elsewhere (verify --expect) tells.
    assert report.ok, report.problems
    assert report.events == 5
    assert report.head != kept_head[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def no_umask() -> Iterator[None]:
    """The loosest umask, so that only the store's own choices can make files private."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.usefixtures("no_umask")
def test_the_database_its_journal_and_new_folders_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "nested" / "afterview.db"
    parent_mode = mode(tmp_path)
    with SQLiteStore(path) as store:
        append(store, note())
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert [mode(p) for p in (path, wal, shm)] == [0o600, 0o600, 0o600]
    assert [mode(tmp_path / "new"), mode(path.parent)] == [0o700, 0o700]
    assert mode(tmp_path) == parent_mode  # a folder it did not create is left alone


@pytest.mark.usefixtures("no_umask")
def test_an_empty_file_is_taken_as_a_new_database_and_made_private(tmp_path: Path) -> None:
    path = tmp_path / "afterview.db"
    path.touch(mode=0o644)
    with SQLiteStore(path) as store:
        append(store, note())
    assert mode(path) == 0o600
    with SQLiteStore(path) as store:
        assert store.stream_version("app-1") == 1


def test_an_empty_sqlite_file_is_given_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "afterview.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scratch (x)")
    conn.execute("DROP TABLE scratch")
    conn.close()
    with SQLiteStore(path) as store:
        append(store, note())
        assert store.check_chain().ok


def _folder(path: Path) -> None:
    path.mkdir()


def _text_file(path: Path) -> None:
    path.write_text("company,role\nAcme,Engineer\n")


def _foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()


def _foreign_wal_database(path: Path) -> None:
    # Opening a WAL database read-only would normally leave -wal and -shm files behind.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()


def _other_application(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()


def _newer_afterview(path: Path) -> None:
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_folder, "is a folder"),
        (_text_file, "is not an afterview database (it is not an SQLite file)"),
        (_foreign_database, "is not an afterview database"),
        (_foreign_wal_database, "is not an afterview database"),
        (_other_application, "is not an afterview database"),
        (_newer_afterview, "was written by a newer afterview"),
    ],
)
def test_a_path_that_is_not_an_afterview_database_is_refused_untouched(
    tmp_path: Path, make: Callable[[Path], None], says: str
) -> None:
    path = tmp_path / "afterview.db"
    make(path)
    before = _snapshot(tmp_path)

    with pytest.raises(StoreOpenError, match=re.escape(says)) as refused:
        SQLiteStore(path)

    assert str(path) in str(refused.value)
    assert _snapshot(tmp_path) == before


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder`` with its bytes and mtime."""
    return {p.name: (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.fixture
def make_unwritable() -> Iterator[Callable[[Path], None]]:
    """Takes write permission away; root ignores modes, so for root it sets the immutable
    flag instead. Everything is given back afterwards."""
    restore: list[Callable[[], object]] = []

    def lock(path: Path) -> None:
        if os.geteuid() != 0:
            old_mode = mode(path)
            path.chmod(0o500 if path.is_dir() else 0o400)
            restore.append(lambda: path.chmod(old_mode))
            return
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode:
            pytest.skip("running as root without a working chattr")
        restore.append(lambda: subprocess.run([chattr, "-i", str(path)], check=True))

    yield lock
    for undo in restore:
        undo()


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_a_database_it_cannot_write_is_refused_untouched(
    db_path: Path, make_unwritable: Callable[[Path], None], locked: str
) -> None:
    before = _snapshot(db_path.parent)
    make_unwritable(db_path if locked == "file" else db_path.parent)
    with pytest.raises(StoreOpenError, match="writable"):
        SQLiteStore(db_path)
    assert _snapshot(db_path.parent) == before


def test_a_new_database_in_a_folder_it_cannot_write_is_refused(
    tmp_path: Path, make_unwritable: Callable[[Path], None]
) -> None:
    make_unwritable(tmp_path)
    with pytest.raises(StoreOpenError, match="not writable"):
        SQLiteStore(tmp_path / "sub" / "afterview.db")
    assert list(tmp_path.iterdir()) == []


def test_a_busy_database_says_so_instead_of_failing_obscurely(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_file, "BUSY_TIMEOUT_SECONDS", 0.05)
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with SQLiteStore(db_path) as store, pytest.raises(StoreError) as refused:
            append(store, note())
    finally:
        writer.close()
    assert str(refused.value) == sqlite_store.BUSY_MESSAGE
    assert check(db_path).events == 6


def test_opening_a_current_database_does_not_import_sqlite_utils(db_path: Path) -> None:
    # sqlite-utils costs ~140 ms to import; `afterview status` must not pay it.
    code = (
        "import sys; from afterview.engine.store.sqlite import SQLiteStore; "
        "SQLiteStore(sys.argv[1]).close(); print('sqlite_utils' in sys.modules)"
    )
    env = dict(os.environ)
    done = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, env=env)
    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr


def test_a_second_store_in_the_same_process_leaves_the_first_one_sound(db_path: Path) -> None:
    # Python's open()/close() on the file drops every SQLite lock this process holds on it;
    # another process closing last would then delete the WAL under the first store, which
    # shows up later as lost appends or "database disk image is malformed".
    first = SQLiteStore(db_path)
    try:
        append(first, note())
        SQLiteStore(db_path).close()
        code = (
            "import sys; from afterview.engine.store.sqlite import SQLiteStore; "
            "from afterview.engine.store.base import NewEvent; "
            "s = SQLiteStore(sys.argv[1]); "
            "s.append([NewEvent('app-3', 'from-elsewhere', 'NoteAdded', 1, {}, {}, '2024-05-01')], "
            "expected_versions={}, recorded_at='2024-05-01'); s.close()"
        )
        env = dict(os.environ)
        done = subprocess.run(
            [sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        assert Path(f"{db_path}-wal").exists(), "the other process took itself for the last one"
        append(first, note())
        assert first.read_event("from-elsewhere") is not None
    finally:
        first.close()
    report = check(db_path)
    assert (report.ok, report.events) == (True, 9), report.problems


@pytest.mark.parametrize("text", [
    '{"text":"a note","n":[1,2.5,null,true]}', ' {"a":1}', '{"a":1} ', "\ufeff{}", '{"a":',
    "", '{"a":1}x', '"just a string"', "NaN", '{"a":"\\ud800"}', '{"é":"ü"}',
], ids=repr)
def test_the_fast_json_decoder_gives_what_json_loads_gives(text: str) -> None:
    def outcome(decode: Any) -> str:
        try:
            return repr(("value", decode(text)))
        except ValueError as error:
            return repr((type(error).__name__, str(error)))

    assert outcome(chain.decode_json) == outcome(json.loads)


_column = (st.text() | st.integers() | st.floats() | st.none() | st.booleans() | st.binary()
           | st.sampled_from(["", '{"a":"\\u00e9\\n"}', "\ud800", "é\"\\\t\x00\u2028"]))


@settings(max_examples=300)
@given(st.tuples(*[_column] * 10) | st.tuples(
    st.integers(), st.text(), st.integers(), st.text(), st.text(), st.integers(),
    st.text(), st.text(), st.text(), st.text()))
def test_the_hashed_text_of_a_row_is_the_json_encoders_whatever_the_columns_hold(
        row: tuple[Any, ...]) -> None:
    """The chain hashes the JSON array of ten columns; the quick writer of that text gives
    the encoder's own, for the rows the store writes and for tampered columns alike."""
    expected: Any
    try:
        expected = chain._encode_row(list(row))
    except (TypeError, ValueError) as error:
        expected = type(error)
    try:
        assert chain.row_text(row) == expected
    except (TypeError, ValueError) as error:
        assert type(error) is expected
