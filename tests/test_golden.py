"""The views people read, snapshotted: board, agenda, show and history of the demo job
search at 80 and 120 columns, with the clock fixed (AFTERVIEW_NOW). A change to a renderer
shows up here as a diff; when it is meant, write the files again with
``AFTERVIEW_WRITE_GOLDEN=1 python -m pytest tests/test_golden.py`` and read the diff.

Ids made from random event ids (task ids' suffixes, event ids) are replaced by ``xxxxxxxx``:
same width, so the columns are what they would be."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import CLI

GOLDEN = Path(__file__).resolve().parent / "golden"
VIEWS = {"board": ("board",), "agenda": ("agenda",), "agenda-week": ("agenda", "--week"),
         "show": ("show", "initech"), "history": ("history", "hooli")}
_RANDOM_HEX = re.compile(r"(?<![0-9a-z])[0-9a-f]{8}(?![0-9a-z])")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> CLI:
    cli = CLI(tmp_path_factory.mktemp("golden") / "demo.db")
    cli.ok("--db", str(cli.db), "demo")
    return cli


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_the_view_is_the_golden_one(demo: CLI, view: str, columns: int) -> None:
    shown = demo.ok(*VIEWS[view], env=demo.env(COLUMNS=str(columns)))
    shown = _RANDOM_HEX.sub("xxxxxxxx", shown)
    golden = GOLDEN / f"{view}-{columns}.txt"
    if os.environ.get("AFTERVIEW_WRITE_GOLDEN"):
        golden.write_text(shown, encoding="utf-8")
    assert shown == golden.read_text(encoding="utf-8"), f"{golden.name} differs"
    assert max(len(line) for line in shown.splitlines()) <= columns
