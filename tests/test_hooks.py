"""Hooks as real processes: a hook that hangs is stopped with every process it started, a
hook that prints a lot costs no memory, a slow hook delays no other firing, and a hook only
ever starts after its firing is committed."""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from afterview.engine.runtime.hooks import HOOK_WORKERS, OUTPUT_CAP, run_hook
from conftest import CLI, afterview_command
from test_daemon import Daemon, _setup

pytestmark = pytest.mark.slow


def _gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaped yet counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _wait_until(found: object, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not found():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("leader", ["waits", "exits"])
def test_a_hook_and_every_process_it_started_are_stopped_at_the_timeout(
        tmp_path: Path, leader: str) -> None:
    """The child either runs beside a hook that hangs, or outlives a hook that exits at
    once while holding its output: at the timeout the whole process group is killed."""
    pid_file = tmp_path / "child.pid"
    script = f"sleep 300 & echo $! > {pid_file}; " + ("wait" if leader == "waits" else "exit 0")
    ran = run_hook(("sh", "-c", script), "{}", timeout=1.0)
    assert ran.timed_out and ran.status is None
    child = int(pid_file.read_text())
    _wait_until(lambda: _gone(child))


def test_hook_output_is_read_in_chunks_and_capped(tmp_path: Path) -> None:
    """256 MiB on stdout and stderr: read to the end, only the last 64 KiB kept."""
    writer = ("import sys\n"
              "block = b'x' * 65535 + b'\\n'\n"
              "for _ in range(2048):\n"
              "    sys.stdout.buffer.write(block)\n"
              "    sys.stderr.buffer.write(block)\n"
              "sys.stderr.write('the last line\\n')\n"
              "sys.exit(4)\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    ran = run_hook((sys.executable, "-c", writer), "{}", timeout=120)
    grew_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert (ran.status, ran.timed_out) == (4, False)
    assert ran.output_bytes == 2 * 2048 * 65536 + len("the last line\n")
    assert ran.stderr_tail == ": the last line"
    assert grew_kib < 64 * 1024, f"reading 256 MiB grew this process by {grew_kib} KiB"
    assert OUTPUT_CAP == 64 * 1024


def test_a_hook_that_does_not_read_a_large_input_is_stopped_not_stuck() -> None:
    ran = run_hook(("sleep", "30"), "x" * (1 << 20), timeout=0.5)
    assert ran.timed_out


def _hook_script(tmp_path: Path, db: Path) -> Path:
    """A hook that records whether its firing was in the log when it started, then blocks
    until the test creates ``release``: a hook as slow as the test wants."""
    script = tmp_path / "hook.py"
    script.write_text(f"""
import json, sqlite3, sys, time
from pathlib import Path
task = json.load(sys.stdin)
with sqlite3.connect({str(db)!r}) as conn:
    committed = conn.execute(
        "SELECT count(*) FROM events WHERE type = 'TaskFired' "
        "AND json_extract(data, '$.task_id') = ?", (task["id"],)).fetchone()[0]
folder = Path({str(tmp_path)!r})
(folder / ("started-" + task["id"])).write_text(str(committed))
while not (folder / "release").exists():
    time.sleep(0.02)
""", encoding="utf-8")
    return script


def test_a_slow_hook_delays_no_other_firing_and_starts_after_the_commit(
        tmp_path: Path) -> None:
    live = CLI(tmp_path / "live.db", now=None)
    late, _ = _setup(live, overdue=HOOK_WORKERS + 3, soon=[])
    hook = f"{sys.executable} {_hook_script(tmp_path, live.db)}"
    daemon = Daemon(live, "--hook", hook, "--hook-timeout", "120")
    try:
        # Every firing is recorded and printed while the hooks are blocked: firings do not
        # wait for hooks (before, they shared four workers: the fifth firing waited).
        daemon.wait_for(lambda: sorted(daemon.fired()) == sorted(late), timeout=60)
        _wait_until(lambda: len(list(tmp_path.glob("started-*"))) == HOOK_WORKERS)
        (tmp_path / "release").touch()
        _wait_until(lambda: len(list(tmp_path.glob("started-*"))) == len(late))
        for marker in tmp_path.glob("started-*"):
            assert marker.read_text() == "1", f"{marker.name}: the hook ran before its commit"
        assert daemon.stop()[0] == 0
        assert not [line for _, line in daemon.err if line.startswith("hook ")], daemon.err
    finally:
        if daemon.proc.poll() is None:
            daemon.kill()


def test_tick_waits_for_its_hooks_and_reports_a_timeout(tmp_path: Path) -> None:
    live = CLI(tmp_path / "live.db", now=None)
    late, _ = _setup(live, overdue=2, soon=[])
    pid_file = tmp_path / "pids"
    hook = f"sh -c 'sleep 300 & echo $! >> {pid_file}; wait'"
    done = subprocess.run([*afterview_command(), "tick", "--no-desktop", "--hook", hook,
                           "--hook-timeout", "1"], capture_output=True, text=True,
                          env=live.env(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(line.split()[2] for line in done.stdout.splitlines()) == sorted(late)
    stopped = [line for line in done.stderr.splitlines() if "still running after 1 s" in line]
    assert len(stopped) == 2, done.stderr
    for pid in map(int, pid_file.read_text().split()):
        _wait_until(lambda pid=pid: _gone(pid))
    with sqlite3.connect(live.db) as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE type = 'TaskFired'"
                            ).fetchone()[0] == 2
