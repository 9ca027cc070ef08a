"""The PostgreSQL store against a real server (tests/pg.py): what only a database shared by
many people must do. The behaviour every backend shares is in the store contract suite.

- 'db init' creates the schema once, upgrades forward only, and refuses what is not its to do;
- the database itself keeps the log append-only and each tenant's rows private;
- appends from many processes over many tenants lose nothing and keep every chain intact;
- the hash chain is the same as SQLite's for the same events.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from afterview.engine.store.base import NewEvent, StoreError, StoreOpenError
from afterview.engine.store.postgres import PostgresStore, init_database
from afterview.engine.store.sqlite import SQLiteStore
from pg import APP, OWNER, Cluster, Database

OCCURRED = "2024-05-01T14:30:00+02:00"
RECORDED = "2024-05-02T09:00:00+00:00"
WORKER = Path(__file__).with_name("store_append_worker.py")


def note(stream_id: str = "app-1", text: str = "called the recruiter", **data: Any) -> NewEvent:
    return NewEvent(stream_id, uuid4().hex, "NoteAdded", 1, {"text": text, **data},
                    {"actor": "cli"}, OCCURRED)


def add(store: Any, *events: NewEvent) -> Any:
    return store.append(list(events), expected_versions={}, recorded_at=RECORDED)


@pytest.fixture
def alice(pg_db: Database) -> Any:
    with PostgresStore(pg_db.url, pg_db.tenant("alice")) as store:
        yield store


@pytest.fixture
def bob(pg_db: Database) -> Any:
    with PostgresStore(pg_db.url, pg_db.tenant("bob")) as store:
        yield store


# ---------------------------------------------------------------------------
# db init


def test_db_init_runs_once_and_again_changes_nothing(pg_cluster: Cluster) -> None:
    database = Database(pg_cluster, pg_cluster.create_database())
    assert init_database(database.owner_url, [APP]) == (0, 2)
    with PostgresStore(database.url, "alice") as store:
        add(store, note())

    assert init_database(database.owner_url, [APP]) == (2, 2)

    assert database.sql("SELECT version FROM afterview.schema_version ORDER BY version",
                        user=OWNER) == [(1,), (2,)]
    with PostgresStore(database.url, "alice") as store:
        assert [e.data["text"] for e in store.read_all()] == ["called the recruiter"]


def test_a_schema_1_database_upgrades_with_its_events_and_builds_its_projections(
        pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """The projection tables came with schema 2: db init adds them to a database that has
    events already, and the first read builds the tenant's projections from its log."""
    from afterview.engine.domain import events as ev
    from afterview.engine.service.api import Engine
    from afterview.engine.store import postgres_schema

    database = Database(pg_cluster, pg_cluster.create_database())
    with monkeypatch.context() as old:  # the afterview that knew schema 1 only
        old.setattr(postgres_schema, "SCHEMA_VERSION", 1)
        old.setattr(postgres_schema, "MIGRATIONS", postgres_schema.MIGRATIONS[:1])
        old.setattr(postgres_schema, "_grants", lambda role: [  # schema 1's grants
            f'GRANT USAGE ON SCHEMA afterview TO "{role}"',
            f'GRANT SELECT, INSERT ON afterview.events TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE ON afterview.tenants TO "{role}"',
            f'GRANT SELECT ON afterview.schema_version TO "{role}"'])
        assert init_database(database.owner_url, [APP]) == (0, 1)
        with PostgresStore(database.url, "alice") as store:
            add(store, NewEvent("acme", uuid4().hex, "ApplicationSubmitted", 3,
                                ev.to_data(ev.ApplicationSubmitted("Acme", "Engineer")),
                                {"actor": "cli"}, OCCURRED))
    with pytest.raises(StoreOpenError, match="schema version 1, this afterview needs 2"):
        PostgresStore(database.url, "alice")
    assert init_database(database.owner_url, [APP]) == (1, 2)
    with PostgresStore(database.url, "alice") as store:
        assert store.projection_status() == (0, -1, 0)  # never built
        engine = Engine(store)
        assert [(s.id, s.company, s.state) for s in engine.summaries()] == [
            ("acme", "Acme", "applied")]
        status = store.projection_status()
        assert status is not None and status.position == store.head()[0] == 1


