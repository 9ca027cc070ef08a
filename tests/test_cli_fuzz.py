"""The whole command table fuzzed: Hypothesis builds argument lists from the registered
click commands (options in any order, values from a pool of plausible, hostile and random
text) and runs them through the real entry point, in-process.

Whatever it builds, afterview exits 0, 1 or 2; a refusal is exactly one ``error:`` line and
appends nothing; no traceback and no "unexpected" error ever reaches the person.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from afterview.cli.main import cli
from crash_worker import InProcessCLI, assert_one_error_line
from strategies import cli_argv

ZONE = "America/New_York"
EXCLUDED = {"daemon", "demo", "serve"}  # daemon and serve block until signalled; demo builds
# a database elsewhere
EXAMPLES = 250


def leaf_commands() -> list[tuple[list[str], click.Command]]:
    """Every runnable command with the words that reach it (``config set`` ...)."""
    found: list[tuple[list[str], click.Command]] = []
    for name, command in sorted(cli.commands.items()):
        if name in EXCLUDED:
            continue
        if isinstance(command, click.Group):
            found += [([name, sub], leaf) for sub, leaf in sorted(command.commands.items())]
        else:
            found.append(([name], command))
    return found


class Template:
    """A small job search in every interesting state, copied fresh for each example."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "template.db"
        self._copies = itertools.count()
        cli_ = InProcessCLI(self.db)
        cli_.ok("config", "set", "timezone", ZONE)
        for company, path in (("Acme", []), ("Globex", ["interview"]), ("Initech", ["offer"]),
                              ("Hooli", ["offer", "counter"]), ("Umbrella", ["offer", "accept"])):
            app = cli_.ok("apply", company, "Engineer", "--at", "2026-11-02").strip()
            for step in path:
                cli_.ok(*{"interview": ["interview", app, "--on", "2026-11-25"],
                          "offer": ["offer", app, "--salary", "100000"],
                          "counter": ["counter", app, "--salary", "120000"],
                          "accept": ["accept", app, "--start", "2027-01-04"]}[step])
        self.events = cli_.event_count()
        self.apps = [a["id"] for a in cli_.json("list")]
        self.tasks = [t["id"] for t in cli_.json("agenda", "--all")]
        self.event_ids = [r["event_id"] for r in cli_.json("history", self.apps[0])]
        cli_.ok("export", "--output", str(folder / "export.json"))
        (folder / "apps.csv").write_text("company,role,status\nZeta,Dev,interview\n,,\n")
        (folder / "junk.bin").write_bytes(b"\xff\xfe\x00junk")

    def copy(self) -> InProcessCLI:
        path = self.folder / f"example-{next(self._copies)}.db"
        shutil.copy(self.db, path)  # with its mode, 0600
        return InProcessCLI(path)

    def values(self, name: str) -> st.SearchStrategy[str]:
        """Values meant for the parameter ``name`` (any of them for an unknown name)."""
        kinds = {
            "ids": [*self.apps, *self.tasks, *self.event_ids[:3], "acme", "a", "zzz", ""],
            "dates": ["2026-11-25", "2026-11-19T10:00", "today", "yesterday", "tomorrow",
                      "2026-02-30", "1899-01-01", "garbage"],
            "money": ["100000", "85,000.50", "5%", "0", "-1", "nan", "1e400", "12abc"],
            "settings": ["timezone", "country", "decision_days", "workday_start", "nope",
                         "America/New_York", "US", "DE", "3", "08:30", "true"],
            "text": ["Ana", "USD", "thank-you", "follow-up", "counter-offer", "commute",
                     "Robert'); DROP TABLE events;--", "<script>x</script>",
                     "a\x1b[2Jb\u202ec\x00", "x" * 5000, " "],
        }
        by_name = {"app": "ids", "task": "ids", "event_id": "ids", "expect": "ids",
                   "key": "settings", "value": "settings"}
        for date_name in ("at", "on", "until", "start", "respond_by", "as_of", "known_at",
                          "end"):
            by_name[date_name] = "dates"
        for money_name in ("salary", "bonus", "signing", "equity", "equity_total", "relocation",
                           "benefits_value", "commute_cost"):
            by_name[money_name] = "money"
        kind = by_name.get(name)
        chosen = kinds[kind] if kind else [v for values in kinds.values() for v in values]
        return st.sampled_from(chosen)

    def paths(self) -> st.SearchStrategy[str]:
        names = ["out.file", "export.json", "apps.csv", "junk.bin", "missing/dir/out", "", "."]
        return st.sampled_from([str(self.folder / name) for name in names] + [str(self.folder)])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    folder = tmp_path_factory.mktemp("fuzz")
    here = Path.cwd()
    os.chdir(folder)  # a relative path written by mistake lands here, not in the project
    try:
        yield Template(folder)
    finally:
        os.chdir(here)


COMMANDS = leaf_commands()


def test_the_fuzzed_table_is_the_whole_table() -> None:
    names = {" ".join(words) for words, _ in COMMANDS}
    assert {"apply", "offer", "config set", "import", "export", "tick", "void"} <= names
    assert not names & EXCLUDED


@st.composite
def invocations(draw: st.DrawFn, template: Template) -> list[str]:
    words, command = draw(st.sampled_from(COMMANDS))
    return draw(cli_argv(command, words, template.values, template.paths()))


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_any_command_line_exits_0_1_or_2_and_a_refusal_changes_nothing(
        template: Template, data: st.DataObject) -> None:
    argv = data.draw(invocations(template), label="argv")
    afterview = template.copy()
    ran = afterview.run(*argv)
    assert ran.code in (0, 1, 2), ran
    assert "Traceback" not in ran.stderr + ran.stdout
    assert not ran.stderr.startswith("error: unexpected "), ran.stderr  # the last resort
    event(f"exit {ran.code}")  # shown by --hypothesis-show-statistics
    if ran.code != 0:
        assert_one_error_line(ran.stderr)
        assert afterview.event_count() == template.events, "a refused command appended"
    afterview.db.unlink()
