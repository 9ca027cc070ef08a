"""Mistakes (issue 15, item 3): an application entered by mistake or twice is discarded (a
correction, not a state) and voiding the discard restores it; applying to the same job again
within 60 days needs --again. And every new fact survives the JSON backup."""

from __future__ import annotations

from pathlib import Path

from conftest import CLI


def ids(rows: list[dict[str, object]]) -> set[object]:
    return {row["id"] for row in rows}


def test_a_discarded_application_leaves_every_view_but_show_history_and_list_all(
        cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("apply", "Acme", "Backend", "--id", "acme-twice", "--again", "--at", "2026-11-02")
    cli.ok("offer", "acme-twice", "--salary", "100000", "--at", "2026-11-10")
    assert len(cli.json("show", "acme-twice")["tasks"]) == 1

    out = cli.ok("discard", "acme-twice", "--reason", "entered twice")
    assert out.startswith("acme-twice: still offered")
    assert ids(cli.json("list")) == {"acme"}
    assert ids(cli.json("list", "--all")) == {"acme", "acme-twice"}
    assert "acme-twice" not in cli.ok("list") and "(discarded)" in cli.ok("list", "--all")
    assert {t["application"] for t in cli.json("agenda")} == {"acme"}
    assert cli.json("stats")["applications"] == 1
    assert cli.json("compare") == []
    assert {a["application"] for a in cli.json("report")["activities"]} == {"acme"}
    shown = cli.json("show", "acme-twice")
    assert shown["discarded"] is True and shown["tasks"] == [] and shown["state"] == "offered"
    assert "DISCARDED: entered twice" in cli.ok("show", "acme-twice")
    (discard,) = [r for r in cli.json("history", "acme-twice")
                  if r["type"] == "ApplicationDiscarded"]
    assert discard["data"] == {"reason": "entered twice"}
    assert "already discarded" in cli.refused("discard", "acme-twice", "--reason", "x", code=1)

    cli.ok("void", discard["event_id"], "--reason", "it was a second role after all")
    assert ids(cli.json("list")) == {"acme", "acme-twice"}
    assert [t["kind"] for t in cli.json("show", "acme-twice")["tasks"]] == ["offer-decision"]


def test_the_same_job_again_within_60_days_needs_again(cli: CLI) -> None:
    cli.ok("apply", "Acme Corp", "Backend Engineer", "--at", "2026-11-02")
    before = cli.event_count()
    line = cli.refused("apply", "acme corp", "Backend engineer", code=1)
    assert "acme-corp-backend-engineer" in line and "--again" in line
    assert cli.event_count() == before
    # A discarded one does not count; a different role does not either.
    cli.ok("apply", "Acme Corp", "Frontend Engineer")
    cli.ok("discard", "acme-corp-backend-engineer", "--reason", "typo")
    assert cli.ok("apply", "Acme Corp", "Backend Engineer").strip() == (
        "acme-corp-backend-engineer-2")
    # More than 60 days apart is a new search.
    cli.ok("apply", "Globex", "SRE", "--at", "2026-08-01")
    cli.ok("apply", "Globex", "SRE", "--at", "2026-11-02")


def test_every_new_fact_round_trips_through_the_json_backup(cli: CLI, tmp_path: Path) -> None:
    cli.ok("config", "set", "currently_employed", "true")
    cli.ok("vacation", "2026-12-24", "2026-12-31", "--reason", "holidays")
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-25T14:00", "--at", "2026-11-05")
    cli.ok("interview", "acme", "--on", "2026-11-26T14:00", "--at", "2026-11-06")
    cli.ok("interview", "acme", "--cancel", "--at", "2026-11-07")
    cli.ok("offer", "acme", "--at", "2026-11-10")
    cli.ok("accept", "acme", "--at", "2026-11-12")
    cli.ok("start-date", "acme", "2027-01-11")
    cli.ok("apply", "Beta", "Backend", "--id", "beta", "--at", "2026-11-02")
    cli.ok("discard", "beta", "--reason", "never applied")
    backup = tmp_path / "backup.json"
    cli.ok("export", "--format", "json", "-o", str(backup))
    types = {row["type"] for row in __import__("json").loads(backup.read_text())["events"]}
    assert types >= {"InterviewRescheduled", "InterviewCancelled", "StartDateRecorded",
                     "ApplicationDiscarded", "DaysOffRecorded"}
    restored = CLI(tmp_path / "restored.db")
    restored.ok("import", str(backup))
    assert restored.json("show", "acme") == cli.json("show", "acme")
    assert restored.json("list", "--all") == cli.json("list", "--all")
    profile = restored.json("history", "profile")
    assert [r["data"] for r in profile if r["type"] == "DaysOffRecorded"] == [
        {"from": "2026-12-24", "to": "2026-12-31", "reason": "holidays"}]
