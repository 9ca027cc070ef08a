"""Tamper evidence beyond the hand-picked edits of test_verify.py: any change to any column
of any row, made with the append-only triggers dropped (and left dropped or put back), is
named by ``afterview verify`` at that row's position, with the head hash printed and never a
traceback; a history rewritten with a recomputed chain passes the chain check but not
``verify --expect`` with a head kept elsewhere; ``--expect`` refuses what is not a head.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from afterview.engine.store.chain import event_hash
from crash_worker import InProcessCLI, assert_one_error_line

ZONE = "America/New_York"
COLUMNS = ("position", "stream_id", "version", "event_id", "type", "schema_version", "data",
           "metadata", "occurred_at", "recorded_at", "prev_hash", "hash")
HEX64 = re.compile(r"[0-9a-f]{64}")


class Template:
    """A healthy log built once through the CLI; each example edits its own copy."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "template.db"
        self._copies = itertools.count()
        build = InProcessCLI(self.db)
        build.ok("config", "set", "timezone", ZONE)
        build.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
        build.ok("apply", "Beta", "SRE", "--id", "beta", "--at", "2026-11-03")
        build.ok("interview", "acme", "--on", "2026-11-24T10:00", "--at", "2026-11-10")
        build.ok("note", "beta", "recruiter called")
        build.ok("offer", "acme", "--salary", "120000", "--at", "2026-11-19")
        self.rows = rows(self.db)
        self.triggers = [sql for (sql,) in query(self.db, "SELECT sql FROM sqlite_master "
                                                          "WHERE type = 'trigger'")]

    def copy(self) -> InProcessCLI:
        path = self.folder / f"copy-{next(self._copies)}.db"
        shutil.copy(self.db, path)  # with its mode, 0600
        return InProcessCLI(path)


