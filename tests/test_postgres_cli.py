"""The command line against a shared PostgreSQL database: every command works for a tenant
as it does for a file; a log moves from SQLite to PostgreSQL and back with the same board,
agenda and a verified chain; the database's own commands (db init, db tenants, verify
--all-tenants) and their refusals."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from afterview.engine.store.postgres import PostgresStore
from conftest import CLI, NOW, ZONE, afterview_command
from pg import OWNER, Database


class TenantCLI(CLI):
    """The CLI on one tenant's log in the shared database (AFTERVIEW_DB and _TENANT)."""

    def __init__(self, database: Database, tenant: str, now: str | None = NOW) -> None:
        super().__init__(Path("unused"), now)
        self.database = database
        self.tenant = tenant

    def env(self, **extra: str) -> dict[str, str]:
        return super().env(AFTERVIEW_DB=self.database.url, AFTERVIEW_TENANT=self.tenant, **extra)

    def event_count(self) -> int:
        with PostgresStore(self.database.url, self.tenant) as store:
            return store.head()[0]


def search(cli: CLI) -> None:
    """A short search: three applications, an interview, an offer, one withdrawn."""
    cli.ok("config", "set", "timezone", ZONE)
    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02", "--contact", "Dana")
    cli.ok("apply", "Globex", "Platform Engineer", "--at", "2026-11-03")
    cli.ok("apply", "Initech", "SRE", "--at", "2026-11-04")
    cli.ok("interview", "acme", "--on", "2026-11-10T14:00", "--with", "Dana")
    cli.ok("debrief", "acme", "--note", "went well")
    cli.ok("offer", "globex", "--salary", "150000", "--currency", "USD", "--respond-by", "2026-11-27")
    cli.ok("withdraw", "initech", "--reason", "took too long")


def what_a_person_sees(cli: CLI) -> dict[str, Any]:
    return {"board": cli.json("board"), "agenda": cli.json("agenda", "--all"),
            "list": cli.json("list")}


@pytest.fixture
def alice(pg_db: Database) -> TenantCLI:
    return TenantCLI(pg_db, pg_db.tenant("alice"))


def test_every_kind_of_command_works_for_a_tenant(alice: TenantCLI, pg_db: Database) -> None:
    search(alice)
    assert {app["id"]: app["state"] for app in alice.json("board")} == {
        "acme-backend-engineer": "interviewing", "globex-platform-engineer": "offered",
        "initech-sre": "withdrawn"}
    assert alice.json("show", "globex")["offer"]["base"] == 150000
    assert "ApplicationWithdrawn" in [row["type"] for row in alice.json("history", "initech")]
    assert alice.json("verify")["ok"]
    # Another tenant of the same database sees none of it.
    bob = TenantCLI(pg_db, pg_db.tenant("bob"))
    assert bob.json("list") == []


def test_a_refusal_on_postgres_is_one_line_and_appends_nothing(alice: TenantCLI) -> None:
    search(alice)
    before = alice.event_count()
    line = alice.refused("accept", "initech", code=1)
    assert "withdrawn" in line
    assert alice.event_count() == before
    alice.ok("note", "acme", "still works")
    assert alice.event_count() == before + 1


def test_postgres_without_a_tenant_is_refused(pg_db: Database) -> None:
    cli = CLI(Path("unused"))
    line = cli.refused("list", env=cli.env(AFTERVIEW_DB=pg_db.url), code=1)
    assert line == ("error: a PostgreSQL database holds many people's logs: name yours with "
                    "--tenant NAME (or AFTERVIEW_TENANT)")


def test_a_tenant_for_a_sqlite_file_is_refused(tmp_path: Path) -> None:
    cli = CLI(tmp_path / "afterview.db")
    line = cli.refused("--tenant", "alice", "list", code=2)
    assert "--tenant is for a shared PostgreSQL database" in line
    assert not (tmp_path / "afterview.db").exists()


def test_a_log_moves_from_sqlite_to_postgres_and_back_unchanged(
    cli: CLI, alice: TenantCLI, pg_db: Database, tmp_path: Path,
) -> None:
    search(cli)
    original = what_a_person_sees(cli)
    cli.ok("export", "-o", str(tmp_path / "mine.json"))

    alice.ok("import", str(tmp_path / "mine.json"))
    assert what_a_person_sees(alice) == original
    verified = alice.json("verify")
    assert verified["ok"] and verified["events"] == cli.json("verify")["events"]

    alice.ok("export", "-o", str(tmp_path / "back.json"))
    back = CLI(tmp_path / "back" / "afterview.db")
    back.ok("import", str(tmp_path / "back.json"))
    assert what_a_person_sees(back) == original
    assert back.json("verify")["ok"]
    # Importing again adds nothing, on either side.
    assert alice.json("import", str(tmp_path / "mine.json"))["added"] == 0
    exported = json.loads((tmp_path / "back.json").read_text())
    assert exported["head"]["hash"] == alice.json("verify")["head"]


def test_db_init_again_is_up_to_date_and_the_app_role_may_not_run_it(pg_db: Database) -> None:
    cli = CLI(Path("unused"))
    owner = cli.env(AFTERVIEW_DB=pg_db.owner_url)
    assert cli.ok("db", "init", "--app-role", "afterview_app", env=owner).startswith(
        "up to date: PostgreSQL database 'afterview'")
    assert cli.json("db", "init", env=owner)["previous_version"] == 2
    line = cli.refused("db", "init", env=cli.env(AFTERVIEW_DB=pg_db.url), code=1)
    assert "db init must run as the owner of the afterview schema" in line


def test_db_init_creates_a_sqlite_file(tmp_path: Path) -> None:
    cli = CLI(tmp_path / "new.db")
    assert cli.json("db", "init")["previous_version"] == 0
    assert cli.ok("db", "init").startswith("up to date:")


