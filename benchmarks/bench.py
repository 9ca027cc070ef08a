"""The afterview benchmark: how fast the log is written, replayed and verified, each figure
next to the raw SQLite bound measured in the same run (see benchmarks/README.md).

    python benchmarks/bench.py                      # 5,000 applications, ~100,000 events
    python benchmarks/bench.py --json               # the same figures as one JSON object
    python benchmarks/bench.py --make-db PATH --applications 5000   # only write the log
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

try:
    import afterview  # noqa: F401  # installed (pip install .), or run from a source tree:
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".typing"))  # afterview -> src

# Imported after the path is settled (a source tree without an install still runs).
import bounds
import synthetic

from afterview.engine.runtime.clock import fixed_clock
from afterview.engine.service.api import Engine
from afterview.engine.service.audit import verify_log
from afterview.engine.service.projections import rebuild_projections
from afterview.engine.store.base import EventStore
from afterview.engine.store.sqlite import SQLiteStore

TARGETS = {"rebuild_events_per_s": 150_000, "rebuild_ratio": 0.60, "append_one_ratio": 0.50,
           "verify_ratio": 0.30, "read_over_version": 1.5, "projected_over_replay": 10.0,
           "startup_list_over_pass": 5.0, "startup_version_over_pass": 3.0}
_SELECT_BOUND = "SELECT every row + json.loads(data), same file"


def refuse(message: str, code: int = 2) -> NoReturn:
    """One ``error:`` line on stderr and a non-zero exit, as every afterview command does."""
    print("error: " + " ".join(message.split()), file=sys.stderr)
    raise SystemExit(code)


class Timing(NamedTuple):
    """Seconds of wall clock and of this process's CPU (the steadier on a shared machine)."""

    wall: float
    cpu: float


def best_times(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[Timing, Any]]:
    """For each run, the fastest of ``repeat`` (wall and CPU each) and its last result. The
    runs take turns, round after round, so that a figure and its bound get the same share of
    a machine whose speed drifts; the heap is collected before each run so that one run's
    garbage is not charged to the next."""
    best = {name: Timing(float("inf"), float("inf")) for name in runs}
    results: dict[str, Any] = dict.fromkeys(runs)
    for _ in range(repeat):
        for name, run in runs.items():
            results[name] = None  # drop the previous result before timing the next run
            gc.collect()
            started, used = time.perf_counter(), time.process_time()
            results[name] = run()
            wall, cpu = time.perf_counter() - started, time.process_time() - used
            best[name] = Timing(min(best[name].wall, wall), min(best[name].cpu, cpu))
    return {name: (best[name], results[name]) for name in runs}


# ---------------------------------------------------------------------------
# Building the log


def open_search(path: Path, applications: int, seed: int,
                history: int = 0) -> tuple[SQLiteStore, synthetic.JobSearch]:
    """A new afterview database at ``path`` with the person's settings (through
    ``Engine.set_setting``) and the job search decided (``history`` more steps of a long
    search per application), ready to append."""
    store = SQLiteStore(path)
    setup = Engine(store, clock=fixed_clock(synthetic.START - timedelta(days=1)))
    for key, value in synthetic.SETTINGS.items():
        setup.set_setting(key, value)
    search = synthetic.JobSearch(setup.settings, setup.calendar(), seed)
    search.play(applications, history)
    return store, search


def append_batches(store: EventStore, batches: Sequence[synthetic.Batch]) -> float:
    """Append every batch through ``store.append``; the seconds spent appending."""
    started = time.perf_counter()
    for batch in batches:
        store.append(batch.events, expected_versions=batch.expected_versions,
                     recorded_at=batch.recorded_at)
    return time.perf_counter() - started


def history_steps(applications: int, events: int | None) -> int:
    """How many long-search steps per application bring the log to about ``events``."""
    if events is None:
        return 0
    extra = events - synthetic.EVENTS_PER_STORY * applications
    return max(0, round(extra / (synthetic.EVENTS_PER_HISTORY_STEP * applications)))


