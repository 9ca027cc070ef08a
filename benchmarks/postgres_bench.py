"""PostgreSQL against SQLite on the same synthetic job search, in the same run: appends per
second (one event per transaction, as a command makes them, and in batches), rebuild events
per second, and how append throughput grows with concurrent tenants (1, 4, 16 processes,
each appending to its own tenant; for SQLite, each to its own file).

    python benchmarks/postgres_bench.py                     # 1,000 applications, ~20,000 events
    python benchmarks/postgres_bench.py --applications 5000 --json

It starts a throwaway PostgreSQL cluster of its own (tests/pg.py) with PostgreSQL's durable
defaults (fsync on, every commit flushed), as SQLite runs with synchronous=FULL; with --url
(a database owner's URL) it uses that database instead, after 'db init'.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

try:
    import afterview  # noqa: F401  # installed (pip install .), or run from a source tree:
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".typing"))  # afterview -> src
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # pg.py: the cluster

import synthetic
from bench import append_batches, best_times, machine, open_search

import pg  # tests/pg.py  # isort: skip
from afterview.engine.service.api import Engine
from afterview.engine.service.projections import rebuild_projections
from afterview.engine.store.base import EventStore, NewEvent
from afterview.engine.store.postgres import PostgresStore, init_database
from afterview.engine.store.sqlite import SQLiteStore

CONCURRENCY = (1, 4, 16)
OCCURRED = "2026-01-05T10:00:00-05:00"


def per_second(count: int, seconds: float) -> int:
    return round(count / seconds) if seconds > 0 else 0


# ---------------------------------------------------------------------------
# Concurrent writers: one process per tenant (or per SQLite file)


def _writer(open_store: Callable[[], EventStore], appends: int, ready: Any, start: Any,
            done: Any) -> None:
    """Append ``appends`` notes one per transaction, each expecting the version it read
    (as ``afterview note`` does), once every writer is ready; report (started, finished)."""
    store = open_store()
    submitted = NewEvent("app-1", uuid.uuid4().hex, "ApplicationSubmitted", 2,
                         {"company": "Acme", "role": "Engineer", "contacts": []}, {"actor": "cli"},
                         OCCURRED)
    store.append([submitted], expected_versions={"app-1": 0}, recorded_at=OCCURRED)
    version = 1
    ready.put(True)
    start.wait()
    began = time.perf_counter()
    for number in range(appends):
        event = NewEvent("app-1", uuid.uuid4().hex, "NoteAdded", 1, {"text": f"note {number}"},
                         {"actor": "cli"}, OCCURRED)
        store.append([event], expected_versions={"app-1": version}, recorded_at=OCCURRED)
        version += 1
    done.put((began, time.perf_counter()))
    store.close()


class _OpenPostgres:
    def __init__(self, url: str, tenant: str) -> None:
        self.url, self.tenant = url, tenant

    def __call__(self) -> EventStore:
        return PostgresStore(self.url, self.tenant)


class _OpenSQLite:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> EventStore:
        return SQLiteStore(self.path)


def concurrent_appends(openers: list[Callable[[], EventStore]], appends: int) -> int:
    """Appends per second, all writers together, from the first start to the last finish."""
    context = multiprocessing.get_context("fork")
    ready, start, done = context.Queue(), context.Event(), context.Queue()
    workers = [context.Process(target=_writer, args=(opener, appends, ready, start, done))
               for opener in openers]
    for worker in workers:
        worker.start()
    for _ in workers:  # every writer connected, its application submitted
        ready.get(timeout=120)
    start.set()
    spans = [done.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    return per_second(appends * len(workers), last - first)


def concurrency(url: str, folder: Path, appends: int) -> dict[str, dict[int, int]]:
    figures: dict[str, dict[int, int]] = {"postgres": {}, "sqlite": {}}
    for writers in CONCURRENCY:
        run = uuid.uuid4().hex[:6]
        figures["postgres"][writers] = concurrent_appends(
            [_OpenPostgres(url, f"bench-{run}-{n}") for n in range(writers)], appends)
        figures["sqlite"][writers] = concurrent_appends(
            [_OpenSQLite(folder / f"person-{run}-{n}.db") for n in range(writers)], appends)
    return figures


# ---------------------------------------------------------------------------
# The run


def run(args: argparse.Namespace, url: str, folder: Path) -> dict[str, Any]:
    sqlite, search = open_search(folder / "bench.db", args.applications, args.seed)
    postgres = PostgresStore(url, f"bench-{uuid.uuid4().hex[:8]}")
    # The same settings events in both logs, then the same batches.
    for stored in sqlite.read_all():
        postgres.append([NewEvent(stored.stream_id, stored.event_id, stored.type,
                                  stored.schema_version, stored.data, stored.metadata,
                                  stored.occurred_at)], expected_versions={},
                        recorded_at=stored.recorded_at)
    batches = list(synthetic.batched(search.capture.appends, args.batch_size))
    search.forget_history()
    figures: dict[str, dict[str, Any]] = {}
    built = sum(len(b.events) for b in batches)
    for name, store in (("sqlite", sqlite), ("postgres", postgres)):
        seconds = append_batches(store, batches)
        figures[name] = {"events": store.head()[0],
                         "append_batch_events_per_s": per_second(built, seconds)}
    assert sqlite.head() == postgres.head(), "the same appends must give the same chain"
    del batches

    singles = search.notes(args.single, synthetic.START + timedelta(days=synthetic.END_DAYS + 1))
    for name, store in (("sqlite", sqlite), ("postgres", postgres)):
        figures[name]["append_one_per_s"] = per_second(len(singles), append_batches(store, singles))
    # The projections, rebuilt from the whole log (what an upgrade or 'afterview rebuild'
    # does), then read as list, board and status read them.
    rebuilt = best_times({name: lambda store=store: rebuild_projections(store)
                          for name, store in (("sqlite", sqlite), ("postgres", postgres))},
                         args.repeat)
    read = best_times({name: lambda store=store: Engine(store).summaries()
                       for name, store in (("sqlite", sqlite), ("postgres", postgres))},
                      args.repeat)
    for name, (timing, count) in rebuilt.items():
        events = figures[name]["events"]
        figures[name]["rebuild_events_per_s"] = per_second(events, timing.wall)
        figures[name]["applications"] = count
        figures[name]["read_summaries_ms"] = round(read[name][0].wall * 1000, 1)
        assert len(read[name][1]) == count, "every application has its summary"
    head = postgres.head()
    sqlite.close()
    postgres.close()
    return {
        "command": " ".join(["python", "benchmarks/postgres_bench.py", *sys.argv[1:]]),
        "machine": machine(),
        "applications": args.applications,
        "same_head": head[1],
        "figures": figures,
        "concurrent_appends_per_s": concurrency(url, folder, args.concurrent_appends),
    }


def render(result: dict[str, Any]) -> str:
    f = result["figures"]
    m = result["machine"]
    rows = [("one event per transaction (appends/s)", "append_one_per_s"),
            (f"batch append (events/s, {f['sqlite']['events']:,} events)", "append_batch_events_per_s"),
            ("rebuild the projections (events/s)", "rebuild_events_per_s"),
            ("read every summary: status, list, board (ms)", "read_summaries_ms")]
    lines = [f"afterview on PostgreSQL and SQLite: {result['applications']:,} applications, "
             f"{f['postgres']['events']:,} events, the same head in both",
             f"machine: {m['platform']}, {m['cpus']} cores, Python {m['python']}, "
             f"SQLite {m['sqlite']}, load {m['load_1min']:.2f}", "",
             f"{'figure':<52}{'PostgreSQL':>11}{'SQLite':>9}"]
    lines += [f"{label:<52}{f['postgres'][key]:>11,}{f['sqlite'][key]:>9,}" for label, key in rows]
    c = result["concurrent_appends_per_s"]
    lines += ["", "concurrent writers, one event per transaction (appends/s, all together):",
              f"{'writers':<52}{'PostgreSQL':>11}{'SQLite':>9}"]
    lines += [f"{f'{n} (each its own tenant / its own file)':<52}{c['postgres'][n]:>11,}"
              f"{c['sqlite'][n]:>9,}" for n in CONCURRENCY]
    return "\n".join(lines)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=1000, metavar="N")
    parser.add_argument("--single", type=int, default=500, metavar="N",
                        help="one-event appends to time (default 500)")
    parser.add_argument("--batch-size", type=int, default=1000, metavar="N")
    parser.add_argument("--concurrent-appends", type=int, default=200, metavar="N",
                        help="appends by each concurrent writer (default 200)")
    parser.add_argument("--repeat", type=int, default=3, metavar="N")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--url", metavar="URL",
                        help="a PostgreSQL database to use, as its owner (default: a cluster of its own)")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    cluster = None
    if args.url is None:
        bin_dir = pg.server_bin()
        if bin_dir is None:
            sys.exit("error: no PostgreSQL server here (initdb); install postgresql or give --url")
        cluster = pg.Cluster(bin_dir)
        cluster.start(durable=True)
    try:
        if cluster is not None:
            cluster.create_roles()
            database = pg.Database(cluster, cluster.create_database())
            owner_url, url = database.owner_url, database.url
            init_database(owner_url, [pg.APP])
        else:
            owner_url = url = args.url
            init_database(owner_url, [])
        with tempfile.TemporaryDirectory(prefix="afterview-pgbench-") as folder:
            result = run(args, url, Path(folder))
    finally:
        if cluster is not None:
            cluster.stop()
    print(json.dumps(result, indent=2) if args.json else render(result))


if __name__ == "__main__":
    os.environ.pop("AFTERVIEW_NOW", None)
    main()