def test_each_tenant_sees_only_its_own_projections(pg_db: Database) -> None:
    from afterview.engine.domain import events as ev
    from afterview.engine.service.api import Engine

    alice, bob = pg_db.tenant("alice"), pg_db.tenant("bob")
    for tenant, company in ((alice, "Acme"), (bob, "Globex")):
        with PostgresStore(pg_db.url, tenant) as store:
            Engine(store).apply(ev.ApplicationSubmitted(company, "Engineer"))
    with PostgresStore(pg_db.url, alice) as store:
        assert [s.company for s in Engine(store).summaries()] == ["Acme"]
        assert [row[0] for row in store.read_projections()] == ["acme-engineer"]
    for table in ("projection_meta", "projection_applications", "projection_tasks"):
        assert pg_db.sql(f"SELECT DISTINCT tenant FROM afterview.{table}", tenant=alice) == [
            (alice,)]
        assert pg_db.sql(f"SELECT count(*) FROM afterview.{table}") == [(0,)]  # no tenant set
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        pg_db.sql("INSERT INTO afterview.projection_applications VALUES (%s, 'x', 1, '{}', '{}')",
                  (bob,), tenant=alice)


def test_a_database_without_the_schema_is_refused_with_what_to_run(pg_cluster: Cluster) -> None:
    database = Database(pg_cluster, pg_cluster.create_database())
    with pytest.raises(StoreOpenError, match="has no afterview schema: run 'afterview --db URL db init'"):
        PostgresStore(database.url, "alice")
    assert database.sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'afterview'") == [(0,)]


def test_a_schema_newer_than_this_afterview_is_refused(pg_cluster: Cluster) -> None:
    database = Database(pg_cluster, pg_cluster.create_database())
    database.init()
    database.sql("INSERT INTO afterview.schema_version (version) VALUES (99)", user=OWNER)
    with pytest.raises(StoreOpenError, match=r"newer afterview.*upgrade afterview"):
        PostgresStore(database.url, "alice")
    with pytest.raises(StoreOpenError, match="newer afterview"):
        database.init()


def test_db_init_by_the_application_role_is_refused(pg_db: Database) -> None:
    with pytest.raises(StoreOpenError, match="must run as the owner"):
        init_database(pg_db.url, [APP])


def test_db_init_names_a_missing_application_role(pg_db: Database) -> None:
    with pytest.raises(StoreOpenError, match="role 'nobody_here' does not exist: create it"):
        init_database(pg_db.owner_url, ["nobody_here"])


# ---------------------------------------------------------------------------
# Tenant isolation and append-only, enforced by the database


def test_raw_sql_as_one_tenant_sees_no_row_of_another(pg_db: Database, alice: Any, bob: Any) -> None:
    add(alice, note(text="alice's secret salary"))
    add(bob, note(text="bob's interview"), note("app-2"))

    as_alice = pg_db.sql("SELECT tenant, data->>'text' FROM afterview.events", tenant=alice.tenant)
    assert as_alice == [(alice.tenant, "alice's secret salary")]
    assert pg_db.sql("SELECT count(*) FROM afterview.events WHERE tenant = %s",
                     (bob.tenant,), tenant=alice.tenant) == [(0,)]
    # A query that forgets the tenant sees nothing of anyone.
    assert pg_db.sql("SELECT count(*) FROM afterview.events") == [(0,)]
    # The owner is held to it too (FORCE).
    assert pg_db.sql("SELECT count(*) FROM afterview.events", user=OWNER) == [(0,)]
    assert [e.data["text"] for e in alice.read_all()] == ["alice's secret salary"]
    assert alice.stream_ids() == ["app-1"]


def test_a_row_for_another_tenant_cannot_be_inserted(pg_db: Database, alice: Any, bob: Any) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        pg_db.sql(
            "INSERT INTO afterview.events (tenant, position, stream_id, version, event_id, type, "
            "schema_version, data, metadata, occurred_at, recorded_at, occurred_text, "
            "recorded_text, prev_hash, hash) VALUES (%s, 1, 'app-1', 1, 'forged', 'NoteAdded', "
            "1, '{}', '{}', now(), now(), 'x', 'x', 'x', 'x')", (bob.tenant,), tenant=alice.tenant)
    assert list(bob.read_all()) == []


@pytest.mark.parametrize("statement", [
    "UPDATE afterview.events SET data = '{\"text\": \"edited\"}'",
    "DELETE FROM afterview.events",
    "TRUNCATE afterview.events",
])
def test_the_application_role_cannot_change_or_remove_events(
    pg_db: Database, alice: Any, statement: str,
) -> None:
    add(alice, note())
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        pg_db.sql(statement, tenant=alice.tenant)
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        pg_db.sql(statement, user=OWNER, tenant=alice.tenant)
    assert [e.data["text"] for e in alice.read_all()] == ["called the recruiter"]
    assert alice.check_chain().ok


