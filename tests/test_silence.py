"""Silence (issue 15, item 7): a follow-up met with silence is followed up again, and then the
application is marked gone quiet. Task references (item 9): short, readable, stable, and
prefixes match open tasks only."""

from __future__ import annotations

from conftest import CLI


def test_a_follow_up_met_with_silence_is_followed_up_again_then_gone_quiet(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-10-01")
    cli.ok("follow-up", "acme", "--at", "2026-10-15T10:00")
    (again,) = cli.json("show", "acme")["tasks"]
    # 7 business days after Thu 15 October: 16, 19, 20, 21, 22, 23, 26.
    assert (again["kind"], again["due_at"]) == ("follow-up-again", "2026-10-26T09:00:00-04:00")
    listed = cli.json("list")[0]
    assert listed["gone_quiet"] is True  # due on 26 October, still no answer on 20 November
    board = cli.ok("list")
    assert "acme (gone quiet)" in board and "afterview withdraw acme" in board

    # Following up again replaces it; any answer from the company ends the silence.
    cli.ok("follow-up", "acme")
    assert cli.json("list")[0]["gone_quiet"] is False
    cli.ok("interview", "acme", "--on", "2026-11-30T10:00")
    assert [t["kind"] for t in cli.json("show", "acme")["tasks"]] == ["debrief"]


def test_no_follow_up_again_while_an_offer_waits_for_you(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-10-01")
    cli.ok("offer", "acme", "--salary", "100000", "--at", "2026-11-16")
    cli.ok("follow-up", "acme")
    assert [t["kind"] for t in cli.json("show", "acme")["tasks"]] == ["offer-decision"]


def test_tasks_have_short_references_that_done_snooze_and_dismiss_take(cli: CLI) -> None:
    cli.ok("apply", "Acme Corp", "Backend Engineer", "--at", "2026-11-02")
    cli.ok("apply", "Globex", "Data Engineer", "--at", "2026-11-02")
    out = cli.ok("interview", "acme", "--on", "2026-11-18T10:00")
    assert "task acme-corp-backend-engineer#2 (debrief-" in out
    refs = {t["ref"]: t for t in cli.json("agenda")}
    assert set(refs) == {"acme-corp-backend-engineer#2", "globex-data-engineer#1"}
    # The agenda shows the shortest reference that names the task (done takes it).
    assert {"globex#1", "acme#2"} <= set(cli.ok("agenda").split())

    assert cli.ok("done", "acme#2").startswith("Task acme-corp-backend-engineer#2 (debrief-")
    assert "unknown task acme-corp-backend-engineer#9" in cli.refused("done", "acme#9", code=1)
    assert "is already done" in cli.refused("done", "acme#2", code=1)
    cli.ok("snooze", "glob#1", "--until", "2026-12-15")
    cli.ok("dismiss", "globex-data-engineer#1")
    # A prefix of a task id matches open tasks only: the closed follow-up is not ambiguous.
    cli.ok("apply", "Initech", "SRE", "--at", "2026-11-02")
    assert cli.ok("done", "follow-up-app").startswith("Task initech-sre#1")

    # References stay the same across replays and voids.
    before = {t["id"]: t["ref"] for t in cli.json("agenda", "--all")}
    interview = next(r for r in cli.json("history", "acme") if r["type"] == "InterviewScheduled")
    cli.ok("void", interview["event_id"], "--reason", "wrong application")
    after = {t["id"]: t["ref"] for t in cli.json("agenda", "--all")}
    assert len(after) == len(before) - 1  # the voided interview's debrief is gone
    assert all(after[task_id] == before[task_id] for task_id in after)
