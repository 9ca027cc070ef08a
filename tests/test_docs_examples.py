"""The commands shown in the docs run, so the docs cannot rot.

The convention (docs/index.md, "Examples that run"):
- a block fenced ```sh that contains an ``afterview`` command is run; other fences
  (```text, ```console, ```mermaid ...) are shown, not run;
- a block whose fence is preceded by the line ``<!-- no-run -->`` is not run;
- the blocks of one file run in order, each with ``bash -euo pipefail``, in one fresh folder
  (holding a copy of ``examples/``, as a checkout does) against one fresh database
  (AFTERVIEW_DB), with the clock at AFTERVIEW_NOW (2026-11-20 10:00 in New York) and
  ``afterview`` on PATH;
- installing is not run: in a line, the ``&&``-joined parts that set up a virtual
  environment, install with pip or run the test suite are dropped; ``afterview daemon``
  lines are dropped too (the daemon runs until it is stopped).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOW, ZONE

ROOT = Path(__file__).resolve().parent.parent
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

_FENCE = re.compile(r"^```(\S*)\s*$")
_SETUP = re.compile(r"^(python3? -m (venv|pip|pytest)|\.\s+\S*activate|source\s+\S*activate"
                    r"|pip3? install|pytest\b)")
_DAEMON = re.compile(r"^afterview\b[^|;&]*\sdaemon(\s|$)")


class Block:
    def __init__(self, path: Path, line: int, text: str) -> None:
        self.path, self.line, self.text = path, line, text

    def __repr__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _runnable(line: str) -> str:
    """The line without its set-up parts (empty if nothing is left to run)."""
    parts = [p.strip() for p in line.split("&&")]
    kept = [p for p in parts if p and not _SETUP.match(p) and not _DAEMON.match(p)]
    return " && ".join(kept)


def blocks(path: Path) -> list[Block]:
    """The ```sh blocks of one file that the convention runs, in order."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        start, index = index, index + 1
        body = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        index += 1
        previous = next((ln.strip() for ln in reversed(lines[:start]) if ln.strip()), "")
        if match[1] != "sh" or previous == "<!-- no-run -->":
            continue
        script = "\n".join(_runnable(line) for line in body)
        if re.search(r"(^|[\s;&|(])afterview\b", script):
            found.append(Block(path, start + 1, script))
    return found


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
    env.update(AFTERVIEW_DB=str(folder / "afterview.db"), AFTERVIEW_NOW=NOW, TZ=ZONE,
               NO_COLOR="1", HOME=str(folder), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    return env


@pytest.mark.parametrize("path", [p for p in DOCS if p.exists()],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_examples_in_the_docs_run(path: Path, tmp_path: Path) -> None:
    env = environment(tmp_path)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for block in blocks(path):
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.text], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (
            f"the example at {block!r} failed ({done.returncode}):\n{block.text}\n"
            f"--- stdout\n{done.stdout[-2000:]}\n--- stderr\n{done.stderr[-2000:]}")
        assert "Traceback" not in done.stderr, f"{block!r}:\n{done.stderr}"


def test_the_convention_skips_installing_and_the_daemon(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("\n".join([
        "```sh", "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test]' "
        "&& python -m pytest", "```",
        "```sh", "python3 -m venv .venv && . .venv/bin/activate && pip install . && "
        "afterview --db demo.db demo", "afterview daemon --poll 2", "```",
        "<!-- no-run -->", "", "```sh", "afterview apply A B", "```",
        "```text", "afterview list", "```",
    ]))
    assert [b.text for b in blocks(page)] == ["afterview --db demo.db demo\n"]


def test_the_scripted_job_search_runs_end_to_end(tmp_path: Path) -> None:
    env = environment(tmp_path)
    del env["AFTERVIEW_DB"], env["AFTERVIEW_NOW"]  # the script sets up its own
    done = subprocess.run(["bash", str(ROOT / "examples" / "job-search.sh")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    assert "ok:" in done.stdout  # it ends by verifying the log
    assert "accepted" in done.stdout
    assert not list(tmp_path.glob("*.db")), "the example must clean up after itself"


def test_the_event_catalogue_lists_every_type_with_its_version_and_data_keys() -> None:
    import attrs

    from afterview.engine.domain.events import EVENT_TYPES, OfferTerms

    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \|([^|]*)\|", text, re.MULTILINE)
    documented = {name: (int(version), set(re.findall(r"`(\w+)`", keys)))
                  for name, version, keys in rows}
    # The data keys: an attribute named after a Python keyword (``from_``) is stored as ``from``.
    expected = {name: (cls.SCHEMA_VERSION,
                       {field.name.removesuffix("_") for field in attrs.fields(cls)})
                for name, cls in EVENT_TYPES.items()}
    assert documented == expected
    terms = text[text.index("`terms` (in"):].split("\n\n")[0]
    assert set(re.findall(r"`(\w+)`", terms)) >= {f.name for f in attrs.fields(OfferTerms)}


def test_links_between_the_pages_lead_somewhere() -> None:
    broken = []
    for page in DOCS:
        if not page.exists():
            continue
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []
