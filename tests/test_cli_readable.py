"""What a person reads: times in their zone with the weekday, natural dates typed in,
tables that fit the terminal, the pager only on a terminal, a board and agenda to live in,
confirmations that say what changed, and show with everything recorded.

The clock is Friday 20 November 2026, 10:00 in New York (the `cli` fixture)."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, afterview_command


@pytest.fixture
def acme(cli: CLI) -> CLI:
    cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02")
    return cli


def test_a_time_typed_in_utc_is_shown_in_the_configured_zone(acme: CLI) -> None:
    acme.ok("interview", "acme", "--on", "2026-11-24T20:00Z", "--with", "Ana")
    assert "round 1 scheduled Tue 24 Nov 15:00 (in 4 days)" in acme.ok("show", "acme")
    (interview,) = acme.json("show", "acme")["interviews"]
    assert interview["scheduled_for"] == "2026-11-24T15:00:00-05:00"  # ISO, in the zone


def test_times_near_now_are_in_words(acme: CLI) -> None:
    acme.ok("note", "acme", "called", "--at", "yesterday 14:00")
    assert "yesterday 14:00: called" in acme.ok("show", "acme")


def test_natural_dates_are_accepted_and_the_confirmation_echoes_the_time(acme: CLI) -> None:
    out = acme.ok("interview", "acme", "--on", "next tue 10am", "--at", "2 days ago")
    assert "Interview round 1 scheduled for Tue 24 Nov 10:00" in out
    assert "(Wed 18 Nov 09:00 (2 days ago))" in out
    (interview,) = acme.json("show", "acme")["interviews"]
    assert interview["scheduled_for"] == "2026-11-24T10:00:00-05:00"


def test_an_ambiguous_date_is_refused_with_what_works(acme: CLI) -> None:
    line = acme.refused("interview", "acme", "--on", "today at 5", code=2)
    assert "could be morning or evening" in line and "next tue 10am" in line
    assert len(acme.json("history", "acme")) == 2  # nothing appended


def test_confirmations_say_what_changed(acme: CLI) -> None:
    acme.ok("offer", "acme", "--salary", "90000")
    out = acme.ok("counter", "acme", "--salary", "95000", "--reason", "market")
    lines = out.splitlines()
    assert lines[0] == "acme-backend-engineer: offered → negotiating."
    assert lines[1].startswith("Counter-offer made: base 95,000 USD; reasons: market (today 10:00)")
    assert any(line.startswith("Next: Follow up on your counter-offer") and "due " in line
               and "task acme-backend-engineer#" in line and "(follow-up-counter-" in line
               for line in lines)
    assert any(line.startswith("Closed task acme-backend-engineer#")
               and "(offer-decision-" in line and line.endswith(": satisfied.") for line in lines)


def test_apply_prints_the_id_alone_in_a_pipe(cli: CLI) -> None:
    assert cli.ok("apply", "Globex", "Analyst") == "globex-analyst\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> CLI:
    """The demo job search, in a database of its own."""
    cli = CLI(tmp_path_factory.mktemp("readable") / "demo.db")
    cli.ok("--db", str(cli.db), "demo")
    return cli


@pytest.mark.parametrize("view", [("board",), ("agenda",), ("agenda", "--all"), ("agenda", "--week"),
                                  ("show", "initech"), ("history", "initech"), ("status",)])
def test_tables_fit_80_columns_and_wide_shows_every_cell_whole(demo: CLI,
                                                              view: tuple[str, ...]) -> None:
    cli = demo
    narrow = cli.ok(*view, env=cli.env(COLUMNS="80"))
    assert max(len(line) for line in narrow.splitlines()) <= 80
    if view[0] != "show":
        assert "…" not in cli.ok(*view, "--wide", env=cli.env(COLUMNS="80"))


def test_the_board_shows_next_step_days_last_contact_and_gone_quiet(demo: CLI) -> None:
    cli = demo
    board = cli.ok("board", env=cli.env(COLUMNS="120"))
    assert "NEXT STEP" in board and "DAYS" in board and "LAST CONTACT" in board
    apps = {a["id"]: a for a in cli.json("board")}
    for app_id, app in apps.items():
        row = next(line for line in board.splitlines() if line.startswith(app_id[:16]))
        step = app["next_step"]
        assert (step["kind"] if step else "-") in row
        assert ("(gone quiet)" in row) == app["gone_quiet"]
    stark = next(line for line in board.splitlines() if line.startswith("stark"))
    assert "Fri 30 Oct" in stark  # the day of the last contact: the application
    assert apps["hooli-staff-engineer"]["last_contact_at"] == "2026-11-13T10:00:00-05:00"


def test_the_agenda_has_today_and_the_interviews_of_the_next_seven_days(acme: CLI) -> None:
    acme.ok("interview", "acme", "--on", "today 15:00")
    acme.ok("apply", "Globex", "Analyst", "--at", "2026-11-02")
    acme.ok("interview", "globex", "--on", "wed 11:00")
    acme.ok("apply", "Initech", "Engineer", "--at", "2026-11-02")
    acme.ok("interview", "initech", "--on", "dec 9 11:00")  # beyond the week: not listed
    blocks = acme.ok("agenda").split("\n\n")
    today = next(b for b in blocks if b.startswith("TODAY"))
    assert "Interview round 1 at Acme (Backend Engineer)" in today and "today 15:00" in today
    later = next(b for b in blocks if b.startswith("LATER"))
    assert "Interview round 1 at Globex (Analyst)" in later
    assert "Interview round 1 at Initech" not in later
    week = acme.ok("agenda", "--week").split("\n\n")
    # each interview with its debrief task two hours later
    assert [b.splitlines()[0] for b in week][:2] == ["TODAY (2)", "WED 25 NOV (2)"]


def test_history_goes_through_the_pager_on_a_terminal_never_into_a_pipe(
        demo: CLI, tmp_path: Path) -> None:
    cli = demo
    paged = tmp_path / "paged.txt"
    env = {**cli.env(), "PAGER": f"tee {paged}", "LINES": "10", "COLUMNS": "100"}
    assert "Applied for" in cli.ok("history", "initech", env=env)  # a pipe: printed
    assert not paged.exists()
    _on_a_terminal(["history", "initech"], env)
    assert "Applied for Platform Engineer at Initech" in paged.read_text()


def _on_a_terminal(args: list[str], env: dict[str, str]) -> None:
    leader, follower = pty.openpty()
    with subprocess.Popen([*afterview_command(), *args], stdin=follower, stdout=follower,
                          stderr=subprocess.PIPE, env=env) as process:
        os.close(follower)
        while True:
            try:
                if not os.read(leader, 65536):
                    break
            except OSError:  # the terminal closed: the command has exited
                break
        assert process.wait(timeout=60) == 0
    os.close(leader)


def test_show_shows_everything_recorded(acme: CLI) -> None:
    acme.ok("contact", "acme", "Ana Ruiz", "--title", "CTO", "--email", "ana@acme.example")
    acme.ok("interview", "acme", "--on", "2026-11-10T14:00", "--kind", "video", "--at", "2026-11-05")
    acme.ok("debrief", "acme", "--with", "Ana Ruiz", "--question", "Why us?", "--answer",
            "The product", "--better", "Name a feature", "--at", "2026-11-10T15:00")
    acme.ok("declined", "acme", "--reason", "went with an internal candidate", "--at", "2026-11-16")
    acme.ok("feedback", "acme", "--received", "Strong on design")
    acme.ok("reflect", "acme", "Prepare more system design")
    acme.ok("note", "acme", "Ana was friendly")
    shown = acme.ok("show", "acme")
    for expected in ("Ana Ruiz, CTO, ana@acme.example",
                     "interview round 1 held Tue 10 Nov 15:00 (10 days ago) (video); "
                     "with Ana Ruiz (CTO)",
                     "Q: Why us?", "you answered: The product", "better: Name a feature",
                     "Feedback\n  Strong on design", "Reflections\n  Prepare more system design",
                     "Ana was friendly", "CLOSED (", "last contact: "):
        assert expected in shown, expected
    data = acme.json("show", "acme")
    assert data["feedback"] == ["Strong on design"]
    assert data["reflections"] == ["Prepare more system design"]
    assert data["interviews"][0]["questions"][0]["answer"] == "The product"
    assert {t["status"] for t in data["closed_tasks"]} == {"closed"}


def test_the_agenda_shows_short_task_references_that_done_takes(cli: CLI) -> None:
    for company, role in (("Acme", "Backend"), ("Acme", "Frontend"), ("Globex", "Analyst")):
        cli.ok("apply", company, role, "--at", "2026-11-02")
    agenda = cli.ok("agenda")
    refs = [line.split()[0] for line in agenda.splitlines() if "#" in line.split()[0]]
    assert sorted(refs) == ["acme-backend#1", "acme-frontend#1", "globex#1"]
    assert cli.ok("done", "globex#1").startswith("Task globex-analyst#1 (")


def test_short_prefixes_are_whole_words_no_other_id_starts_with() -> None:
    from afterview.cli.output.render import short_prefixes

    assert short_prefixes(["acme-backend", "acme-backend-2", "acme-frontend", "globex-analyst",
                           "globe-analyst"]) == {
        "acme-backend": "acme-backend", "acme-backend-2": "acme-backend-2",
        "acme-frontend": "acme-frontend", "globex-analyst": "globex",
        "globe-analyst": "globe-analyst"}
