"""Looking through the real command line: the board, one application, the audited history,
state as of a time and as known at a time, the agenda and the task commands, the JSON
shapes of docs/cli.md, and colour only on a terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from conftest import CLI, ZONE, afterview_command

APPLICATION_KEYS = {"id", "company", "role", "state", "applied_at", "updated_at"}
TASK_KEYS = {"id", "application", "kind", "title", "due_at", "fired", "overdue", "status"}
HISTORY_KEYS = {"position", "event_id", "type", "occurred_at", "recorded_at", "data",
                "state_after", "voided"}
VERIFY_KEYS = {"ok", "events", "head", "problems"}

# Umbrella's story is recorded on three different days, to tell "as of" from "known at".
APPLIED_ON, DECLINED_ON, VOIDED_ON = ("2026-11-03T10:00:00-05:00", "2026-11-05T10:00:00-05:00",
                                      "2026-11-10T10:00:00-05:00")


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> CLI:
    """One job search that the tests only read (NOW is Friday 2026-11-20 10:00 in New York):
    acme, globex and umbrella applied, initech offered, hooli declined; umbrella's rejection
    was recorded on 5 November and voided on 10 November."""
    cli = CLI(tmp_path_factory.mktemp("views") / "afterview.db")
    then = {day: cli.env(AFTERVIEW_NOW=day) for day in (APPLIED_ON, DECLINED_ON, VOIDED_ON)}
    cli.ok("config", "set", "timezone", ZONE, env=then[APPLIED_ON])
    cli.ok("apply", "Umbrella", "Backend Developer", "--at", "2026-11-02", env=then[APPLIED_ON])
    cli.ok("declined", "umbrella", "--at", "2026-11-04", env=then[DECLINED_ON])
    (declined,) = [r for r in cli.json("history", "umbrella", env=then[DECLINED_ON])
                   if r["type"] == "ApplicationDeclined"]
    cli.ok("void", declined["event_id"], "--reason", "it was for another role", env=then[VOIDED_ON])

    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-10-01")
    cli.ok("apply", "Globex", "Data Engineer", "--at", "2026-11-18")
    cli.ok("apply", "Initech", "Platform Engineer", "--at", "2026-10-05")
    cli.ok("interview", "initech", "--on", "2026-10-12T10:00", "--at", "2026-10-06")
    cli.ok("offer", "initech", "--salary", "100000", "--respond-by", "2026-12-01", "--at", "2026-10-20")
    cli.ok("apply", "Hooli", "Staff Engineer", "--at", "2026-10-02")
    cli.ok("declined", "hooli", "--at", "2026-10-10")
    return cli


def aware(text: str) -> bool:
    return datetime.fromisoformat(text).tzinfo is not None


def blocks(board: str) -> list[tuple[str, list[str]]]:
    """The board's groups: each heading with the ids listed under it."""
    found = []
    for block in board.strip().split("\n\n"):
        heading, _columns, *rows = block.splitlines()
        found.append((heading, [row.split()[0] for row in rows]))
    return found


def test_list_groups_applications_by_state_in_lifecycle_order(search: CLI) -> None:
    board = search.ok("list")
    assert blocks(board) == [
        ("APPLIED (3)", ["acme-backend-engineer", "umbrella-backend-developer",
                         "globex-data-engineer"]),
        ("OFFERED (1)", ["initech-platform-engineer"]),
        ("DECLINED (1)", ["hooli-staff-engineer"]),
    ]
    assert search.ok("board") == board


def test_list_json_and_the_state_filter(search: CLI) -> None:
    applied = search.json("list", "--state", "applied")
    assert [a["id"] for a in applied] == ["acme-backend-engineer", "globex-data-engineer",
                                          "umbrella-backend-developer"]
    for app in applied:
        assert app.keys() >= APPLICATION_KEYS and app["state"] == "applied"
        assert aware(app["applied_at"]) and aware(app["updated_at"])
    everything = search.json("list")
    assert {a["state"] for a in everything} == {"applied", "offered", "declined"}
    assert len(everything) == 5


def test_show_gives_the_facts_the_offer_and_the_open_tasks(search: CLI) -> None:
    shown = search.json("show", "init")
    assert shown.keys() >= APPLICATION_KEYS | {"offer", "tasks"}
    assert (shown["id"], shown["state"], shown["offer"]["base"]) == (
        "initech-platform-engineer", "offered", 100000)
    (task,) = shown["tasks"]
    assert task.keys() >= TASK_KEYS
    assert (task["kind"], task["due_at"], task["status"], task["fired"], task["overdue"]) == (
        "offer-decision", "2026-12-01T09:00:00-05:00", "open", False, False)
    text = search.ok("show", "init")
    assert "Initech" in text and "offered" in text and "offer-decision" in text
    assert search.json("show", "acme")["offer"] is None


def test_history_has_both_times_the_state_after_and_marks_voided_facts(search: CLI) -> None:
    rows = search.json("history", "umbrella")
    for row in rows:
        assert row.keys() >= HISTORY_KEYS
        assert aware(row["occurred_at"]) and aware(row["recorded_at"])
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    facts = [(r["type"], r["occurred_at"], r["recorded_at"], r["state_after"], r["voided"])
             for r in rows if not r["type"].startswith("Task")]
    assert facts == [
        ("ApplicationSubmitted", "2026-11-02T09:00:00-05:00", APPLIED_ON, "applied", False),
        ("ApplicationDeclined", "2026-11-04T09:00:00-05:00", DECLINED_ON, "applied", True),
        ("EventVoided", VOIDED_ON, VOIDED_ON, "applied", False),
    ]
    text = search.ok("history", "umbrella")
    assert "VOIDED The company declined" in text
    assert "Applied for Backend Developer at Umbrella; state applied" in text


