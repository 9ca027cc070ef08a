"""Privacy: a job search holds salaries and names.

- Every file afterview creates (the database, its -wal and -shm journals, exports, the SVG)
  is 0600 and every folder it creates 0700, even under ``umask 000``.
- Nothing connects anywhere at run time: a ``sitecustomize`` on PYTHONPATH makes every
  socket connection and name lookup fail and records the attempt, in a whole scripted
  session and in a running daemon.
- The daemon runs its hook and ``notify-send`` without a shell, with the task as data: a
  company named ``$(touch pwned)`` stays text. (``tick`` is covered in test_tick.py.)
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import afterview_command
from crash_worker import NOW, ZONE, InProcessCLI, Watched, stop_started

WORKER = Path(__file__).with_name("crash_worker.py")

NO_NETWORK = '''\
"""Installed by test_privacy.py: every connection attempt is recorded, then refused."""
import os, socket

_RECORD = os.environ["AFTERVIEW_TEST_NET_RECORD"]


def _refuse(what):
    def refused(*args, **kwargs):
        with open(_RECORD, "a") as out:
            out.write(f"{what} {args!r}\\n")
        raise OSError(f"network access is forbidden in this test: {what}")
    return refused


with open(_RECORD, "a") as out:
    out.write("installed\\n")
socket.socket.connect = _refuse("connect")
socket.socket.connect_ex = _refuse("connect_ex")
socket.socket.sendto = _refuse("sendto")
socket.create_connection = _refuse("create_connection")
socket.getaddrinfo = _refuse("getaddrinfo")
socket.gethostbyname = _refuse("gethostbyname")
'''

NOTIFY_SEND = """\
import json, sys
with open(sys.argv[0] + ".calls", "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
"""

HOOK = """\
import json, sys
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"argv": sys.argv[2:], "task": json.loads(sys.stdin.read())}) + "\\n")
"""

EVIL = "Acme $(touch pwned) `touch pwned2`; rm -rf nothing & <b>"


@pytest.fixture(autouse=True)
def _no_leftover_processes() -> Iterator[None]:
    yield
    stop_started()


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, str]:
    """An environment with the network closed off, a fake notify-send first on PATH, the
    clock fixed; commands start in ``tmp_path/cwd``."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_NETWORK)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "notify-send"
    fake.write_text(f"#!{sys.executable}\n{NOTIFY_SEND}")
    fake.chmod(0o755)
    (tmp_path / "cwd").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")])),
               PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", AFTERVIEW_NOW=NOW, TZ=ZONE,
               AFTERVIEW_TEST_NET_RECORD=str(tmp_path / "network.log"), NO_COLOR="1")
    return env


