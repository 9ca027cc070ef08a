"""Conventions a person notices before anything else: global options after the command,
keywords in any case, an example at the end of every --help, docs that link only to files
that exist, and messages that read as sentences."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from conftest import CLI
from test_cli_docs import registered

ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


@pytest.fixture
def acme(cli: CLI) -> CLI:
    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02")
    return cli


def test_json_after_the_command_is_the_same_as_before_it(acme: CLI) -> None:
    before = acme.ok("--json", "show", "acme")
    after = acme.ok("show", "acme", "--json")
    assert after == before and after.lstrip().startswith("{")


def test_db_after_the_command_chooses_the_database(acme: CLI, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    acme.ok("apply", "Globex", "Analyst", "--db", str(other))
    assert [a["id"] for a in acme.json("list")] == ["acme-backend-engineer"]
    assert [a["id"] for a in acme.json("list", "--db", str(other))] == ["globex-analyst"]


def test_a_subcommand_of_a_group_takes_json_after_it(acme: CLI) -> None:
    assert acme.ok("config", "get", "timezone", "--json").strip().startswith("{")


def test_an_unknown_option_says_where_to_look(acme: CLI) -> None:
    line = acme.refused("show", "acme", "--jsn", code=2)
    assert "--jsn" in line and "afterview show --help" in line


@pytest.mark.parametrize(("args", "expected"), [
    (("list", "--state", "Applied"), "acme-backend-engineer"),
    (("list", "--state", "APPLIED"), "acme-backend-engineer"),
])
def test_states_are_matched_in_any_case(acme: CLI, args: tuple[str, ...], expected: str) -> None:
    assert expected in acme.ok(*args)


def test_kinds_and_reasons_are_matched_in_any_case(acme: CLI) -> None:
    acme.ok("interview", "acme", "--on", "2026-11-25T10:00", "--kind", "Video")
    assert acme.json("show", "acme")["state"] == "interviewing"
    assert "Acme" in acme.ok("draft", "Follow-Up", "acme")


def test_closing_a_closed_task_reads_as_a_sentence(acme: CLI) -> None:
    task = acme.json("agenda")[0]["id"]
    acme.ok("done", task)
    line = acme.refused("done", task)
    assert "nothing to done" not in line and "already done" in line


def _example(command: click.Command) -> str:
    help_text = command.epilog or ""
    found = re.search(r"Example:\s*(afterview .+)", help_text)
    assert found, "no example"
    return found[1].strip()


@pytest.mark.parametrize(("path", "command"), registered(),
                         ids=[" ".join(path) for path, _ in registered()])
def test_every_help_ends_with_an_example_using_real_options(
        cli: CLI, path: tuple[str, ...], command: click.Command) -> None:
    shown = cli.ok(*path, "--help").rstrip()
    example = _example(command)
    assert shown.splitlines()[-1].strip() == example
    words = shlex.split(example)
    assert words[1:1 + len(path)] == list(path)
    known = {opt for param in command.params for opt in getattr(param, "opts", ())}
    if isinstance(command, click.Group):
        sub = command.commands[words[1 + len(path)]]
        known |= {opt for param in sub.params for opt in getattr(param, "opts", ())}
    used = {w.split("=")[0] for w in words if w.startswith("--")}
    assert used <= known, f"{' '.join(path)}: the example uses {used - known}"


def _project_paths(text: str) -> list[str]:
    """What a doc points at in the project: relative links, and file paths written as code."""
    links = [m.split("#")[0] for m in re.findall(r"\]\(([^)\s]+)\)", text)]
    links = [link for link in links if link and "://" not in link and not link.startswith("mailto:")]
    code = re.findall(r"`((?:[\w.-]+/)*[\w-]+\.(?:py|md|sh|csv|json|toml|txt))`", text)
    return links + [path for path in code if not Path(path).stem.isupper()]  # KIND.txt: a placeholder


def _exists(doc: Path, target: str) -> bool:
    if (doc.parent / target).exists() or (ROOT / target).exists():
        return True
    # `store/base.py`, `events.py`: named inside the package, the tests or the docs.
    return any(found.as_posix().endswith("/" + target)
               for folder in ("src", "tests", "docs", "benchmarks", "examples")
               for found in (ROOT / folder).rglob(Path(target).name))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_the_docs_point_only_at_files_that_exist(doc: Path) -> None:
    missing = [t for t in _project_paths(doc.read_text(encoding="utf-8")) if not _exists(doc, t)]
    assert not missing, f"{doc.name} points at files that do not exist: {missing}"
