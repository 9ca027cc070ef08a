"""A throwaway PostgreSQL cluster for the tests: ``initdb --no-sync`` in a temporary folder,
started with ``pg_ctl`` on a Unix socket in that folder (no TCP port, fsync off), stopped at
the end. As root, the server runs as the ``postgres`` user (it refuses to run as root).

Used by the session fixtures in conftest.py and by benchmarks/postgres_bench.py.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

OWNER = "afterview_owner"  # owns the database and runs 'afterview db init'
APP = "afterview_app"  # what a hosted afterview connects as: SELECT and INSERT only


def server_bin() -> Path | None:
    """The folder holding initdb and pg_ctl (Debian keeps them out of PATH), if any;
    $AFTERVIEW_TEST_PG_BIN names it (a folder without initdb: as if none were installed)."""
    chosen = os.environ.get("AFTERVIEW_TEST_PG_BIN")
    if chosen is not None:
        return Path(chosen) if (Path(chosen) / "initdb").exists() else None
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


class Cluster:
    """One PostgreSQL server in a temporary folder, reachable only through its socket."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="afterview-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.started = False

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        done = subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=120,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stdout}\n{done.stderr}")

    def start(self, *, durable: bool = False) -> None:
        """Tests run without fsync; ``durable`` (the benchmark) keeps PostgreSQL's defaults,
        every commit flushed, as SQLite's synchronous=FULL does."""
        self._run(str(self.bin / "initdb"), "--no-sync", "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale", "C", "-D", str(self.data))
        unsafe = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options = f"-k {self.socket_dir} -c listen_addresses='' {unsafe} -c max_connections=200"
        self._run(str(self.bin / "pg_ctl"), "-w", "-D", str(self.data), "-l",
                  str(self.root / "server.log"), "-o", options, "start")
        self.started = True

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bin / "pg_ctl"), "-w", "-D", str(self.data), "-m", "immediate",
                      "stop")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, user: str = "postgres", database: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}"

    def sql(self, statement: str, *, database: str = "postgres", user: str = "postgres",
            params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement (autocommit) and return its rows."""
        import psycopg

        with psycopg.connect(self.url(user, database), autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def create_roles(self) -> None:
        for role in (OWNER, APP):
            self.sql(f"CREATE ROLE {role} LOGIN")

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database owned by OWNER; its name."""
        name = name or f"av_{uuid.uuid4().hex[:12]}"
        self.sql(f"CREATE DATABASE {name} OWNER {OWNER}")
        return name


class Database:
    """One afterview database in the cluster, set up by 'db init' as OWNER, with APP as
    its application role. Tests share it and keep apart by tenant, as people do."""

    def __init__(self, cluster: Cluster, name: str) -> None:
        self.cluster = cluster
        self.name = name
        self.owner_url = cluster.url(OWNER, name)
        self.url = cluster.url(APP, name)

    def init(self) -> None:
        from afterview.engine.store.postgres import init_database

        init_database(self.owner_url, [APP])

    @staticmethod
    def tenant(hint: str = "t") -> str:
        """A tenant nobody else in the test session uses."""
        return f"{hint}-{uuid.uuid4().hex[:10]}"

    def sql(self, statement: str, params: Any = None, *, user: str = APP,
            tenant: str | None = None) -> list[tuple[Any, ...]]:
        """Raw SQL in one transaction as ``user``, after SET LOCAL afterview.tenant if given."""
        import psycopg

        with psycopg.connect(self.cluster.url(user, self.name)) as conn:
            if tenant is not None:
                conn.execute("SELECT set_config('afterview.tenant', %s, true)", (tenant,))
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


# ---------------------------------------------------------------------------
# The test session's cluster and database: started on first use, stopped at the end
# (conftest.py's pytest_sessionfinish), shared by the fixtures and the store contract suite.

_SHARED: dict[str, Any] = {}


class NoServer(Exception):
    """No PostgreSQL server (or no psycopg) on this machine."""


def shared_database() -> Database:
    """The session's database, set up by 'db init'; the cluster is started on first use."""
    if "error" in _SHARED:
        raise _SHARED["error"]
    if "database" not in _SHARED:
        try:
            import psycopg  # noqa: F401  # the backend's driver
        except ImportError:
            bin_dir = None
        else:
            bin_dir = server_bin()
        if bin_dir is None:
            _SHARED["error"] = NoServer("no PostgreSQL server here (initdb not found; "
                                        "apt-get install postgresql)")
            raise _SHARED["error"]
        cluster = _SHARED["cluster"] = Cluster(bin_dir)
        atexit.register(stop_shared)
        try:
            cluster.start()
            cluster.create_roles()
            database = Database(cluster, cluster.create_database("afterview"))
            database.init()
        except Exception as error:
            _SHARED["error"] = error
            raise
        _SHARED["database"] = database
    found: Database = _SHARED["database"]
    return found


def require_shared_database() -> Database:
    """shared_database(), or the test is skipped without a server (failed under CI=true,
    where .ci/run installs one)."""
    import pytest

    try:
        return shared_database()
    except NoServer as error:
        if os.environ.get("CI") == "true":
            pytest.fail(str(error))
        pytest.skip(str(error))


def stop_shared() -> None:
    cluster = _SHARED.pop("cluster", None)
    _SHARED.pop("database", None)
    if cluster is not None:
        cluster.stop()
