"""The layout keeps the layers apart: an import contract over the source (read with ``ast``,
nothing imported), and the one namespaced package that lands in site-packages."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def module_name(path: Path) -> str:
    parts = ["afterview", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path) -> set[str]:
    """Every afterview module this file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                own = module_name(path)
                package = own if path.name == "__init__.py" else own.rpartition(".")[0]
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # "from afterview.engine.domain import events" imports the module events too.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("afterview")}


MODULES = {module_name(path): path for path in SRC.rglob("*.py")}
GRAPH = {name: {m for m in project_imports(path) if m in MODULES and m != name}
         for name, path in MODULES.items()}


def layer(name: str) -> str:
    """``afterview.engine.domain.events`` -> ``engine.domain``; ``afterview.cli.main`` -> ``cli``."""
    parts = name.split(".")[1:]
    if parts[:1] == ["engine"] and len(parts) > 2:
        return f"engine.{parts[1]}"
    return parts[0] if parts else "afterview"


# What each layer may import of the project, besides itself (docs/architecture.md).
ALLOWED = {
    "engine.domain": set(),
    "engine.views": {"engine.domain"},
    "engine.store": {"engine.domain"},
    "engine.io": {"engine.domain", "engine.views"},
    "engine.runtime": {"engine.domain", "engine.views", "engine.store", "engine.service", "engine.io"},
    "engine.service": {"engine.domain", "engine.views", "engine.store", "engine.runtime", "engine.io"},
    # The web app is an adapter over the service layer: never the store, never the CLI.
    "web": {"engine.service", "engine.views", "engine.domain", "engine.io"},
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_imports_only_the_layers_below_it(name: str) -> None:
    mine = layer(name)
    imported = {layer(other) for other in GRAPH[name]} - {mine, "engine", "afterview"}
    if mine in ALLOWED:
        assert imported <= ALLOWED[mine], f"{name} imports {sorted(imported - ALLOWED[mine])}"
    if mine.startswith("engine"):
        assert not imported & {"cli", "web"}, f"{name} imports {sorted(imported)}"


def _cycles() -> list[list[str]]:
    """Import cycles between modules (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in GRAPH[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles() == []


def test_the_contract_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The checker itself: a domain module importing the store is caught."""
    bad = SRC / "engine" / "domain" / "state.py"
    source = bad.read_text() + "\nfrom afterview.engine.store.base import StoredEvent\n"
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    imported = {layer(m) for m in project_imports(probe) if m in MODULES}
    assert "engine.store" in imported and not imported <= ALLOWED["engine.domain"] | {"engine.domain"}


def test_every_package_folder_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"afterview": "src"}
    folders = {module_name(init) for init in SRC.rglob("__init__.py")}
    assert set(config["packages"]) == folders
    script = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["afterview"]
    assert script == "afterview.cli.entry:main"


def test_the_version_is_said_once_for_the_package_and_the_command() -> None:
    import afterview

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == afterview.__version__


def test_nothing_imports_the_old_top_level_names() -> None:
    old = re.compile(r"^\s*(from|import) (engine|cli|web)\b", re.M)
    offenders = [str(p) for p in [*SRC.rglob("*.py"), *(ROOT / "tests").rglob("*.py"),
                                  *(ROOT / "benchmarks").rglob("*.py")] if old.search(p.read_text())]
    assert offenders == []


# The store modules that anything may import; every other module of store/ is a backend.
STORE_INTERFACE = {"afterview.engine.store", "afterview.engine.store.base",
                   "afterview.engine.store.chain", "afterview.engine.store.open"}
BACKEND_CLASSES = re.compile(r"\b[A-Z]\w*Store\(")  # SQLiteStore(, MemoryStore(, ...


def test_only_open_store_opens_a_backend() -> None:
    """The CLI, the daemon, the demo (every module outside store/) get their store from
    open_store: none imports a backend module or constructs a backend class."""
    backends = {m for m in MODULES if layer(m) == "engine.store"} - STORE_INTERFACE
    assert {"afterview.engine.store.sqlite", "afterview.engine.store.memory"} <= backends
    outside = [name for name in MODULES if layer(name) != "engine.store"]
    imports = {name: sorted(GRAPH[name] & backends) for name in outside if GRAPH[name] & backends}
    constructs = {name: BACKEND_CLASSES.findall(MODULES[name].read_text()) for name in outside
                  if BACKEND_CLASSES.search(MODULES[name].read_text())}
    assert (imports, constructs) == ({}, {})


def test_the_cli_reaches_the_log_only_through_the_service() -> None:
    """No command or page opens, reads or writes the store itself: it calls the service
    layer (the web app is an adapter like the CLI)."""
    for name, path in MODULES.items():
        if layer(name) not in ("cli", "web"):
            continue
        assert not {m for m in GRAPH[name] if layer(m) == "engine.store"}, name
        touches = [node.attr for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, ast.Attribute) and node.attr == "store"]
        assert not touches, f"{name} uses an engine's store"
