"""Many daemons over many tenants of one PostgreSQL database (``daemon --all-tenants``): they
share the 64 shards, take over a killed daemon's shards, and fire every task exactly once.
Real processes, a real server, the wall clock; every wait is on something observed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.store.base import NewEvent, shard_of
from afterview.engine.store.postgres import PostgresStore
from afterview.engine.store.postgres_schema import LOCK_SHARD
from conftest import afterview_command
from pg import Cluster, Database

TENANTS = 20
TASKS_EACH = 15


class Daemon:
    """``afterview daemon --all-tenants`` in a process of its own, output to files."""

    def __init__(self, url: str, folder: Path, name: str) -> None:
        self.out_path, self.err_path = folder / f"{name}.out", folder / f"{name}.err"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
        self._files: list[IO[str]] = [open(self.out_path, "w"), open(self.err_path, "w")]  # noqa: SIM115  # closed in stop()
        self.process = subprocess.Popen(
            [*afterview_command(), "--db", url, "daemon", "--all-tenants", "--poll", "0.5",
             "--no-desktop"], stdout=self._files[0], stderr=self._files[1], env=env, text=True)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        for file in self._files:
            file.close()
        return code

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    @property
    def stdout(self) -> str:
        return self.out_path.read_text()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def shard_holders(db: Database) -> Counter[int]:
    """How many shards each server process holds."""
    rows = db.sql("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                  "AND objsubid = 2 AND classid::bigint = %s", (LOCK_SHARD,))
    return Counter(pid for (pid,) in rows)


def shards_of_process(db: Database, pid: int) -> set[int]:
    """The shards the daemon in process ``pid`` holds (its connection is named after it)."""
    rows = db.sql("SELECT l.objid::bigint FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                  "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
                  "AND l.classid::bigint = %s AND a.application_name = %s",
                  (LOCK_SHARD, f"afterview daemon {pid}"))
    return {int(shard) for (shard,) in rows}


def sharing(db: Database, daemons: int) -> bool:
    """Every shard held, by this many daemons, none over its share."""
    held = shard_holders(db)
    share = -(-64 // daemons)
    return len(held) == daemons and sum(held.values()) == 64 and max(held.values()) <= share


def schedule_tasks(db: Database, tenant: str, first_due: datetime) -> None:
    """TASKS_EACH applications, each with one task, falling due a tenth of a second apart."""
    events = []
    recorded = datetime.now(UTC).isoformat()
    for number in range(TASKS_EACH):
        stream = f"app-{number}"
        submitted = ev.ApplicationSubmitted(f"Company {number}", "Engineer")
        due = first_due + timedelta(seconds=0.1 * number)
        task = ev.TaskScheduled(f"remind-{number}", ev.TaskKind.FOLLOW_UP_APPLICATION,
                                f"Follow up {number}", due)
        for event_id, event in ((f"{stream}-submitted", submitted), (f"{stream}-task", task)):
            events.append(NewEvent(stream, event_id, event.TYPE, event.SCHEMA_VERSION,
                                   ev.to_data(event), {"actor": "test"}, recorded))
    with PostgresStore(db.url, tenant) as store:
        store.append(events, expected_versions={}, recorded_at=recorded)


def firings(db: Database, tenants: list[str]) -> Counter[tuple[str, str]]:
    """(tenant, task id) -> how many TaskFired events the log holds for it."""
    counted: Counter[tuple[str, str]] = Counter()
    for tenant in tenants:
        with PostgresStore(db.url, tenant) as store:
            for stored in store.read_all():
                if stored.type == "TaskFired":
                    counted[(tenant, stored.data["task_id"])] += 1
    return counted


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.stop(signal.SIGKILL)


@pytest.fixture
def fleet_db(pg_cluster: Cluster) -> Database:
    """A database of its own: the daemons serve every tenant in it."""
    database = Database(pg_cluster, pg_cluster.create_database())
    database.init()
    return database


def test_three_daemons_one_killed_fire_300_tasks_of_20_tenants_exactly_once(
    fleet_db: Database, tmp_path: Path, daemons: list[Daemon],
) -> None:
    pg_db = fleet_db
    # The tenants exist before the daemons start; their tasks fall due once all three run.
    tenants = [pg_db.tenant(f"person{n}") for n in range(TENANTS)]
    for tenant in tenants:
        with PostgresStore(pg_db.url, tenant) as store:
            store.append([NewEvent("profile", f"{tenant}-tz", "SettingChanged", 1,
                                   {"key": "timezone", "value": "UTC"}, {}, "2026-01-01T00:00:00+00:00")],
                         expected_versions={}, recorded_at="2026-01-01T00:00:00+00:00")
    daemons += [Daemon(pg_db.url, tmp_path, f"daemon{n}") for n in range(3)]
    # The 64 shards shared among the three, none holding more than its share (22).
    wait_for(lambda: sharing(pg_db, 3), "three daemons sharing")

    # The victim: the daemon that serves the most tenants. Its tenants' tasks fall due a few
    # seconds after the others', so that it is killed with its own work still to do however
    # slowly this machine polls (watching 20 logs takes a while on a loaded one).
    owned = {d: shards_of_process(pg_db, d.process.pid) for d in daemons}
    victim = max(daemons, key=lambda d: sum(shard_of(t) in owned[d] for t in tenants))
    its_shards = owned[victim]
    first_due = datetime.now(UTC) + timedelta(seconds=1)
    for tenant in tenants:
        later = timedelta(seconds=4 if shard_of(tenant) in its_shards else 0)
        schedule_tasks(pg_db, tenant, first_due + later)
    wanted = {(tenant, f"remind-{n}") for tenant in tenants for n in range(TASKS_EACH)}

    # Killed mid-run: some tasks have fired, most have not.
    wait_for(lambda: sum(firings(pg_db, tenants).values()) >= 30, "the first firings")
    victim.stop(signal.SIGKILL)
    left_over = wanted - set(firings(pg_db, tenants))
    orphaned = {(tenant, task) for tenant, task in left_over if shard_of(tenant) in its_shards}

    fired = wait_for(lambda: (f := firings(pg_db, tenants)) and set(f) == wanted and f,
                     "every task to fire", timeout=90)
    assert set(fired.values()) == {1}, [key for key, count in fired.items() if count > 1]
    assert len(fired) == TENANTS * TASKS_EACH
    # The two left took the killed daemon's shards between them.
    wait_for(lambda: sharing(pg_db, 2), "two daemons sharing")
    # What the killed daemon had not fired, the others did.
    survivors = [d for d in daemons if d is not victim]
    taken_over = {(line.split()[0], line.split()[3]) for d in survivors
                  for line in d.stdout.splitlines() if " fired " in line}
    assert orphaned and orphaned <= taken_over
    for daemon in survivors:
        assert daemon.stop() == 0
        assert "claimed" in daemon.stderr
    # Every firing was announced once, each line naming its tenant.
    lines = [line for d in daemons for line in d.stdout.splitlines() if " fired " in line]
    announced = Counter((line.split()[0], line.split()[3]) for line in lines)
    assert set(announced.values()) == {1}
    assert set(announced) <= wanted


def test_daemon_all_tenants_is_refused_for_a_sqlite_file(tmp_path: Path) -> None:
    from conftest import CLI

    cli = CLI(tmp_path / "afterview.db")
    line = cli.refused("daemon", "--all-tenants", code=2)
    assert "--all-tenants is for a shared PostgreSQL database" in line


def test_the_fleet_sends_each_tenants_digest_once(fleet_db: Database,
                                                   daemons: list[Daemon], tmp_path: Path) -> None:
    """``daemon --all-tenants`` sends each tenant's daily digest (its line starts with the
    tenant), records it in that tenant's log only, once, and none for a tenant that turned
    the digest off."""
    from test_postgres_cli import TenantCLI

    # A pass sends the digests tenant by tenant in name order: "off" before "on", so once
    # "on" has its digest, the pass has been through "off".
    off, on = fleet_db.tenant("off"), fleet_db.tenant("on")
    assert off < on
    for tenant in (off, on):
        cli = TenantCLI(fleet_db, tenant, now=None)
        cli.ok("config", "set", "timezone", "UTC")
        cli.ok("config", "set", "workday_start", "00:00")  # the digest is due all day
        cli.ok("apply", "Acme", "Engineer", "--at", "2026-01-05")  # its follow-up is overdue
    TenantCLI(fleet_db, off, now=None).ok("config", "set", "digest", "off")

    def digests(tenant: str) -> list[str]:
        with PostgresStore(fleet_db.url, tenant) as store:
            return [s.event_id for s in store.read_all() if s.type == "DigestSent"]

    daemons.append(Daemon(fleet_db.url, tmp_path, "first"))
    wait_for(lambda: digests(on), "the digest of the tenant that wants one")
    lines = wait_for(lambda: [ln for ln in daemons[0].stdout.splitlines() if "digest" in ln],
                     "the digest line")
    assert daemons[0].stop() == 0
    assert len(lines) == 1 and lines[0].startswith(f"{on} ") and "1 overdue" in lines[0], lines
    assert len(digests(on)) == 1 and digests(off) == []
