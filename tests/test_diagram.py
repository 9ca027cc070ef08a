"""diagram: the lifecycle drawn from the machine definition, and the copy in the docs kept
current."""

from __future__ import annotations

import re
from pathlib import Path

from afterview.engine.domain import lifecycle
from afterview.engine.views.diagram import mermaid
from conftest import CLI

LIFECYCLE_DOC = Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md"


def _embedded() -> str:
    text = LIFECYCLE_DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- diagram: start -->\n```mermaid\n(.*?)```\n<!-- diagram: end -->",
                      text, re.DOTALL)
    assert match, "docs/lifecycle.md lost its diagram markers"
    return match[1]


def test_the_command_prints_the_diagram_and_the_docs_hold_the_same(cli: CLI) -> None:
    printed = cli.ok("diagram")
    assert printed == mermaid()
    assert _embedded() == printed, (
        "docs/lifecycle.md has an old diagram: replace the block between the markers "
        "with the output of 'afterview diagram'")


def test_every_state_change_of_the_machine_is_an_edge_and_nothing_else() -> None:
    edges = set()
    for line in mermaid().splitlines():
        match = re.fullmatch(r"\s*(\w+) --> (\w+): (.+)", line)
        if match:
            edges |= {(match[1], trigger.strip(), match[2]) for trigger in match[3].split("|")}
    expected = {(source, t["trigger"], t["dest"]) for t in lifecycle.TRANSITIONS
                if t["dest"] is not None and t["source"] != lifecycle.NEW
                for source in t["source"]}
    assert edges == expected  # a second interview is drawn too, as a loop on interviewing


def test_the_diagram_starts_at_applied_and_ends_in_the_terminal_states() -> None:
    lines = [line.strip() for line in mermaid().splitlines()]
    assert lines[0] == "stateDiagram-v2"
    assert "[*] --> applied" in lines
    assert {line.split()[0] for line in lines if line.endswith("--> [*]")} == set(
        lifecycle.TERMINAL_STATES)


def test_the_lifecycle_table_in_the_docs_matches_the_definition() -> None:
    rows = re.findall(r"^\| `(\w+)` \| `[^`]+` \| ([^|]+) \| ([^|]+) \|$",
                      LIFECYCLE_DOC.read_text(encoding="utf-8"), re.MULTILINE)
    documented = {trigger: (sources.strip(), dest.strip()) for trigger, sources, dest in rows}
    assert set(documented) == {t["trigger"] for t in lifecycle.TRANSITIONS}
    for transition in lifecycle.TRANSITIONS:
        sources = transition["source"]
        sources = [sources] if isinstance(sources, str) else sources
        expected_sources = ("(new)" if sources == [lifecycle.NEW] else
                            "any" if sources == list(lifecycle.STATES) else ", ".join(sources))
        expected_dest = transition["dest"] or "(unchanged)"
        assert documented[transition["trigger"]] == (expected_sources, expected_dest)
