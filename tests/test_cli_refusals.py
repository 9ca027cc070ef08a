"""Every refusal through the real command line: exit 1 (refused by the rules) or 2 (bad usage
or an unparseable value), exactly one ``error:`` line, nothing appended, no traceback."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import click
import pytest

from conftest import CLI, ZONE

RULES, USAGE = 1, 2

# (arguments, exit status, words the error line must contain). {task} and {submission} are
# filled in from the search below; "acme" is ambiguous, "nosuch" matches nothing.
CASES: list[tuple[tuple[str, ...], int, str]] = [
    (("apply", "Acme"), USAGE, "Missing argument 'ROLE'"),
    (("apply", "X", "Y", "--at", "2026-02-30"), USAGE, "'2026-02-30' is not a date"),
    (("apply", "X", "Y", "--at", "next week"), USAGE, "is not a date"),
    (("apply", "X", "Y", "--at", "2026-11-21"), USAGE, "in the future"),
    (("apply", "X", "Y", "--id", "globex-data-engineer"), RULES, "already exists"),
    (("apply", "X", "Y", "--id", "Not An Id"), USAGE, "not a usable id"),
    (("apply", " ", "Y"), USAGE, "cannot be empty"),
    (("interview", "acme", "--on", "2026-11-25"), RULES,
     "ambiguous application 'acme': it could be acme-backend-engineer, acme-backend-engineer-2"),
    (("interview", "nosuch", "--on", "2026-11-25"), RULES,
     "unknown application 'nosuch': the applications are acme-backend-engineer"),
    (("interview", "globex"), USAGE, "use --on WHEN to schedule or move an interview, or --cancel"),
    (("interview", "globex", "--cancel"), RULES, "nothing to cancel"),
    (("interview", "hooli", "--cancel"), RULES, "cannot 'interview --cancel'"),
    (("apply", "ACME", "backend engineer"), RULES, "add --again to apply a second time"),
    (("discard", "globex", "--reason", " "), USAGE, "cannot be empty"),
    (("discard", "globex"), USAGE, "Missing option '--reason'"),
    (("start-date", "initech", "2027-01-11"), RULES, "cannot 'start-date'"),
    (("vacation", "2026-12-31", "2026-12-24"), USAGE, "end (2026-12-24) before they start"),
    (("interview", "globex", "--on", "2026-11-25", "--kind", "zoom"), USAGE, "'zoom'"),
    (("interview", "globex", "--on", "2026-13-01"), USAGE, "month must be in 1..12"),
    (("interview", "initech", "--on", "2026-11-25"), RULES,
     "cannot 'interview' application 'initech-platform-engineer': it is offered"),
    (("debrief", "globex", "--answer", "A"), USAGE, "--question"),
    (("debrief", "hooli", "--question", "Q"), RULES, "'hooli-staff-engineer': it is declined"),
    (("thanks", "globex", "--at", "tomorrow"), USAGE, "in the future"),
    (("thanks", "glob3x"), RULES, "did you mean globex-data-engineer?"),
    (("follow-up", "acme"), RULES, "ambiguous application 'acme'"),
    (("follow-up", "globex", "--at", "2026-10-01"), USAGE, "before the application was submitted"),
    (("offer", "globex", "--salary", "-5"), USAGE, "--salary '-5' is negative"),
    (("offer", "globex", "--salary", "lots"), USAGE, "--salary 'lots' is not a number"),
    (("offer", "globex", "--salary", "NaN"), USAGE, "not a finite amount"),
    (("offer", "globex", "--salary", "0"), USAGE, "above 0"),
    (("offer", "globex", "--bonus", "5000"), USAGE, "--salary is needed"),
    (("offer", "globex", "--salary", "100000", "--currency", "dollars"), USAGE, "currency code"),
    (("offer", "globex", "--salary", "100000", "--signing", "-1"), USAGE, "--signing"),
    (("offer", "globex", "--salary", "100000", "--respond-by", "2026-02-30"), USAGE, "--respond-by"),
    (("offer", "hooli", "--salary", "100000"), RULES, "cannot 'offer' application "
     "'hooli-staff-engineer': it is declined"),
    (("ask-time", "globex", "--until", "2026-12-01"), RULES, "it is applied"),
    (("ask-time", "initech"), USAGE, "Missing option '--until'"),
    (("ask-time", "initech", "--until", "2026-11-01"), USAGE, "has passed"),
    (("counter", "globex", "--salary", "100000"), RULES, "cannot 'counter'"),
    (("counter", "initech", "--salary", "100000", "--reason", "greed"), USAGE, "'greed'"),
    (("counter", "initech", "--salary", "1e99"), USAGE, "too large"),
    (("accept", "globex"), RULES, "cannot 'accept' application 'globex-data-engineer': it is applied"),
    (("accept", "initech", "--start", "2026-02-30"), USAGE, "--start"),
    (("withdraw", "hooli"), RULES, "cannot 'withdraw' application 'hooli-staff-engineer'"),
    (("withdraw", "nosuch"), RULES, "unknown application 'nosuch'"),
    (("declined", "hooli"), RULES, "it is declined"),
    (("feedback", "hooli"), USAGE, "exactly one of --requested or --received"),
    (("feedback", "hooli", "--requested", "--received", "x"), USAGE, "exactly one"),
    (("reflect", "hooli"), USAGE, "Missing argument 'TEXT'"),
    (("reflect", "hooli", "  "), USAGE, "cannot be empty"),
    (("notice", "initech"), RULES, "cannot 'notice' application 'initech-platform-engineer'"),
    (("note", "nosuch", "x"), RULES, "unknown application 'nosuch'"),
    (("note", "globex", ""), USAGE, "cannot be empty"),
    (("contact", "globex"), USAGE, "Missing argument 'NAME'"),
    (("contact", "globex", ""), USAGE, "cannot be empty"),
    (("void", "nosuchevent", "--reason", "x"), RULES, "unknown event 'nosuchevent'"),
    (("void", "{submission}"), USAGE, "Missing option '--reason'"),
    (("void", "{submission}", "--reason", "x"), RULES, "cannot void the submission"),
    (("agenda", "--until", "someday"), USAGE, "--until"),
    (("agenda", "--bogus"), USAGE, "No such option '--bogus'"),
    (("done", "nosuchtask"), RULES, "unknown task 'nosuchtask'"),
    (("done", "follow"), RULES, "ambiguous task 'follow'"),
    (("snooze", "{task}"), USAGE, "Missing option '--until'"),
    (("snooze", "{task}", "--until", "2026-11-01"), USAGE, "has passed"),
    (("dismiss", "nosuchtask"), RULES, "unknown task"),
    (("list", "--state", "hired"), USAGE, "'hired' is not one of"),
    (("board", "--state", "hired"), USAGE, "'hired' is not one of"),
    (("show", "acme"), RULES, "ambiguous application 'acme'"),
    (("show", "nosuch"), RULES, "unknown application 'nosuch'"),
    (("history",), USAGE, "Missing argument 'APP'"),
    (("history", "nosuch"), RULES, "unknown application 'nosuch'"),
    (("status", "--as-of", "2026-02-30"), USAGE, "--as-of"),
    (("status", "--known-at", "soon"), USAGE, "--known-at"),
    (("status", "nosuch"), RULES, "unknown application"),
    (("status", "globex", "--as-of", "2026-10-01"), RULES, "did not exist yet"),
    (("verify", "--expect", "0" * 64), RULES, "the log does not verify"),
    (("config", "set", "nokey", "1"), USAGE, "unknown setting 'nokey'"),
    (("config", "set", "timezone", "Mars/Olympus"), USAGE, "Mars/Olympus"),
    (("config", "get", "nokey"), USAGE, "unknown setting"),
    (("config", "frob"), USAGE, "No such command 'frob'"),
    (("demo",), RULES, "holds a job search the demo did not write"),
    (("compare", "extra"), USAGE, "unexpected extra argument"),
    (("stats", "--svg"), USAGE, "requires an argument"),
    (("practice", "--company"), USAGE, "requires an argument"),
    (("draft", "poem", "globex"), USAGE, "poem"),
    (("draft", "thank-you", "acme"), RULES, "ambiguous application 'acme'"),
    (("daemon", "--poll", "0"), USAGE, "--poll"),
    (("tick", "--hook"), USAGE, "requires an argument"),
    (("export", "--format", "pdf"), USAGE, "'pdf'"),
    (("import", "/no/such/file.json"), USAGE, "does not exist"),
    (("report", "--from", "2026-02-30"), USAGE, "--from"),
    (("diagram", "extra"), USAGE, "unexpected extra argument"),
    (("hire", "acme"), USAGE, "No such command 'hire'"),
    (("--db",), USAGE, "requires an argument"),
]


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CLI, dict[str, str]]]:
    """A search the refusals must leave alone: two acme applications (an ambiguous prefix),
    globex applied, initech offered, hooli declined."""
    cli = CLI(tmp_path_factory.mktemp("refusals") / "afterview.db")
    cli.ok("config", "set", "timezone", ZONE)
    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02")
    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02", "--again")
    cli.ok("apply", "Globex", "Data Engineer", "--at", "2026-11-02")
    cli.ok("apply", "Initech", "Platform Engineer", "--at", "2026-11-02")
    cli.ok("offer", "initech", "--salary", "100000", "--at", "2026-11-16")
    cli.ok("apply", "Hooli", "Staff Engineer", "--at", "2026-11-02")
    cli.ok("declined", "hooli", "--at", "2026-11-16")
    (task,) = [t["id"] for t in cli.json("agenda") if t["application"] == "globex-data-engineer"]
    submission = cli.json("history", "globex")[0]["event_id"]
    yield cli, {"task": task, "submission": submission}


class Outcome(NamedTuple):
    done: subprocess.CompletedProcess[str]
    events_before: int
    events_after: int


@pytest.fixture(scope="module")
def outcomes(search: tuple[CLI, dict[str, str]],
             tmp_path_factory: pytest.TempPathFactory) -> dict[int, Outcome]:
    """Every case run once, each on its own copy of the search (in this process, one after
    another: a run owns the process's stdout while it lasts)."""
    cli, found = search
    folder = tmp_path_factory.mktemp("copies")

    def attempt(index: int) -> Outcome:
        copy = CLI(folder / f"{index}.db")
        shutil.copy(cli.db, copy.db)  # its mode too (0600); every process has closed it: no -wal left
        before = copy.event_count()
        done = copy.run(*(arg.format(**found) for arg in CASES[index][0]))
        return Outcome(done, before, copy.event_count())

    return {index: attempt(index) for index in range(len(CASES))}


@pytest.mark.parametrize("index", range(len(CASES)),
                         ids=[" ".join(args)[:60] for args, _, _ in CASES])
def test_refused_with_one_error_line_and_nothing_appended(
        outcomes: dict[int, Outcome], index: int) -> None:
    _, code, words = CASES[index]
    done, before, after = outcomes[index]
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert done.returncode == code, done.stderr
    assert words in lines[0]
    assert after == before > 0


def test_a_refusal_with_json_still_goes_to_stderr_as_one_line(
        search: tuple[CLI, dict[str, str]]) -> None:
    cli, _ = search
    done = cli.run("--json", "show", "nosuch")
    assert (done.returncode, done.stdout) == (RULES, "")
    assert done.stderr.startswith("error: unknown application") and done.stderr.count("\n") == 1


def every_command(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def registered() -> list[tuple[str, ...]]:
    from afterview.cli.main import cli

    return list(every_command(cli))


@pytest.mark.parametrize("path", registered(), ids=" ".join)
def test_every_command_refuses_an_unknown_option_with_one_line(
        path: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Click's own usage errors, for every command and subcommand (in-process: the same
    ``main`` as the console script, at a hundredth of the cost)."""
    from afterview.cli.main import main

    db = tmp_path / "never-created.db"
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(db), *path, "--no-such-option"])
    captured = capsys.readouterr()
    assert exited.value.code == USAGE
    (line,) = captured.err.splitlines()
    # Usually "No such option"; a command whose arguments are missing says that first.
    assert line.startswith(("error: No such option '--no-such-option'.", "error: Missing "))
    assert line.endswith(f"(see 'afterview {' '.join(path)} --help')")
    assert captured.out == "" and not db.exists()