def make_db(path: Path, applications: int, seed: int, batch_size: int,
            events: int | None = None) -> dict[str, Any]:
    """Only write the synthetic log into ``path`` (which must not exist yet); with
    ``events``, a log of about that many events on the same ``applications``, grown by
    history (``JobSearch.play``'s long-search steps)."""
    if path.exists():
        refuse(f"{path} already exists: --make-db writes a new database only; give a new path")
    store, search = open_search(path, applications, seed, history_steps(applications, events))
    try:
        append_batches(store, list(synthetic.batched(search.capture.appends, batch_size)))
        rebuild_projections(store)  # as the first command would
        events = store.head()[0]
    finally:
        store.close()
    return {"path": str(path), "applications": applications, "events": events}


# ---------------------------------------------------------------------------
# The command line, in a subprocess


def afterview_command() -> list[str]:
    script = Path(sys.executable).with_name("afterview")
    if script.exists():
        return [str(script)]
    found = shutil.which("afterview")
    return [found] if found else [sys.executable, "-m", "afterview.cli.main"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_times(argvs: dict[str, list[str]], runs: int) -> dict[str, dict[str, float]]:
    """Median wall and CPU milliseconds of each command, run in turns (after one warm-up
    round) so that all of them see the same machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
    walls: dict[str, list[float]] = {name: [] for name in argvs}
    cpus: dict[str, list[float]] = {name: [] for name in argvs}
    for index in range(runs + 1):
        for name, argv in argvs.items():
            started, used = time.perf_counter(), _children_cpu()
            done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                refuse(f"{' '.join(argv)} failed: {done.stderr.strip()}", 1)
            if index:
                walls[name].append(time.perf_counter() - started)
                cpus[name].append(_children_cpu() - used)
    return {name: {"ms": round(statistics.median(walls[name]) * 1000, 1),
                   "cpu_ms": round(statistics.median(cpus[name]) * 1000, 1)} for name in argvs}


def cli_times(db: Path, app_id: str, runs: int) -> dict[str, Any]:
    """``status APP``, ``show APP``, ``list``, ``agenda`` and ``status`` (every application,
    from the projections) against ``afterview --version``; ``status --as-of`` (a replay of
    the whole log, what ``status`` did before the projections) beside ``status``."""
    command = afterview_command()
    on_db = [*command, "--db", str(db)]
    argvs = {"version": [*command, "--version"], "status_app": [*on_db, "status", app_id],
             "show_app": [*on_db, "show", app_id], "list": [*on_db, "list"],
             "agenda": [*on_db, "agenda"], "status_all": [*on_db, "status"],
             "status_all_replayed": [*on_db, "status", "--as-of", "2100-01-01"]}
    ms = command_times(argvs, runs)
    version = ms["version"]
    ratios = {name: {**ms[name], "ratio": round(ms[name]["ms"] / version["ms"], 2),
                     "cpu_ratio": round(ms[name]["cpu_ms"] / version["cpu_ms"], 2)}
              for name in argvs}
    for name in ("status_app", "show_app", "list"):
        ratios[name]["target"] = f"<= {TARGETS['read_over_version']:g} x --version"
        ratios[name]["met"] = (ratios[name]["ratio"] <= TARGETS["read_over_version"]
                               and ratios[name]["cpu_ratio"] <= TARGETS["read_over_version"])
    replayed, projected = ms["status_all_replayed"], ms["status_all"]
    ratios["status_all"].update(
        replay_over_projected=round(replayed["ms"] / projected["ms"], 2),
        cpu_replay_over_projected=round(replayed["cpu_ms"] / projected["cpu_ms"], 2),
        target=f"replay >= {TARGETS['projected_over_replay']:g} x slower",
        met=replayed["ms"] / projected["ms"] >= TARGETS["projected_over_replay"])
    return {"app": app_id, "runs": runs, "commands": ratios}


def startup_times(folder: Path, runs: int) -> dict[str, Any]:
    """``--version``, ``list`` and ``agenda`` on the demo database, against ``python -c
    pass`` in the same run (CPU decides: start-up is CPU)."""
    command = afterview_command()
    small = folder / "small.db"
    subprocess.run([*command, "--db", str(small), "demo"], capture_output=True, check=True)
    argvs = {"python_pass": [sys.executable, "-c", "pass"], "version": [*command, "--version"],
             "list": [*command, "--db", str(small), "list"],
             "agenda": [*command, "--db", str(small), "agenda"]}
    ms = command_times(argvs, runs)
    base = ms["python_pass"]["cpu_ms"]
    result: dict[str, Any] = {"runs": runs, "commands": ms}
    for name, target in (("version", TARGETS["startup_version_over_pass"]),
                         ("list", TARGETS["startup_list_over_pass"]),
                         ("agenda", TARGETS["startup_list_over_pass"])):
        ratio = ms[name]["cpu_ms"] / base
        ms[name].update(cpu_over_pass=round(ratio, 2), target=f"<= {target:g} x python -c pass",
                        met=ratio <= target)
    return result


def replay_every_application(store: SQLiteStore) -> list[Any]:
    """What every read did before the projections: replay the whole log."""
    from afterview.engine.domain.state import rebuild

    engine = Engine(store)
    return [app for stream_id, facts in engine.all_facts().items()
            if (app := rebuild(stream_id, facts)).exists]


# ---------------------------------------------------------------------------
# The run


def figure(events: int, seconds: float, bound_events: int, bound_seconds: float,
           bound: str, target: str = "-") -> dict[str, Any]:
    """One figure in events/s beside its bound (``bound_events`` in ``bound_seconds``)."""
    per_s, bound_per_s = events / seconds, bound_events / bound_seconds
    return {"events": events, "seconds": round(seconds, 4), "events_per_s": round(per_s),
            "bound": bound, "bound_events_per_s": round(bound_per_s),
            "ratio": round(per_s / bound_per_s, 3), "target": target, "met": None}


def read_figure(events: int, timing: Timing, bound: Timing, target: str = "-") -> dict[str, Any]:
    """A read figure against SELECT + json.loads, in wall clock and in CPU time."""
    result = figure(events, timing.wall, events, bound.wall, _SELECT_BOUND, target)
    result.update(cpu_events_per_s=round(events / timing.cpu),
                  cpu_bound_events_per_s=round(events / bound.cpu),
                  cpu_ratio=round(bound.cpu / timing.cpu, 3))
    return result


def machine() -> dict[str, Any]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"platform": platform.platform(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "load_1min": load}


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    db = folder / "bench.db"
    started = time.perf_counter()
    store, search = open_search(db, args.applications, args.seed)
    decided = time.perf_counter() - started
    batches = list(synthetic.batched(search.capture.appends, args.batch_size))
    built = sum(len(b.events) for b in batches)
    search.forget_history()
    batch_seconds = append_batches(store, batches)
    events = store.head()[0]
    del batches

    rows = bounds.all_rows(db)
    raw = bounds.raw_twin(db, folder / "raw.db")
    raw_batch_seconds = bounds.raw_batch_insert(raw, rows, args.batch_size)
    del rows

    timed = best_times({"select": lambda: bounds.select_bound(db),
                        "rebuild": lambda: rebuild_projections(store),
                        "verify": lambda: verify_log(store),
                        "replay": lambda: len(replay_every_application(store)),
                        "projected": lambda: len(Engine(store).summaries()),
                        "whole": lambda: len(Engine(store).applications())}, args.repeat)
    ((select, _), (rebuild, built), (verify, report), (replay, replayed), (projected, read),
     (whole, read_whole)) = timed.values()
    del timed
    if not built == replayed == read == read_whole == args.applications:
        refuse(f"rebuilt {built}, replayed {replayed}, read {read} summaries and {read_whole} "
               f"applications, wrote {args.applications}", 1)
    if not report["ok"]:
        refuse(f"the benchmark log does not verify: {report['problems'][:3]}", 1)
    middle = sorted(store.stream_ids())[len(store.stream_ids()) // 2]
    cli = cli_times(db, middle, args.runs)
    startup = startup_times(folder, args.runs)

    singles = search.notes(args.single, synthetic.START + timedelta(days=synthetic.END_DAYS + 1))
    raw_rows = bounds.raw_rows_for(singles, events + 1)
    one_seconds, raw_one_seconds = bounds.one_event_appends(store, singles, raw, raw_rows)
    store.close()
    raw.close()
    return {
        "command": " ".join(["python", "benchmarks/bench.py", *sys.argv[1:]]),
        "machine": machine(),
        "applications": args.applications,
        "events": events,
        "build": {"decide_seconds": round(decided, 2), "events_decided": built,
                  "batch_size": args.batch_size},
        "figures": judged({
            "append_one": figure(len(singles), one_seconds, len(raw_rows), raw_one_seconds,
                                 "plain INSERT, one commit per row (same table, PRAGMAs, disk)",
                                 f">= {TARGETS['append_one_ratio']:.0%} of the bound"),
            "append_batch": figure(built, batch_seconds, built, raw_batch_seconds,
                                   f"plain INSERT of ready rows, {args.batch_size} per commit"),
            "rebuild": read_figure(events, rebuild, select,
                                   f">= {TARGETS['rebuild_events_per_s']:,} events/s and >= "
                                   f"{TARGETS['rebuild_ratio']:.0%} of the bound"),
            "verify": read_figure(events, verify, select,
                                  f">= {TARGETS['verify_ratio']:.0%} of the bound"),
            "every_application": read_figure(events, projected, replay,
                                             f">= {TARGETS['projected_over_replay']:g} x the replay"),
            "every_whole_application": read_figure(events, whole, replay),
        }),
        "cli": cli,
        "startup": startup,
    }


def judged(figures: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mark the figures that have a target as met or not (wall-clock figures decide)."""
    one, rebuild = figures["append_one"], figures["rebuild"]
    one["met"] = one["ratio"] >= TARGETS["append_one_ratio"]
    figures["verify"]["met"] = figures["verify"]["ratio"] >= TARGETS["verify_ratio"]
    every = figures["every_application"]
    every["bound"] = ("replaying the whole log (every application rebuilt), same store; "
                      "read: every summary (what list, board and status show)")
    every["met"] = every["ratio"] >= TARGETS["projected_over_replay"]
    figures["every_whole_application"]["bound"] = (
        "replaying the whole log, same store; read: every whole application (what compare, "
        "stats and the web app read)")
    rebuild["met"] = (rebuild["events_per_s"] >= TARGETS["rebuild_events_per_s"]
                      and rebuild["ratio"] >= TARGETS["rebuild_ratio"])
    return figures


def render(result: dict[str, Any]) -> str:
    names = {"append_one": "one event per transaction", "append_batch": "batch append",
             "rebuild": "rebuild the projections", "verify": "verify (+ projections)",
             "every_application": "every summary (status)",
             "every_whole_application": "every whole application"}
    m, c = result["machine"], result["cli"]
    lines = [
        f"afterview benchmark: {result['applications']:,} applications, "
        f"{result['events']:,} events (decided in {result['build']['decide_seconds']} s)",
        f"machine: {m['platform']}, {m['cpus']} cores, Python {m['python']}, "
        f"SQLite {m['sqlite']}, load {m['load_1min']:.2f}",
        "",
        f"{'figure':<27}{'events/s':>9}{'bound/s':>9}{'ratio':>7}{'cpu ratio':>10}  target",
    ]
    for key, name in names.items():
        f = result["figures"][key]
        verdict = "" if f["met"] is None else ("  met" if f["met"] else "  MISSED")
        cpu = f"{f['cpu_ratio']:.2f}" if "cpu_ratio" in f else ""
        lines.append(f"{name:<27}{f['events_per_s']:>9,}{f['bound_events_per_s']:>9,}"
                     f"{f['ratio']:>7.2f}{cpu:>10}  {f['target']}{verdict}")
    lines += ["", f"commands on this log (APP = {c['app']}), medians of {c['runs']}:",
              *_command_lines(c["commands"], "ratio"),
              "", "start-up on the demo database, against python -c pass:",
              *_command_lines(result["startup"]["commands"], "cpu_over_pass")]
    lines += [
        "",
        "bounds, measured in this run:",
        *(f"  {names[k]}: {f['bound']}" for k, f in result["figures"].items()),
    ]
    return "\n".join(lines)


def _command_lines(commands: dict[str, dict[str, Any]], ratio: str) -> list[str]:
    lines = []
    for name, figures in commands.items():
        shown = f"  {name:<20}{figures['ms']:>8} ms  CPU {figures['cpu_ms']:>7} ms"
        if ratio in figures:
            shown += f"  {ratio} {figures[ratio]}"
        if "cpu_ratio" in figures and ratio == "ratio":
            shown += f" (CPU {figures['cpu_ratio']})"
        if "replay_over_projected" in figures:
            shown += (f"; status --as-of (replay) / status: {figures['replay_over_projected']}"
                      f" (CPU {figures['cpu_replay_over_projected']})")
        if "met" in figures:
            shown += f"  target {figures['target']}  {'met' if figures['met'] else 'MISSED'}"
        lines.append(shown)
    return lines


# ---------------------------------------------------------------------------
# Flat scale: the same commands on logs of growing size


_PEAK_REBUILD = """
import resource, sys, time
from afterview.engine.service.projections import rebuild_projections
from afterview.engine.store.sqlite import SQLiteStore
with SQLiteStore(sys.argv[1]) as store:
    started = time.perf_counter()
    apps = rebuild_projections(store)
    seconds = time.perf_counter() - started
print(apps, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def scale(dbs: Sequence[Path], runs: int) -> dict[str, Any]:
    """``list``, ``agenda`` and ``status APP`` on each log (made by --make-db), their
    growth from the smallest to the largest, and the peak memory of a full rebuild."""
    command = afterview_command()
    sizes = []
    for db in dbs:
        with SQLiteStore(db) as store:
            events = store.head()[0]
            ids = store.stream_ids()
        app_id = ids[len(ids) // 2]
        on_db = [*command, "--db", str(db)]
        ms = command_times({"version": [*command, "--version"], "list": [*on_db, "list"],
                            "agenda": [*on_db, "agenda"],
                            "status_app": [*on_db, "status", app_id]}, runs)
        done = subprocess.run([sys.executable, "-c", _PEAK_REBUILD, str(db)], check=True,
                              capture_output=True, text=True)
        apps, seconds, peak_kb = done.stdout.split()
        sizes.append({"db": str(db), "events": events, "applications": int(apps),
                      "commands": ms, "rebuild_seconds": round(float(seconds), 2),
                      "rebuild_peak_rss_mb": round(int(peak_kb) / 1024, 1)})
    growth = {name: {kind: round(sizes[-1]["commands"][name][kind]
                                 / sizes[0]["commands"][name][kind], 2)
                     for kind in ("ms", "cpu_ms")}
              for name in ("list", "agenda", "status_app")}
    return {"command": " ".join(["python", "benchmarks/bench.py", *sys.argv[1:]]),
            "sizes": sizes, "growth_smallest_to_largest": growth, "target": "<= 1.3"}


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=5000, metavar="N",
                        help="applications in the synthetic job search (default 5000, ~100,000 events)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--make-db", type=Path, metavar="PATH",
                        help="only write the synthetic log into PATH (a new afterview database)")
    parser.add_argument("--events", type=int, metavar="N",
                        help="with --make-db: grow the log to about N events by the history of "
                             "the same --applications (notes, follow-ups, snoozes, interviews "
                             "moved), not by more applications")
    parser.add_argument("--single", type=int, default=2000, metavar="N",
                        help="one-event appends to time (default 2000)")
    parser.add_argument("--batch-size", type=int, default=1000, metavar="N",
                        help="events per batch append (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, metavar="N",
                        help="rounds of the read figures; the fastest of each counts (default 5)")
    parser.add_argument("--runs", type=int, default=10, metavar="N",
                        help="runs of each command for the status/--version medians (default 10)")
    parser.add_argument("--scale", type=Path, nargs="+", metavar="DB",
                        help="only time list, agenda, status APP and a rebuild's peak memory on "
                             "these logs (made by --make-db), smallest first")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--dir", type=Path, metavar="FOLDER",
                        help="where the benchmark databases go (default: a temporary folder)")
    args = parser.parse_args(argv)
    for name in ("applications", "single", "batch_size", "repeat", "runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be 1 or more")
    if args.events is not None and (args.make_db is None or args.events < 1):
        parser.error("--events N (1 or more) goes with --make-db")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    if args.scale:
        print(json.dumps(scale(args.scale, args.runs), indent=2))
        return
    if args.make_db is not None:
        made = make_db(args.make_db, args.applications, args.seed, args.batch_size, args.events)
        if args.json:
            print(json.dumps(made))
        else:
            print(f"wrote {made['events']:,} events for {made['applications']:,} applications "
                  f"to {made['path']}")
        return
    with tempfile.TemporaryDirectory(prefix="afterview-bench-", dir=args.dir) as folder:
        result = run(args, Path(folder))
    print(json.dumps(result, indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()