def test_verify_all_tenants_names_the_broken_one(pg_db: Database, tmp_path: Path) -> None:
    # A database of its own: the shared one holds every other test's tenants.
    database = Database(pg_db.cluster, pg_db.cluster.create_database())
    database.init()
    people = {name: TenantCLI(database, name) for name in ("ann", "ben", "cat")}
    for person in people.values():
        person.ok("apply", "Acme", "Engineer", "--at", "2026-11-02")
        person.ok("note", "acme", "called")
    cli = CLI(Path("unused"))
    env = cli.env(AFTERVIEW_DB=database.owner_url)
    assert cli.ok("verify", "--all-tenants", env=env).splitlines()[-1] == "3 of 3 tenants verify"
    assert [t["tenant"] for t in cli.json("db", "tenants", env=env)] == ["ann", "ben", "cat"]

    database.sql("ALTER TABLE afterview.events DISABLE TRIGGER events_append_only", user="postgres")
    # A superuser is not held by row-level security: it names the tenant itself.
    database.sql("UPDATE afterview.events SET data = '{\"text\": \"edited\"}' "
                 "WHERE tenant = 'ben' AND position = 3", user="postgres")
    database.sql("ALTER TABLE afterview.events ENABLE TRIGGER events_append_only", user="postgres")
    done = cli.run("--json", "verify", "--all-tenants", env=env)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert {name: r["ok"] for name, r in report["tenants"].items()} == {
        "ann": True, "ben": False, "cat": True}
    assert done.stderr.startswith("error: 1 tenant logs do not verify, first ben: position 3")


@pytest.mark.parametrize("args", [("verify", "--all-tenants"), ("db", "tenants"),
                                  ("daemon", "--all-tenants")])
def test_what_only_a_shared_database_has_is_refused_for_a_file(tmp_path: Path,
                                                               args: tuple[str, ...]) -> None:
    cli = CLI(tmp_path / "afterview.db")
    assert "is for a shared PostgreSQL database" in cli.refused(*args, code=2)


def test_the_daemon_of_one_tenant_fires_what_falls_due_within_a_second(
    pg_db: Database, tmp_path: Path,
) -> None:
    """Woken by NOTIFY, not by its poll (an hour here): the task snoozed to fall due while it
    runs fires on time, and its hook's JSON names the tenant."""
    tenant = pg_db.tenant("solo")
    person = TenantCLI(pg_db, tenant, now=None)
    person.ok("config", "set", "timezone", "UTC")
    person.ok("apply", "Acme", "Engineer")
    [task] = person.json("agenda")
    env = {**person.env(), "PYTHONUNBUFFERED": "1"}
    with (tmp_path / "out").open("w") as out, (tmp_path / "err").open("w") as err:
        hook = f"sh -c 'cat >> {tmp_path / 'hook.json'}'"
        daemon = subprocess.Popen([*afterview_command(), "daemon", "--poll", "3600", "--no-desktop",
                                   "--hook", hook], stdout=out, stderr=err, env=env)
        try:
            deadline = time.monotonic() + 30
            while "started" not in (tmp_path / "err").read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            due = time.time() + 2  # whole seconds below: at least one second ahead
            person.ok("snooze", task["id"], "--until",
                      time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(due)))
            while not (tmp_path / "hook.json").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=30)
    assert code == 0, (tmp_path / "err").read_text()
    assert (tmp_path / "out").read_text().startswith(f"{tenant} ")
    assert [t["fired"] for t in person.json("agenda") if t["id"] == task["id"]] == [True]
    fired = json.loads((tmp_path / "hook.json").read_text())
    assert (fired["tenant"], fired["id"]) == (tenant, task["id"])


def test_the_application_role_sees_the_schema_but_the_owner_sees_no_rows(
    pg_db: Database, alice: TenantCLI,
) -> None:
    alice.ok("apply", "Acme", "Engineer", "--at", "2026-11-02")
    assert pg_db.sql("SELECT count(*) FROM afterview.events", user=OWNER) == [(0,)]
    assert pg_db.sql("SELECT count(*) FROM afterview.events", user=OWNER,
                     tenant=alice.tenant)[0][0] >= 2


def test_the_demo_builds_in_an_empty_tenant_only(pg_db: Database) -> None:
    person = TenantCLI(pg_db, pg_db.tenant("demo"))
    shown = person.ok("demo")
    assert f"--tenant {person.tenant} show" in shown
    assert person.json("verify")["ok"]
    before = person.event_count()
    line = person.refused("demo", code=1)
    assert "already has a log; the demo builds only in an empty tenant" in line
    assert person.event_count() == before


def test_serve_shows_and_records_one_tenants_log(pg_db: Database) -> None:
    """``afterview serve`` on a tenant of the shared database: the board is that tenant's,
    a note typed in the page lands in that tenant's log, and another tenant sees none of it."""
    from webserver import Served, signed_in

    carol = TenantCLI(pg_db, pg_db.tenant("carol"))
    search(carol)
    served = Served(carol)
    try:
        session, token = signed_in(served)
        board = session.get("/").text
        assert "Acme" in board and "Globex" in board
        done = session.post("/applications/acme-backend-engineer/facts/note",
                            data={"csrf": token, "text": "typed in the browser"})
        assert done.status_code == 303, done.text[:500]
    finally:
        assert served.stop() == 0
    last = carol.json("history", "acme")[-1]
    assert last["type"] == "NoteAdded" and last["actor"] == "web"
    assert last["data"]["text"] == "typed in the browser"
    dave = TenantCLI(pg_db, pg_db.tenant("dave"))
    assert dave.json("list") == []
