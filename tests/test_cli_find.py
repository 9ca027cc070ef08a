"""Finding things and what people keep about a job: list filters and order, search across
everything recorded, contacts across applications; tags, priority, the job description,
the salary range and the referral on apply, and edit recorded as ApplicationDetailsChanged.
The clock is Friday 20 November 2026, 10:00 in New York (the `cli` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CLI


@pytest.fixture
def kept(cli: CLI, tmp_path: Path) -> CLI:
    posting = tmp_path / "posting.txt"
    posting.write_text("We build rockets in Rust.\nRemote friendly.\n", encoding="utf-8")
    cli.ok("apply", "Acme", "Backend Engineer", "--tag", "Remote", "--tag", "dream",
           "--priority", "2", "--jd", str(posting), "--range", "90k-110k",
           "--referred-by", "Ana Ruiz", "--at", "2026-11-02")
    cli.ok("apply", "Globex", "Data Engineer", "--tag", "remote", "--priority", "1",
           "--at", "2026-11-16")
    cli.ok("apply", "Initech", "Platform Engineer", "--at", "2026-10-05")
    cli.ok("contact", "globex", "Hank Scorpio", "--title", "CEO", "--email", "hank@globex.example")
    cli.ok("interview", "initech", "--on", "2026-10-12T10:00", "--with", "Bill Lumbergh",
           "--at", "2026-10-06")
    cli.ok("debrief", "initech", "--question", "Tell us about Postgres", "--answer",
           "Replication and vacuum", "--at", "2026-10-12T11:00")
    cli.ok("thanks", "initech", "--to", "Bill Lumbergh", "--at", "2026-10-12T18:00")
    cli.ok("note", "acme", "Asked about postgres too")
    return cli


def test_apply_keeps_tags_priority_description_range_and_referral(kept: CLI) -> None:
    acme = kept.json("show", "acme")
    assert (acme["tags"], acme["priority"], acme["referred_by"]) == (
        ["remote", "dream"], 2, "Ana Ruiz")
    assert acme["salary_range"] == {"min": 90000, "max": 110000, "currency": "USD"}
    assert acme["job_description"] == "We build rockets in Rust.\nRemote friendly."
    shown = kept.ok("show", "acme")
    for expected in ("tags: remote, dream", "priority: 2", "salary range: 90,000-110,000 USD",
                     "referred by: Ana Ruiz", "Job description\n  We build rockets in Rust."):
        assert expected in shown


@pytest.mark.parametrize(("option", "value", "reason"), [
    ("--range", "110k-90k", "from high to low"),
    ("--range", "lots", "is not a range"),
    ("--priority", "9", "9"),
])
def test_bad_details_are_refused_and_nothing_is_appended(cli: CLI, option: str, value: str,
                                                         reason: str) -> None:
    before = cli.event_count()
    assert reason in cli.refused("apply", "Acme", "Engineer", option, value, code=2)
    assert cli.event_count() == before


def test_edit_records_what_changed_and_history_says_it(kept: CLI) -> None:
    out = kept.ok("edit", "acme", "--priority", "1", "--untag", "dream", "--tag", "python",
                  "--range", "100,000 to 120,000 EUR", "--url", "https://acme.example/jobs/1")
    assert "Details changed: url https://acme.example/jobs/1; tags remote, python; priority 1" in out
    acme = kept.json("show", "acme")
    assert (acme["tags"], acme["priority"], acme["url"]) == (
        ["remote", "python"], 1, "https://acme.example/jobs/1")
    assert acme["salary_range"] == {"min": 100000, "max": 120000, "currency": "EUR"}
    (row,) = [r for r in kept.json("history", "acme") if r["type"] == "ApplicationDetailsChanged"]
    assert row["data"]["tags"] == ["remote", "python"] and row["data"]["role"] is None
    kept.ok("edit", "acme", "--url", "", "--priority", "0")
    acme = kept.json("show", "acme")
    assert (acme["url"], acme["priority"]) == (None, None)
    assert "nothing to change" in kept.refused("edit", "acme", code=2)
    assert "the role" in kept.refused("edit", "acme", "--role", " ", code=2)


def test_list_filters_by_company_tag_and_since_and_sorts(kept: CLI) -> None:
    def ids(*options: str) -> list[str]:
        return [a["id"].split("-")[0] for a in kept.json("list", *options)]

    assert ids("--tag", "REMOTE") == ["acme", "globex"]
    assert ids("--tag", "remote", "--tag", "dream") == ["acme"]
    assert ids("--company", "lob") == ["globex"]
    assert ids("--since", "2026-11-01") == ["acme", "globex"]
    assert ids("--sort", "priority") == ["globex", "acme", "initech"]
    assert ids("--sort", "applied") == ["initech", "acme", "globex"]
    assert ids("--state", "Interviewing") == ["initech"]
    board = kept.ok("list", "--sort", "priority", "--state", "applied")
    assert board.index("globex") < board.index("acme")


def test_search_finds_text_everywhere_and_says_where(kept: CLI) -> None:
    hits = {(h["application"].split("-")[0], h["where"]) for h in kept.json("search", "POSTGRES")}
    assert hits == {("initech", "question (round 1)"), ("acme", "note")}
    assert {h["where"] for h in kept.json("search", "rockets")} == {"job description"}
    assert {h["where"] for h in kept.json("search", "scorpio")} == {"contact"}
    assert "question (round 1)" in kept.ok("search", "postgres")
    assert "Nothing recorded mentions 'zebra'" in kept.ok("search", "zebra")


def test_contacts_lists_every_person_with_where_met_and_last_written(kept: CLI) -> None:
    people = {p["name"]: p for p in kept.json("contacts")}
    assert set(people) == {"Hank Scorpio", "Bill Lumbergh"}
    bill = people["Bill Lumbergh"]
    assert (bill["company"], bill["met_at"], bill["last_written_at"]) == (
        "Initech", "2026-10-12T11:00:00-04:00", "2026-10-12T18:00:00-04:00")
    hank = people["Hank Scorpio"]
    assert (hank["title"], hank["email"], hank["met_at"]) == ("CEO", "hank@globex.example", None)
    shown = kept.ok("contacts")
    assert "Bill Lumbergh" in shown and "Mon 12 Oct" in shown


def test_the_sorts_offered_are_the_engines() -> None:
    from afterview.cli.commands.core import SORTS
    from afterview.engine.views.search import SORT_KEYS

    assert set(SORTS) == set(SORT_KEYS)