@pytest.mark.parametrize(("options", "expected"), [
    (("--known-at", "2026-11-04"), "applied"),    # the rejection was not entered yet
    (("--known-at", "2026-11-06"), "declined"),   # entered, not yet voided: what we knew then
    (("--as-of", "2026-11-05"), "applied"),       # what was true then, with today's corrections
    (("--as-of", "2026-11-05", "--known-at", "2026-11-06"), "declined"),
])
def test_status_of_one_application_as_of_and_as_known_at(
        search: CLI, options: tuple[str, ...], expected: str) -> None:
    status = search.json("status", "umbrella", *options)
    assert status.keys() >= APPLICATION_KEYS
    assert status["state"] == expected


def test_status_of_all_applications_as_of_a_past_time(search: CLI) -> None:
    then = {a["id"]: a["state"] for a in search.json("status", "--as-of", "2026-10-15")}
    assert then == {"acme-backend-engineer": "applied", "hooli-staff-engineer": "declined",
                    "initech-platform-engineer": "interviewing"}
    known = {a["id"] for a in search.json("status", "--known-at", "2026-11-04")}
    assert known == {"umbrella-backend-developer"}


def test_agenda_lists_open_tasks_overdue_first_then_soonest(search: CLI) -> None:
    tasks = search.json("agenda")
    for task in tasks:
        assert task.keys() >= TASK_KEYS and task["status"] == "open" and aware(task["due_at"])
    assert [(t["application"].split("-")[0], t["kind"], t["overdue"]) for t in tasks] == [
        ("hooli", "request-feedback", True),        # due 12 October
        ("acme", "follow-up-application", True),    # 15 October
        ("hooli", "reflect", True),                 # 17 October
        ("umbrella", "follow-up-application", True),  # 16 November
        ("initech", "offer-decision", False),       # 1 December
        ("globex", "follow-up-application", False),  # 2 December
    ]
    overdue, later = (block.splitlines() for block in search.ok("agenda").split("\n\n"))
    assert (overdue[0], later[0]) == ("OVERDUE (4)", "LATER (2)")
    assert ["OVERDUE" in line for line in overdue[2:] + later[2:]] == [True] * 4 + [False] * 2


def test_agenda_until_a_date_takes_the_whole_day_and_all_shows_closed_tasks(search: CLI) -> None:
    until = [t["kind"] for t in search.json("agenda", "--until", "2026-12-01")]
    assert until[-1] == "offer-decision" and len(until) == 5  # not globex's, due 2 December
    everything = search.json("agenda", "--all")
    closed = {(t["application"], t["kind"], t["status"]) for t in everything
              if t["status"] != "open"}
    assert closed == {("initech-platform-engineer", "follow-up-application", "closed"),  # replied
                      ("initech-platform-engineer", "debrief", "closed"),  # the offer came
                      ("hooli-staff-engineer", "follow-up-application", "closed")}  # declined


def test_verify_reports_the_whole_log(search: CLI) -> None:
    report = search.json("verify")
    assert report.keys() >= VERIFY_KEYS
    assert (report["ok"], report["events"], report["problems"]) == (True, search.event_count(), [])
    assert len(report["head"]) == 64


def on_a_terminal(cli: CLI, *args: str, **env: str) -> str:
    """Run with stdout on a pseudo-terminal, as a person would; what it printed."""
    leader, follower = pty.openpty()
    environment = {k: v for k, v in cli.env(**env).items() if k != "NO_COLOR" or "NO_COLOR" in env}
    with subprocess.Popen([*afterview_command(), *args], stdout=follower,
                          stderr=subprocess.PIPE, env=environment) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the command has exited
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=30)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(search: CLI) -> None:
    coloured = on_a_terminal(search, "agenda")
    assert "\x1b[" in coloured
    # Colour codes do not count in the column widths: the titles still line up.
    shown = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in coloured.splitlines()[1:]]
    assert len({line.index("Follow up") for line in shown if "Follow up" in line}) == 1
    assert "\x1b[" not in on_a_terminal(search, "agenda", NO_COLOR="1")
    assert "\x1b[" not in search.ok("agenda")  # piped


def test_done_snooze_and_dismiss_close_and_move_tasks(cli: CLI, tmp_path: Path) -> None:
    cli.ok("apply", "Acme", "Engineer", "--at", "2026-11-02")
    cli.ok("apply", "Globex", "Engineer", "--at", "2026-11-02")
    acme, globex = (t["id"] for t in sorted(cli.json("agenda"), key=lambda t: t["application"]))

    done = cli.json("done", acme[:-2], "--note", "emailed the recruiter")
    assert (done["id"], done["status"]) == (acme, "done")
    snoozed = cli.json("snooze", globex, "--until", "2026-12-24T15:00")
    assert (snoozed["due_at"], snoozed["status"], snoozed["overdue"]) == (
        "2026-12-24T15:00:00-05:00", "open", False)
    assert "dismissed" in cli.ok("dismiss", globex, "--reason", "they replied by phone")

    assert cli.json("agenda") == []
    statuses = {t["id"]: (t["status"], t["due_at"]) for t in cli.json("agenda", "--all")}
    assert statuses == {acme: ("done", "2026-11-16T09:00:00-05:00"),
                        globex: ("dismissed", "2026-12-24T15:00:00-05:00")}