def query(db: Path, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        found = conn.execute(statement, params).fetchall()
        conn.commit()
    return found


def rows(db: Path) -> list[tuple[Any, ...]]:
    return query(db, f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY position")


def drop_triggers(db: Path) -> None:
    for (name,) in query(db, "SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        query(db, f"DROP TRIGGER {name}")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    yield Template(tmp_path_factory.mktemp("tamper"))


def verify(log: InProcessCLI, *args: str) -> dict[str, Any]:
    """``verify --json`` expecting it to find something: exit 1, one error line."""
    ran = log.run("--json", "verify", *args)
    assert ran.code == 1, ran
    assert_one_error_line(ran.stderr)
    report: dict[str, Any] = json.loads(ran.stdout)
    assert report["ok"] is False and "head" in report
    return report


# --- any edit of any column ---------------------------------------------------------------

new_values = st.one_of(st.text(max_size=30), st.integers(-5, 2**40), st.binary(max_size=8),
                       st.sampled_from(['{"text":"offer was 90k"}', "{}", "[]", "null",
                                        '{"company":"Evil"}', "0" * 64, "OfferAccepted",
                                        "2026-11-20T10:00:00-05:00"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.integers(0, 100), column=st.sampled_from(COLUMNS[1:]), value=new_values,
       restore_triggers=st.booleans())
def test_any_edit_of_any_column_is_named_at_its_row(template: Template, row: int, column: str,
                                                    value: Any, restore_triggers: bool) -> None:
    position = template.rows[row % len(template.rows)][0]
    log = template.copy()
    drop_triggers(log.db)
    try:
        query(log.db, f"UPDATE events SET {column} = ? WHERE position = ?", (value, position))
    except sqlite3.IntegrityError:
        assume(False)  # NOT NULL / UNIQUE said no: nothing was changed
    stored = query(log.db, f"SELECT {column} FROM events WHERE position = ?", (position,))[0][0]
    original = template.rows[row % len(template.rows)][COLUMNS.index(column)]
    assume(stored != original or type(stored) is not type(original))
    if restore_triggers:
        for trigger in template.triggers:
            query(log.db, trigger)

    report = verify(log)
    last_hash_edited = column == "hash" and position == template.rows[-1][0]
    assert last_hash_edited or HEX64.fullmatch(report["head"])  # the head it ends at
    assert report["first_bad_position"] == position, report["problems"]
    assert report["problems"][0].startswith(f"position {position}:")
    assert ("append-only triggers are missing" in report["problems"]) is not restore_triggers
    shown = log.run("verify")
    assert shown.stdout.startswith(f"BROKEN: {len(template.rows)} events, head ")
    for view in (["list"], ["agenda"], ["history", "acme"], ["show", "beta"]):
        ran = log.run(*view)
        assert "Traceback" not in ran.stderr + ran.stdout
        if ran.code:
            assert_one_error_line(ran.stderr)


@pytest.mark.parametrize("column", ["data", "stream_id", "type", "hash"])
def test_bytes_that_are_not_utf8_in_a_text_column_are_named(template: Template,
                                                            column: str) -> None:
    log = template.copy()
    drop_triggers(log.db)
    position = template.rows[2][0]
    query(log.db, f"UPDATE events SET {column} = CAST(X'80ff' AS TEXT) WHERE position = ?",
          (position,))
    report = verify(log)
    assert report["first_bad_position"] == position, report["problems"]


# --- rows moved, inserted, or a history rewritten with a recomputed chain ----------------


def rechain(template: Template, db: Path, new_rows: list[tuple[Any, ...]]) -> str:
    """Replace the whole log by ``new_rows`` renumbered (positions and versions) and
    re-hashed, as someone who knows the hash function would, triggers put back; the head."""
    drop_triggers(db)
    query(db, "DELETE FROM events")
    prev, versions = "0" * 64, Counter[str]()
    for position, row in enumerate(new_rows, start=1):
        versions[row[1]] += 1
        content = (position, row[1], versions[row[1]], *row[3:10])
        digest = event_hash(prev, content)
        query(db, f"INSERT INTO events VALUES ({', '.join('?' * 12)})", (*content, prev, digest))
        prev = digest
    for trigger in template.triggers:
        query(db, trigger)
    return prev


def test_a_rewritten_history_passes_the_chain_but_not_a_head_kept_elsewhere(
        template: Template) -> None:
    log = template.copy()
    kept = log.json("verify")["head"]
    # Drop the offer (and the tasks it touched) and re-hash everything after it.
    offer_at = next(r[0] for r in template.rows if r[4] == "OfferReceived")
    head = rechain(template, log.db, [r for r in template.rows if r[0] < offer_at])
    assert log.json("verify")["head"] == head != kept
    report = verify(log, "--expect", kept)
    assert report["problems"] == [f"head is {head}, expected {kept}: events were removed or "
                                  "changed since that head was taken"]


def test_events_reordered_with_a_recomputed_chain_are_caught_by_the_lifecycle(
        template: Template) -> None:
    log = template.copy()
    # The offer moved before the application existed, everything re-hashed: the chain is
    # consistent, but replaying the lifecycle is not.
    offer = next(r for r in template.rows if r[4] == "OfferReceived")
    moved = [offer, *(r for r in template.rows if r is not offer)]
    rechain(template, log.db, moved)
    report = verify(log)
    assert report["problems"] == ["position 1: OfferReceived is not allowed when acme is new"]
    assert report["first_bad_position"] == 1


def test_a_row_inserted_in_the_middle_with_the_triggers_left_dropped_is_named(
        template: Template) -> None:
    log = template.copy()
    drop_triggers(log.db)
    middle = template.rows[len(template.rows) // 2]
    # Make room by moving every later row up one place (highest first: positions are unique).
    for later in reversed([r for r in template.rows if r[0] > middle[0]]):
        query(log.db, "UPDATE events SET position = ? WHERE position = ?", (later[0] + 1, later[0]))
    forged = (middle[0] + 1, "beta", 99, "forged-id", "NoteAdded", 1, '{"text":"forged"}', "{}",
              middle[8], middle[9], middle[11])
    query(log.db, f"INSERT INTO events VALUES ({', '.join('?' * 12)})",
          (*forged, event_hash(middle[11], forged[:10])))
    report = verify(log)
    assert report["first_bad_position"] == middle[0] + 1
    assert "append-only triggers are missing" in report["problems"]
    assert report["events"] == len(template.rows) + 1


# --- verify --expect ------------------------------------------------------------------------


def test_expect_takes_the_head_however_it_was_copied(template: Template) -> None:
    log = template.copy()
    head = log.json("verify")["head"]
    for written in (head, head.upper(), f"  {head}\n"):
        assert log.ok("verify", "--expect", written).startswith("ok:")


@pytest.mark.parametrize("bad", ["zz", "", "abc123", "g" * 64, "0" * 63, "0" * 65])
def test_expect_refuses_what_is_not_a_head_hash(template: Template, bad: str) -> None:
    line = template.copy().refused("verify", "--expect", bad, code=2)
    assert "--expect" in line and "64 hexadecimal digits" in line
