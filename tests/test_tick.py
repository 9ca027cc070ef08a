"""``afterview tick``: one pass as of now that fires every open due task exactly once and
notifies (a line, notify-send, the --hook command), through the real command line.

The clock is fixed at Fri 2026-11-20 10:00 New York (the `cli` fixture).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import pytest

from conftest import CLI, NOW, ZONE

NOTIFY_SEND = """\
import json, sys
with open(sys.argv[0] + ".calls", "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
"""

HOOK = """\
import json, pathlib, sys
task = json.loads(sys.stdin.read())
folder = pathlib.Path(sys.argv[1])
(folder / (task["id"] + ".json")).write_text(json.dumps({"task": task, "argv": sys.argv[2:]}))
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """acme: follow-up-application due Mon 16 Nov (overdue); gamma: thank-you due today
    09:00 (overdue); beta: follow-up-application due in December. Built once, copied."""
    runner = CLI(tmp_path_factory.mktemp("prepared") / "afterview.db")
    runner.ok("config", "set", "timezone", ZONE)
    runner.ok("config", "set", "digest", "false")  # firings only: the digest is tested below
    runner.ok("apply", "Acme", "Dev", "--id", "acme", "--at", "2026-11-02")
    runner.ok("apply", "Beta", "Dev", "--id", "beta", "--at", "2026-11-19")
    runner.ok("apply", "Gamma", "Dev", "--id", "gamma", "--at", "2026-11-16")
    runner.ok("debrief", "gamma", "--with", "Ann", "--at", "2026-11-19T09:00")
    return runner.db


@pytest.fixture
def searched(prepared: Path, tmp_path: Path) -> CLI:
    """The real CLI on a copy of the prepared search (the file is whole: no process has it
    open, so there is no -wal beside it)."""
    db = tmp_path / "search" / "afterview.db"
    db.parent.mkdir(mode=0o700)
    shutil.copy(prepared, db)
    return CLI(db)


def _task_id(cli: CLI, application: str, kind: str) -> str:
    [found] = [t["id"] for t in cli.json("agenda", "--all")
               if (t["application"], t["kind"]) == (application, kind)]
    return str(found)


def _fired_count(cli: CLI) -> int:
    import sqlite3

    with sqlite3.connect(cli.db) as conn:
        return int(conn.execute("SELECT count(*) FROM events WHERE type = 'TaskFired'").fetchone()[0])


def _python_command(script: Path, *args: str) -> str:
    return shlex.join([sys.executable, str(script), *args])


def test_tick_fires_each_overdue_task_once(searched: CLI) -> None:
    cli = searched
    out = cli.ok("tick", "--no-desktop").splitlines()
    follow_up = _task_id(cli, "acme", "follow-up-application")
    thank_you = _task_id(cli, "gamma", "thank-you")
    assert sorted(out) == sorted([
        f"{NOW} fired {thank_you} gamma: Send a thank-you note to Ann after the interview at "
        "Gamma (Dev)",
        f"{NOW} fired {follow_up} acme: Follow up on your application to Acme (Dev)",
    ])
    assert _fired_count(cli) == 2
    assert cli.ok("tick", "--no-desktop") == ""  # quiet: nothing more is due
    assert _fired_count(cli) == 2
    fired = {(t["application"], t["kind"]): t["fired"] for t in cli.json("agenda")}
    assert fired == {("acme", "follow-up-application"): True, ("gamma", "thank-you"): True,
                     ("gamma", "follow-up-interview"): False,
                     ("beta", "follow-up-application"): False}


def test_tick_json_lists_the_fired_tasks(searched: CLI) -> None:
    cli = searched
    report = cli.json("tick", "--no-desktop")
    assert list(report) == ["fired"]
    by_app = {t["application"]: t for t in report["fired"]}
    assert sorted(by_app) == ["acme", "gamma"]
    gamma = by_app["gamma"]
    assert gamma["kind"] == "thank-you"
    assert gamma["due_at"] == "2026-11-20T09:00:00-05:00"
    assert (gamma["fired"], gamma["overdue"], gamma["status"]) == (True, True, "open")
    assert cli.json("tick", "--no-desktop") == {"fired": []}


def test_a_closed_or_not_yet_due_task_does_not_fire(searched: CLI) -> None:
    cli = searched
    cli.ok("done", _task_id(cli, "gamma", "thank-you"))
    report = cli.json("tick", "--no-desktop")
    assert [t["application"] for t in report["fired"]] == ["acme"]
    cli.ok("apply", "Delta", "Dev", "--id", "delta", "--at", "2026-11-02")
    # Delta's follow-up falls due Mon 16 November at 09:00: not a minute before.
    before = cli.env(AFTERVIEW_NOW="2026-11-16T08:59:00-05:00")
    assert cli.json("tick", "--no-desktop", env=before) == {"fired": []}
    at_nine = cli.env(AFTERVIEW_NOW="2026-11-16T09:00:00-05:00")
    assert [t["application"] for t in cli.json("tick", "--no-desktop", env=at_nine)["fired"]] == [
        "delta"]


def test_a_snoozed_task_fires_again_at_its_new_time(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Dev", "--id", "acme", "--at", "2026-11-02")
    [task] = [t["id"] for t in cli.json("tick", "--no-desktop")["fired"]]
    cli.ok("snooze", task, "--until", "2026-11-23T09:00")
    assert cli.json("tick", "--no-desktop") == {"fired": []}  # not due yet
    monday = cli.env(AFTERVIEW_NOW="2026-11-23T09:00:00-05:00")
    again = cli.json("tick", "--no-desktop", env=monday)["fired"]
    assert [(t["id"], t["due_at"]) for t in again] == [(task, "2026-11-23T09:00:00-05:00")]
    assert cli.json("tick", "--no-desktop", env=monday) == {"fired": []}
    assert _fired_count(cli) == 2


def test_the_hook_gets_each_fired_task_as_json_on_stdin(searched: CLI, tmp_path: Path) -> None:
    cli = searched
    script = tmp_path / "hook.py"
    script.write_text(HOOK)
    folder = tmp_path / "received"
    folder.mkdir()
    # Words a shell would act on arrive as plain arguments: no shell runs the hook.
    hook = _python_command(script, str(folder), "$(touch pwned)", "a b;c")
    report = cli.json("tick", "--no-desktop", "--hook", hook)
    received = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    assert {t["id"]: t for t in report["fired"]} == {k: v["task"] for k, v in received.items()}
    assert {tuple(v["argv"]) for v in received.values()} == {("$(touch pwned)", "a b;c")}
    assert not list(Path.cwd().glob("pwned")) and not list(tmp_path.glob("pwned"))


def test_a_failing_or_missing_hook_does_not_fail_tick(searched: CLI) -> None:
    cli = searched
    failing = shlex.join([sys.executable, "-c", "import sys; print('boom', file=sys.stderr); "
                                                "sys.exit(3)"])
    done = cli.run("tick", "--no-desktop", "--hook", failing)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 2 and all("exited with status 3: boom" in e for e in errors)
    assert "Traceback" not in done.stderr
    cli.ok("apply", "Delta", "Dev", "--id", "delta", "--at", "2026-11-02")
    missing = cli.run("tick", "--no-desktop", "--hook", "/nonexistent/afterview-hook --flag")
    assert missing.returncode == 0
    assert "fired" in missing.stdout
    [error] = missing.stderr.strip().splitlines()
    assert "/nonexistent/afterview-hook" in error and "could not be started" in error
    assert _fired_count(cli) == 3  # the firings were committed before the hook ran


def test_an_unusable_hook_is_refused_before_anything_fires(searched: CLI) -> None:
    cli = searched
    line = cli.refused("tick", "--hook", "'unbalanced", code=2)
    assert "--hook" in line
    cli.refused("tick", "--hook", "   ", code=2)
    assert _fired_count(cli) == 0


def test_desktop_notification_passes_title_and_body_as_separate_arguments(
        cli: CLI, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "notify-send"
    fake.write_text(f"#!{sys.executable}\n{NOTIFY_SEND}")
    fake.chmod(0o755)
    cli.ok("apply", "Acme; touch pwned $(id)", "Dev", "--id", "acme", "--at", "2026-11-02")
    env = cli.env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    cli.ok("tick", "--no-desktop", env=env)
    assert not fake.with_name("notify-send.calls").exists()  # --no-desktop: not called
    cli.ok("apply", "Beta", "Dev", "--id", "beta", "--at", "2026-11-03")
    cli.ok("tick", env=env)
    [argv] = [json.loads(line) for line in fake.with_name("notify-send.calls").read_text().splitlines()]
    assert argv[:2] == ["--app-name=afterview", "--"]
    assert argv[2] == "Follow up on your application to Beta (Dev)"
    assert argv[3].startswith("beta: due 2026-11-17 09:00")
    assert len(argv) == 4


def test_desktop_title_with_shell_characters_stays_text(cli: CLI, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "notify-send"
    fake.write_text(f"#!{sys.executable}\n{NOTIFY_SEND}")
    fake.chmod(0o755)
    cli.ok("apply", "Acme; touch pwned $(id) & <b>", "Dev", "--id", "acme", "--at", "2026-11-02")
    cli.ok("tick", env=cli.env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}"))
    calls = [json.loads(line) for line in fake.with_name("notify-send.calls").read_text().splitlines()]
    [argv] = [call for call in calls if not call[2].startswith("afterview: digest")]
    assert argv[2] == "Follow up on your application to Acme; touch pwned $(id) & <b> (Dev)"
    [digest] = [call for call in calls if call[2].startswith("afterview: digest")]
    assert "Acme; touch pwned $(id) &amp; &lt;b&gt; (Dev)" in digest[3]  # markup escaped
    assert not list(tmp_path.glob("**/pwned"))


def test_a_hook_that_hangs_is_stopped_at_its_timeout(capsys: object) -> None:
    from datetime import datetime

    from afterview.cli.output.render import task_json
    from afterview.engine.domain.state import Task
    from afterview.engine.runtime.hooks import Notifier

    moment = datetime.fromisoformat(NOW)
    task = Task("thank-you-1", "acme", "thank-you", "Say thanks", moment, moment, None)
    notifier = Notifier(task_json, hook=(sys.executable, "-c", "import time; time.sleep(30)"),
                        desktop=False, lines="none", hook_timeout=0.5)
    started = time.monotonic()
    notifier.notify(task, moment)
    notifier.close()  # waits for the hook, which runs on the notifier's own workers
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "still running after 0.5 s, stopped" in err