def test_verify_names_an_event_a_superuser_edited(pg_db: Database, alice: Any) -> None:
    add(alice, note(), note(text="second"), note(text="third"))
    pg_db.sql("ALTER TABLE afterview.events DISABLE TRIGGER events_append_only", user="postgres")
    try:
        # A superuser is not held by row-level security: it names the tenant itself.
        pg_db.sql("UPDATE afterview.events SET data = '{\"text\": \"forged\"}' "
                  "WHERE tenant = %s AND position = 2", (alice.tenant,), user="postgres")
        report = alice.check_chain()
    finally:
        pg_db.sql("ALTER TABLE afterview.events ENABLE TRIGGER events_append_only", user="postgres")
    assert not report.ok
    assert report.first_bad_position == 2
    assert "position 2: hash does not match its content (edited?)" in report.problems
    assert "append-only triggers are missing or disabled" in report.problems


# ---------------------------------------------------------------------------
# What PostgreSQL cannot hold exactly is refused, never stored changed


@pytest.mark.parametrize(("data", "named"), [
    ({"text": "nul \x00 inside"}, "U+0000"),
    ({"amount": -0.0}, "-0.0"),
    ({"amount": 1e300}, "1e+300"),
])
def test_data_jsonb_would_change_is_refused_and_nothing_appended(
    alice: Any, data: dict[str, Any], named: str,
) -> None:
    with pytest.raises(StoreError, match=f"cannot be stored in PostgreSQL: it holds .*{re.escape(named)}"):
        add(alice, note("app-1"), note("app-2", **data))
    assert list(alice.read_all()) == []


@pytest.mark.parametrize("tenant", [None, "", "two words", "-leading", "x" * 129, "a/b"])
def test_a_missing_or_odd_tenant_name_is_refused(pg_db: Database, tenant: str | None) -> None:
    with pytest.raises(StoreOpenError, match="tenant"):
        PostgresStore(pg_db.url, tenant)


def test_a_server_that_is_not_there_is_one_readable_refusal(tmp_path: Path) -> None:
    url = f"postgresql://someone:s3cret@/afterview?host={tmp_path}"
    with pytest.raises(StoreOpenError, match="cannot connect to PostgreSQL database 'afterview'") as info:
        PostgresStore(url, "alice")
    assert "s3cret" not in str(info.value)


# ---------------------------------------------------------------------------
# Many writers, many tenants


def test_200_appends_from_8_processes_over_2_tenants_lose_nothing(
    pg_db: Database, tmp_path: Path,
) -> None:
    tenants = [pg_db.tenant("left"), pg_db.tenant("right")]
    start_file = tmp_path / "start"
    each = 25
    writers = []
    for number in range(8):
        argv = [sys.executable, str(WORKER), pg_db.url, f"w{number}", str(each), str(start_file),
                tenants[number % 2]]
        writers.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=dict(os.environ)))
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    start_file.touch()
    outcomes = [writer.communicate(timeout=120) for writer in writers]
    assert [(w.returncode, err) for w, (_, err) in zip(writers, outcomes, strict=True)] == [(0, "")] * 8

    for index, tenant in enumerate(tenants):
        with PostgresStore(pg_db.url, tenant) as store:
            events = store.read_stream("app-1")
            report = store.check_chain()
            positions = [e.position for e in store.read_all()]
        assert [e.version for e in events] == list(range(1, 4 * each + 1))
        assert positions == list(range(1, 4 * each + 1))
        for name in (f"w{n}" for n in range(index, 8, 2)):
            assert [e.data["number"] for e in events if e.data["writer"] == name] == list(range(each))
        assert report.ok, report.problems
        # The writers of one tenant really interleaved.
        in_order = [e.data["writer"] for e in events]
        assert sum(a != b for a, b in itertools.pairwise(in_order)) > 3


def test_the_same_appends_give_the_same_chain_as_sqlite(alice: Any, tmp_path: Path) -> None:
    events = [note("app-1"), note("app-2", text="Zürich — 🎉", nested={"a": [1, 2.5, None]}),
              note("app-1", text="third")]
    with SQLiteStore(tmp_path / "afterview.db") as sqlite:
        for event in events:
            add(sqlite, event)
            add(alice, event)
        assert alice.head() == sqlite.head()
        assert list(alice.read_all()) == list(sqlite.read_all())
    assert alice.check_chain().head == alice.head()[1]


@pytest.mark.parametrize(("ci", "code", "outcome"), [("true", 1, "1 error"), ("", 0, "1 skipped")])
def test_without_a_server_the_postgres_tests_fail_under_ci_and_are_skipped_elsewhere(
    tmp_path: Path, ci: str, code: int, outcome: str,
) -> None:
    env = {**os.environ, "CI": ci, "AFTERVIEW_TEST_PG_BIN": str(tmp_path)}
    test = f"{Path(__file__).name}::test_a_missing_or_odd_tenant_name_is_refused[None]"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
                          cwd=Path(__file__).parent, capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert (done.returncode, outcome in done.stdout) == (code, True), done.stdout
    assert "no PostgreSQL server here" in done.stdout
