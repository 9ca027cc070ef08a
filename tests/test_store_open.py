"""open_store(url): which backend a path or URL opens, what it refuses, and that the command
line and the engine work the same over any backend it opens."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from afterview.cli.output import render, views
from afterview.engine.domain import events as ev
from afterview.engine.service.api import Engine, tasks_of
from afterview.engine.store import open_store
from afterview.engine.store.base import StoreOpenError
from afterview.engine.store.memory import MemoryStore
from afterview.engine.store.sqlite import SQLiteStore
from conftest import CLI, NOW, ZONE, clock_at, new_york
from test_store_contract import append, note


@pytest.mark.parametrize("spelling", ["path", "text", "url"])
def test_a_path_or_a_sqlite_url_opens_that_file(tmp_path: Path, spelling: str) -> None:
    path = tmp_path / "my search" / "afterview.db"
    url = {"path": path, "text": str(path),
           "url": "sqlite://" + str(path).replace(" ", "%20")}[spelling]
    with open_store(url) as store:
        assert isinstance(store, SQLiteStore)
        append(store, note())
    with SQLiteStore(path) as again:
        assert again.stream_version("app-1") == 1


def test_a_file_name_with_a_colon_is_still_a_file(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("notes:2024.db") as store:
        assert isinstance(store, SQLiteStore)
    assert (tmp_path / "notes:2024.db").is_file()


def test_memory_logs_are_private_unless_named() -> None:
    with open_store("memory:") as one, open_store("memory:") as two:
        append(one, note())
        assert isinstance(one, MemoryStore) and two.stream_ids() == []
    with open_store("memory:search") as first, open_store("memory:search") as second:
        append(first, note())
        assert second.stream_ids() == ["app-1"]
    with open_store("memory:search") as later:  # the last one closed: that log is gone
        assert later.stream_ids() == []


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://localhost/afterview", "is not a kind of store afterview knows"),
    ("sqlite://server/afterview.db", "write sqlite:/// followed by the file's path"),
    ("sqlite:///tmp/afterview.db?mode=ro", "no host, no options"),
    ("sqlite://", "write sqlite:/// followed by the file's path"),
    ("postgresql://localhost/afterview", "holds many people's logs: name yours with --tenant"),
])
def test_a_url_it_cannot_open_is_refused_readably(url: str, says: str) -> None:
    with pytest.raises(StoreOpenError, match=says):
        open_store(url)


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_a_tenant_is_refused_for_a_store_that_holds_one_log(tmp_path: Path, kind: str) -> None:
    url = f"sqlite://{tmp_path}/afterview.db" if kind == "sqlite" else "memory:"
    with pytest.raises(StoreOpenError, match="a tenant is only for a shared PostgreSQL store"):
        open_store(url, tenant="ann")
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_open_store_refuses_what_the_sqlite_store_refuses(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="is a folder"):
        open_store(f"sqlite://{tmp_path}")
    (tmp_path / "notes.txt").write_text("not a database\n")
    with pytest.raises(StoreOpenError, match="is not an afterview database"):
        open_store(tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "not a database\n"


# ---------------------------------------------------------------------------
# The command line opens its store with open_store


def test_the_command_line_takes_a_sqlite_url(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.db"
    cli.ok("--db", f"sqlite://{path}", "apply", "Acme", "Backend Engineer")
    assert [a["id"] for a in cli.json("--db", str(path), "list")] == ["acme-backend-engineer"]
    assert cli.event_count() == 1  # only the time zone set by the fixture: nothing went there


def test_the_command_line_works_on_a_memory_log(cli: CLI) -> None:
    with open_store("memory:cli-search") as kept:  # keeps the log between commands
        cli.ok("--db", "memory:cli-search", "apply", "Acme", "Backend Engineer")
        listed = cli.json("--db", "memory:cli-search", "list")
        assert [a["id"] for a in listed] == ["acme-backend-engineer"]
        assert kept.stream_ids() == ["acme-backend-engineer"]
        assert cli.json("--db", "memory:cli-search", "verify")["ok"] is True
    assert cli.json("--db", "memory:", "list") == []


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://localhost/afterview", "error: mysql://localhost/afterview is not a kind of store"),
    ("postgresql://localhost/afterview", "error: a PostgreSQL database holds many people's logs"),
])
def test_a_store_url_the_command_line_cannot_open_is_one_error_line(
        cli: CLI, url: str, says: str) -> None:
    assert cli.refused("--db", url, "list", code=1).startswith(says)
    assert cli.refused("--db", url, "apply", "Acme", "Engineer", code=1).startswith(says)
    assert cli.event_count() == 1


def test_the_demo_builds_in_memory_and_leaves_no_file(cli: CLI, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    built = cli.json("--db", "memory:", "demo")
    assert built["database"] == "memory:"
    assert len(built["applications"]) == 8
    assert "Try next" not in cli.ok("--db", "memory:", "demo")  # nothing left to try it on
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search"]  # the cli fixture's own


# ---------------------------------------------------------------------------
# The engine gives the same answers over any backend


def _job_search(store: Any) -> dict[str, Any]:
    """Apply to two companies, interview at one, get its offer and accept it (which asks to
    withdraw the other: an append across both applications); what the person then sees."""
    engine = Engine(store, clock=clock_at(NOW))
    engine.set_setting("timezone", ZONE)
    acme = engine.apply(ev.ApplicationSubmitted("Acme", "Backend Engineer"),
                        at=new_york("2026-11-02T09:00")).application.id
    engine.apply(ev.ApplicationSubmitted("Globex", "Data Scientist"), at=new_york("2026-11-03T09:00"))
    engine.record(acme, ev.InterviewScheduled(1, new_york("2026-11-09T14:00"), "video", ("Ann Lee",)),
                  at=new_york("2026-11-04T10:00"))
    engine.record(acme, ev.InterviewHeld(1, ("Ann Lee",)), at=new_york("2026-11-09T15:00"))
    engine.record(acme, ev.OfferReceived(ev.OfferTerms("USD", 95_000), new_york("2026-11-24T17:00")),
                  at=new_york("2026-11-16T09:00"))
    engine.record(acme, ev.OfferAccepted(date(2027, 1, 4)), at=new_york("2026-11-19T09:00"))
    apps, now = engine.applications(), engine.now()
    return {
        "board": render.board(apps),
        "json": [views.application_json(a, now) for a in apps],
        "agenda": [render.task_json(t, now) for t in tasks_of(apps)],
        "head": store.head(),
        "verified": store.check_chain().ok,
    }


def test_a_job_search_over_memory_looks_as_it_does_over_sqlite(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}
    for url in ("memory:", tmp_path / "afterview.db"):
        monkeypatch.setattr(uuid, "uuid4", _counting_uuids())
        with open_store(url) as store:
            seen[type(store).__name__] = _job_search(store)
    memory, sqlite = seen["MemoryStore"], seen["SQLiteStore"]
    assert [a["state"] for a in memory["json"]] == ["accepted", "applied"]
    assert any(t["application"].startswith("globex") for t in memory["agenda"])
    assert memory["verified"]
    assert memory == sqlite  # the same board, JSON, agenda and even the head of the chain


def _counting_uuids() -> Any:
    """uuid4 counting up from 1: the same commands then give the same ids in each run."""
    counter = itertools.count(1)
    return lambda: uuid.UUID(int=next(counter))
