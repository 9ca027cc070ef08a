"""The benchmark runs end to end at a tiny size: it reports every figure with its bound and
ratio, and ``--make-db`` writes a database that the command line opens and verifies.
Nothing here is timed: the figures themselves are in docs/performance.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import CLI

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
DAEMON_BENCH = BENCH.with_name("daemon_scale.py")
FIGURES = ("append_one", "append_batch", "rebuild", "verify", "every_application",
           "every_whole_application")


def bench(*args: str, script: Path = BENCH) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
    return subprocess.run([sys.executable, str(script), *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def test_json_reports_every_figure_its_bound_and_ratio(tmp_path: Path) -> None:
    done = bench("--applications", "30", "--single", "20", "--runs", "2", "--repeat", "1",
                 "--json", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["applications"] == 30
    assert result["events"] > 30 * 5  # a story per application, not one event each
    for name in FIGURES:
        figure = result["figures"][name]
        for key in ("events_per_s", "bound_events_per_s", "ratio"):
            assert positive(figure[key]), (name, key, figure[key])
        assert figure["bound"]
    for name in ("rebuild", "verify", "every_application",
                 "every_whole_application"):  # reads also in CPU time
        for key in ("cpu_events_per_s", "cpu_bound_events_per_s", "cpu_ratio"):
            assert positive(result["figures"][name][key]), (name, key)
    assert result["figures"]["append_one"]["events"] == 20
    assert result["figures"]["rebuild"]["events"] == result["events"]
    commands = result["cli"]["commands"]
    for name in ("version", "status_app", "show_app", "list", "agenda", "status_all",
                 "status_all_replayed"):
        for key in ("ms", "cpu_ms", "ratio", "cpu_ratio"):
            assert positive(commands[name][key]), (name, key, commands[name][key])
    for name in ("status_app", "show_app", "list", "status_all"):
        assert isinstance(commands[name]["met"], bool) and commands[name]["target"]
    assert positive(commands["status_all"]["replay_over_projected"])
    startup = result["startup"]["commands"]
    for name in ("version", "list", "agenda"):
        assert positive(startup[name]["cpu_over_pass"]) and isinstance(startup[name]["met"], bool)
    assert list(tmp_path.iterdir()) == []  # its databases were temporary


def test_make_db_writes_a_database_every_command_opens(tmp_path: Path) -> None:
    db = tmp_path / "bench" / "search.db"
    done = bench("--make-db", str(db), "--applications", "40", "--json")
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    cli = CLI(db, now=None)
    listed = cli.json("list")
    assert len(listed) == 40
    report = cli.json("verify")
    assert report["ok"] and report["events"] == made["events"] > 40 * 5
    app = listed[len(listed) // 2]["id"]
    assert cli.json("status", app)["id"] == app
    states = [row["state_after"] for row in cli.json("history", app)]
    assert states[0] == "applied"


def test_make_db_with_events_grows_the_history_of_the_same_applications(tmp_path: Path) -> None:
    stories, longer = tmp_path / "stories.db", tmp_path / "longer.db"
    assert bench("--make-db", str(stories), "--applications", "10").returncode == 0
    done = bench("--make-db", str(longer), "--applications", "10", "--events", "1500",
                 "--json")
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert len(CLI(longer, now=None).json("list")) == 10
    report = CLI(longer, now=None).json("verify")
    assert report["ok"] and report["events"] == made["events"]
    assert made["events"] > 3 * CLI(stories, now=None).json("verify")["events"]
    refused = bench("--events", "1500")
    assert refused.returncode == 2 and "--events" in refused.stderr


def test_scale_reports_growth_and_the_rebuilds_peak_memory(tmp_path: Path) -> None:
    dbs = [tmp_path / "small.db", tmp_path / "large.db"]
    for db, applications in zip(dbs, ("5", "20"), strict=True):
        assert bench("--make-db", str(db), "--applications", applications).returncode == 0
    done = bench("--scale", *map(str, dbs), "--runs", "1")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [size["events"] for size in result["sizes"]] == sorted(
        size["events"] for size in result["sizes"])
    for size in result["sizes"]:
        assert positive(size["rebuild_peak_rss_mb"]) and size["applications"] > 0
    for name in ("list", "agenda", "status_app"):
        assert positive(result["growth_smallest_to_largest"][name]["ms"])


def test_make_db_never_writes_into_an_existing_file(tmp_path: Path) -> None:
    db = tmp_path / "mine.db"
    db.write_bytes(b"someone's data")
    done = bench("--make-db", str(db), "--applications", "5")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1
    assert db.read_bytes() == b"someone's data"


def test_the_daemon_benchmark_fires_every_task_once_in_tick_and_in_the_daemon(
        tmp_path: Path) -> None:
    done = bench("--tasks", "20", "--rounds", "1", "--poll", "0.2", "--json", "--dir",
                 str(tmp_path), script=DAEMON_BENCH)
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)["rounds"]
    assert result["tick"]["fired"] == result["daemon"]["fired"] == 20
    assert result["tick"]["lines"] == 20 and result["daemon"]["lines"] <= 20 + 4
    assert result["daemon"]["exit"] == 0


def test_the_open_tasks_benchmark_reads_one_change_and_reports_the_firing(
        tmp_path: Path) -> None:
    done = bench("--open-tasks", "30", "--poll", "0.2", "--idle", "0.2", "--json", "--dir",
                 str(tmp_path), script=DAEMON_BENCH)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verify"]["exit"] == 0 and result["events"] == 2 * 30 + 2  # + 2 settings
    for memory in (result["memory_ready_mb"], result["memory_after_firing_mb"]):
        assert positive(memory["VmRSS"]) and memory["VmHWM"] >= memory["VmRSS"]
    assert isinstance(result["fired_late_seconds"]["recorded"], float)
    reads = result["reconcile_reads"]
    assert (reads["after_one_change"]["tasks_read"], reads["after_one_change"]["applications"]) \
        == (1, 1)
    assert (reads["full"]["tasks_read"], reads["full"]["applications"]) == (30, None)
    assert result["exit"] == 0
    assert list(tmp_path.iterdir()) == []


def test_the_postgres_benchmark_reports_both_backends_and_the_same_head(pg_db: Any) -> None:
    script = BENCH.with_name("postgres_bench.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
    done = subprocess.run(
        [sys.executable, str(script), "--url", pg_db.owner_url, "--applications", "12",
         "--single", "5", "--concurrent-appends", "3", "--repeat", "1", "--json"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result["same_head"]) == 64
    for backend in ("postgres", "sqlite"):
        figures = result["figures"][backend]
        assert figures["applications"] == 12
        assert all(positive(figures[key]) for key in
                   ("append_one_per_s", "append_batch_events_per_s", "rebuild_events_per_s"))
        assert set(result["concurrent_appends_per_s"][backend]) == {"1", "4", "16"}
