"""The PostgreSQL schema: forward-only migrations, the row-level security and the grants,
applied by ``afterview db init`` (as the database owner), and the check every store makes
when it opens (the schema is there and not newer than this code).

Everything lives in the schema ``afterview``: the events of every tenant in one table, the
tenants with their daemon shard, the schema version, and each tenant's projections (a cache
of folds, docs/store.md). The application role may only SELECT and INSERT events (and
rewrite the projections); row-level security (FORCE, so the owner too) shows a connection only the
rows of the tenant named by ``SET LOCAL afterview.tenant``, and nothing if it forgot to.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from afterview.engine.store.base import StoreOpenError

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

SCHEMA_VERSION = 2  # 2: the projection tables
NOTIFY_CHANNEL = "afterview_events"

# Advisory lock keys (the two-integer form): the first says what is locked.
LOCK_APPEND = 0x4176_0001  # with hashtext(tenant): one appender per tenant at a time
LOCK_SHARD = 0x4176_0002  # with the shard number: one daemon per shard
LOCK_MIGRATE = 0x4176_0003  # with 0: one 'db init' at a time
LOCK_MEMBER = 0x4176_0004  # with the backend pid: a live daemon, for sharing the shards

_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")

_EVENTS = """
CREATE TABLE afterview.events (
    tenant          text COLLATE "C" NOT NULL CHECK (tenant <> ''),
    position        bigint NOT NULL,          -- this tenant's log: 1, 2, 3, ...
    global_position bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    stream_id       text COLLATE "C" NOT NULL,
    version         integer NOT NULL,
    event_id        text COLLATE "C" NOT NULL,
    type            text NOT NULL,
    schema_version  integer NOT NULL,
    data            jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    -- The ISO texts as written and hashed: a timestamptz keeps the instant, not the offset.
    occurred_text   text NOT NULL,
    recorded_text   text NOT NULL,
    prev_hash       text NOT NULL,
    hash            text NOT NULL,
    -- Every key starts with the tenant, so Citus can distribute the table by it.
    PRIMARY KEY (tenant, position),
    UNIQUE (tenant, event_id),
    UNIQUE (tenant, stream_id, version)
)"""

_MIGRATION_1 = [
    _EVENTS,
    "CREATE INDEX events_global_position ON afterview.events (global_position)",
    # One row per log: its daemon shard, and its head, which every append moves (a daemon
    # finds the logs that changed with one query: the poll behind LISTEN/NOTIFY).
    """CREATE TABLE afterview.tenants (
        tenant     text COLLATE "C" PRIMARY KEY CHECK (tenant <> ''),
        shard      smallint NOT NULL CHECK (shard >= 0 AND shard < 64),
        head       bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX tenants_shard ON afterview.tenants (shard)",
    """CREATE FUNCTION afterview.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'afterview events are append-only';
    END $$""",
    """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON afterview.events
        FOR EACH ROW EXECUTE FUNCTION afterview.refuse_change()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON afterview.events
        FOR EACH STATEMENT EXECUTE FUNCTION afterview.refuse_change()""",
    "ALTER TABLE afterview.events ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE afterview.events FORCE ROW LEVEL SECURITY",
    # current_setting(..., true) is NULL (or '') when no tenant was set: no row matches.
    """CREATE POLICY tenant_rows ON afterview.events
        USING (tenant = current_setting('afterview.tenant', true))
        WITH CHECK (tenant = current_setting('afterview.tenant', true))""",
]

# The read model (store/postgres_projections.py): each tenant's cache of folds. Every key
# starts with the tenant; the texts sort as in SQLite (COLLATE "C").
_PROJECTION_TABLES = {
    "projection_meta": """CREATE TABLE afterview.projection_meta (
        tenant   text COLLATE "C" PRIMARY KEY CHECK (tenant <> ''),
        version  integer NOT NULL,
        position bigint NOT NULL,
        rows     integer NOT NULL
    )""",
    "projection_applications": """CREATE TABLE afterview.projection_applications (
        tenant    text COLLATE "C" NOT NULL CHECK (tenant <> ''),
        stream_id text COLLATE "C" NOT NULL,
        position  bigint NOT NULL,
        data      text NOT NULL,
        summary   text NOT NULL,
        PRIMARY KEY (tenant, stream_id)
    )""",
    "projection_tasks": """CREATE TABLE afterview.projection_tasks (
        tenant    text COLLATE "C" NOT NULL CHECK (tenant <> ''),
        task_id   text COLLATE "C" NOT NULL,
        stream_id text COLLATE "C" NOT NULL,
        due_at    text COLLATE "C" NOT NULL,
        fired     boolean NOT NULL,
        position  bigint NOT NULL
    )""",
    "projection_interviews": """CREATE TABLE afterview.projection_interviews (
        tenant        text COLLATE "C" NOT NULL CHECK (tenant <> ''),
        stream_id     text COLLATE "C" NOT NULL,
        round         integer NOT NULL,
        scheduled_for text COLLATE "C" NOT NULL
    )""",
}

_MIGRATION_2 = [
    *_PROJECTION_TABLES.values(),
    "CREATE INDEX projection_applications_position "
    "ON afterview.projection_applications (tenant, position)",
    "CREATE INDEX projection_tasks_stream ON afterview.projection_tasks (tenant, stream_id)",
    "CREATE INDEX projection_tasks_position ON afterview.projection_tasks (tenant, position)",
    "CREATE INDEX projection_interviews_stream "
    "ON afterview.projection_interviews (tenant, stream_id)",
    *(statement for table in _PROJECTION_TABLES for statement in (
        f"ALTER TABLE afterview.{table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE afterview.{table} FORCE ROW LEVEL SECURITY",
        f"""CREATE POLICY tenant_rows ON afterview.{table}
            USING (tenant = current_setting('afterview.tenant', true))
            WITH CHECK (tenant = current_setting('afterview.tenant', true))""")),
]

MIGRATIONS: list[list[str]] = [_MIGRATION_1, _MIGRATION_2]
"""MIGRATIONS[n] lifts the schema from version n to n + 1; never edited once released."""
assert len(MIGRATIONS) == SCHEMA_VERSION

GUARDS = {"events_append_only", "events_no_truncate"}


_PROJECTIONS = ", ".join(f"afterview.{table}" for table in _PROJECTION_TABLES)


def _grants(app_role: str) -> list[str]:
    """Re-applied by every 'db init', so a new application role can be added later."""
    return [
        f'GRANT USAGE ON SCHEMA afterview TO "{app_role}"',
        f'REVOKE ALL ON afterview.events, afterview.tenants, afterview.schema_version, '
        f'{_PROJECTIONS} FROM "{app_role}"',
        f'GRANT SELECT, INSERT ON afterview.events TO "{app_role}"',
        # The projections are a cache: rewritten by every append and rebuild.
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON {_PROJECTIONS} TO "{app_role}"',
        f'GRANT SELECT, INSERT, UPDATE ON afterview.tenants TO "{app_role}"',
        f'GRANT SELECT ON afterview.schema_version TO "{app_role}"',
    ]


def init_schema(conn: psycopg.Connection[TupleRow], app_roles: list[str]) -> tuple[int, int]:
    """Create or upgrade the schema and grant ``app_roles`` what they need, in one
    transaction; the schema version before and after."""
    import psycopg

    for role in app_roles:
        if not _ROLE_NAME.match(role):
            raise StoreOpenError(f"--app-role {role!r} is not a role name")
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_MIGRATE,))
        missing = [role for role in app_roles if conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None]
        if missing:
            raise StoreOpenError(
                f"the role {missing[0]!r} does not exist: create it first "
                f"(CREATE ROLE {missing[0]} LOGIN PASSWORD '...'), then run db init again")
        _refuse_if_not_owner(conn)
        try:
            conn.execute("CREATE SCHEMA IF NOT EXISTS afterview")
            conn.execute("""CREATE TABLE IF NOT EXISTS afterview.schema_version (
                version    integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now())""")
            before = _current_version(conn)
            if before > SCHEMA_VERSION:
                raise StoreOpenError(_newer(before))
            for number, migration in enumerate(MIGRATIONS[before:], start=before + 1):
                for statement in migration:
                    conn.execute(statement)
                conn.execute("INSERT INTO afterview.schema_version (version) VALUES (%s)",
                             (number,))
            for role in app_roles:
                for statement in _grants(role):
                    conn.execute(statement)
        except psycopg.errors.InsufficientPrivilege as error:
            raise StoreOpenError(
                f"db init must run as the database owner: {error.diag.message_primary}") from error
    return before, SCHEMA_VERSION


def _refuse_if_not_owner(conn: psycopg.Connection[TupleRow]) -> None:
    """Granting by a role that does not own the tables only warns: refuse it up front."""
    row = conn.execute(
        "SELECT pg_has_role(current_user, nspowner, 'USAGE'), current_user "
        "FROM pg_namespace WHERE nspname = 'afterview'").fetchone()
    if row is not None and not row[0]:
        raise StoreOpenError(f"db init must run as the owner of the afterview schema, not as "
                             f"{row[1]!r}: connect as the role that ran it first")


def _current_version(conn: psycopg.Connection[TupleRow]) -> int:
    row = conn.execute("SELECT coalesce(max(version), 0) FROM afterview.schema_version").fetchone()
    return int(row[0]) if row else 0


def _newer(version: int) -> str:
    return (f"the database was set up by a newer afterview (schema version {version}, this "
            f"one knows up to {SCHEMA_VERSION}); upgrade afterview to use it")


def check_schema(conn: psycopg.Connection[TupleRow], where: str) -> None:
    """Refuse a database without the schema, or with one older or newer than this code."""
    import psycopg

    try:
        with conn.transaction():
            version = _current_version(conn)
    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
        raise StoreOpenError(
            f"{where} has no afterview schema: run 'afterview --db URL db init' as the "
            "database owner first") from None
    except psycopg.errors.InsufficientPrivilege:
        raise StoreOpenError(
            f"{where}: this role may not read the afterview schema; run 'afterview db init "
            "--app-role ROLE' as the database owner to grant it") from None
    if version > SCHEMA_VERSION:
        raise StoreOpenError(_newer(version))
    if version < SCHEMA_VERSION:
        raise StoreOpenError(
            f"{where} has afterview schema version {version}, this afterview needs "
            f"{SCHEMA_VERSION}: run 'afterview --db URL db init' as the database owner")


def guard_problems(conn: psycopg.Connection[TupleRow]) -> list[str]:
    """What is missing of what keeps the log append-only and private (for verify)."""
    problems = []
    triggers = {row[0] for row in conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'afterview.events'::regclass "
        "AND tgenabled <> 'D'")}
    if not triggers >= GUARDS:
        problems.append("append-only triggers are missing or disabled")
    row = conn.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                       "WHERE oid = 'afterview.events'::regclass").fetchone()
    if row is None or not (row[0] and row[1]):
        problems.append("row-level security is not enforced on the events table")
    return problems