def network_attempts(tmp_path: Path) -> list[str]:
    lines = (tmp_path / "network.log").read_text().splitlines()
    assert "installed" in lines, "the no-network hook did not load: the test proved nothing"
    return [line for line in lines if line != "installed"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_no_network_hook_would_catch_a_connection(sandbox: dict[str, str],
                                                      tmp_path: Path) -> None:
    code = "import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)"
    done = subprocess.run([sys.executable, "-c", code], env=sandbox, capture_output=True,
                          text=True, cwd=tmp_path / "cwd")
    assert done.returncode == 1 and "network access is forbidden" in done.stderr
    assert network_attempts(tmp_path) == ["create_connection (('127.0.0.1', 9),)"]


SESSION = [
    ["config", "set", "timezone", ZONE], ["config", "set", "country", "US"],
    ["config", "set", "target_salary", "170000"],
    ["apply", "Acme", "Backend Engineer", "--id", "acme", "--at", "2026-11-02", "--contact",
     "Ana", "--url", "https://acme.example/jobs/1"],
    ["apply", "Globex", "Data Engineer", "--id", "globex", "--at", "2026-11-03"],
    ["interview", "acme", "--on", "2026-11-12T14:00", "--with", "Ana", "--at", "2026-11-05"],
    ["debrief", "acme", "--with", "Ana", "--question", "Why us?", "--answer", "Your logs",
     "--better", "Say more", "--at", "2026-11-12T15:00"],
    ["thanks", "acme", "--to", "Ana", "--at", "2026-11-12T18:00"],
    ["offer", "acme", "--salary", "150000", "--bonus", "10%", "--respond-by", "2026-11-27",
     "--at", "2026-11-16"],
    ["counter", "acme", "--salary", "165000", "--reason", "market", "--at", "2026-11-17"],
    ["offer", "acme", "--salary", "160000", "--at", "2026-11-19"],
    ["agenda"], ["show", "acme"], ["compare"], ["stats"], ["stats", "--svg", "OUT/funnel.svg"],
    ["report"], ["practice"], ["draft", "thank-you", "acme"], ["history", "acme"],
    ["status", "--as-of", "2026-11-10"], ["accept", "acme", "--start", "2027-01-04"],
    ["tick", "--no-desktop"], ["tick"], ["verify"], ["diagram"],
    ["export", "--output", "OUT/log.json"], ["export", "--format", "csv", "--output", "OUT/apps.csv"],
    ["export", "--format", "ics", "--output", "OUT/calendar.ics"],
    ["--db", "OUT/copy/again.db", "import", "OUT/log.json"],
]


def test_a_whole_session_under_umask_000_is_private_and_never_connects(
        sandbox: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    commands = tmp_path / "session.json"
    commands.write_text(json.dumps([[w.replace("OUT", str(out)) for w in argv]
                                    for argv in SESSION]))
    db = tmp_path / "private" / "search" / "afterview.db"
    done = subprocess.run([sys.executable, str(WORKER), "script", str(db), str(commands)],
                          env=sandbox, capture_output=True, text=True, umask=0,
                          cwd=tmp_path / "cwd", timeout=120)
    assert done.returncode == 0, done.stderr
    outcomes = [json.loads(line) for line in done.stdout.splitlines()]
    failed = [o for o in outcomes if o["code"] != 0]
    assert len(outcomes) == len(SESSION) and not failed, failed

    assert network_attempts(tmp_path) == []
    created = [db, out / "log.json", out / "apps.csv", out / "calendar.ics",
               out / "funnel.svg", out / "copy" / "again.db"]
    assert {str(p): mode(p) for p in created} == {str(p): 0o600 for p in created}
    folders = [db.parent, db.parent.parent, out / "copy"]
    assert {str(p): mode(p) for p in folders} == {str(p): 0o700 for p in folders}
    assert mode(out) == 0o755  # a folder it did not create is left as it was
    assert InProcessCLI(out / "copy" / "again.db").json("verify")["ok"]


def test_a_running_daemon_keeps_its_files_private_never_connects_and_never_uses_a_shell(
        sandbox: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "private" / "afterview.db"
    received = tmp_path / "hook.calls"
    hook_script = tmp_path / "hook.py"
    hook_script.write_text(HOOK)
    setup = InProcessCLI(db)
    setup.ok("config", "set", "timezone", ZONE)
    setup.ok("apply", EVIL, "Dev `id`", "--id", "evil", "--at", "2026-11-02")

    hook = shlex.join([sys.executable, str(hook_script), str(received), "$(touch pwned)", "a;b"])
    daemon = Watched([*afterview_command(), "daemon", "--poll", "0.2", "--hook", hook],
                     {**sandbox, "AFTERVIEW_DB": str(db)}, cwd=tmp_path / "cwd", umask=0)
    daemon.wait_for(" fired ")
    wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
    journal_modes = {p.name: mode(p) for p in (wal, shm) if p.exists()}
    deadline = time.monotonic() + 20
    def firing_hooked() -> bool:  # the hook runs after the line (the digest's may run first)
        return received.exists() and any(
            json.loads(line)["task"].get("kind") != "digest"
            for line in received.read_text().splitlines() if line.endswith("}"))

    while not firing_hooked() and time.monotonic() < deadline:
        time.sleep(0.05)
    daemon.process.send_signal(signal.SIGTERM)
    err = daemon.finish()
    assert daemon.process.returncode == 0, err

    assert journal_modes and set(journal_modes.values()) == {0o600}, journal_modes
    assert network_attempts(tmp_path) == []
    calls = [json.loads(line) for line in received.read_text().splitlines()]
    # The firing's call; the day's digest, sent too when the wall clock is past 09:00 in
    # New York, carries "kind": "digest" and the same arguments.
    [call] = [c for c in calls if c["task"].get("kind") != "digest"]
    title = f"Follow up on your application to {EVIL} (Dev `id`)"
    assert all(c["argv"] == ["$(touch pwned)", "a;b"] for c in calls)
    assert call["task"]["title"] == title
    notified = [json.loads(line) for line in
                (tmp_path / "bin" / "notify-send.calls").read_text().splitlines()]
    [argv] = [a for a in notified if not a[2].startswith("afterview: digest")]
    assert argv[:2] == ["--app-name=afterview", "--"] and argv[2] == title and len(argv) == 4
    assert all(a[:2] == ["--app-name=afterview", "--"] and len(a) == 4 for a in notified)
    assert not [p for p in tmp_path.rglob("pwned*")], "a title or argument reached a shell"
