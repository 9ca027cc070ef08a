"""Entering facts through the real command line: every fact-entering command succeeds and
changes what ``show``, ``status``, ``agenda`` and ``history --json`` report."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from conftest import CLI, NOW

APPLICATION_KEYS = {"id", "company", "role", "state", "applied_at", "updated_at"}


def history(cli: CLI, app: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cli.json("history", app)
    return rows


def only(rows: list[dict[str, Any]], type_name: str) -> dict[str, Any]:
    """The one history row of that type."""
    (row,) = [r for r in rows if r["type"] == type_name]
    return row


def all_tasks(cli: CLI) -> dict[str, dict[str, Any]]:
    return {t["kind"]: t for t in cli.json("agenda", "--all")}


def test_apply_records_every_detail_and_makes_unique_ids_from_company_and_role(cli: CLI) -> None:
    out = cli.ok("apply", "Acme Corp", "Backend Engineer", "--source", "referral",
                 "--url", "https://acme.example/jobs/1", "--location", "Remote",
                 "--contact", "Ann Lee", "--contact", "Bo Chen", "--at", "2026-11-02")
    assert out.strip() == "acme-corp-backend-engineer"

    shown = cli.json("show", "acme-corp")
    assert (shown["state"], shown["source"], shown["url"], shown["location"]) == (
        "applied", "referral", "https://acme.example/jobs/1", "Remote")
    assert [c["name"] for c in shown["contacts"]] == ["Ann Lee", "Bo Chen"]
    assert shown["applied_at"] == "2026-11-02T09:00:00-05:00"  # a date alone: 09:00 local
    submitted = only(history(cli, "acme-corp"), "ApplicationSubmitted")
    assert submitted["data"]["company"] == "Acme Corp"
    assert submitted["data"]["contacts"] == ["Ann Lee", "Bo Chen"]

    # The same job within 60 days is refused unless applying again on purpose.
    assert "add --again" in cli.refused("apply", "ACME corp", "Backend  engineer!", code=1)
    again = cli.json("apply", "ACME corp", "Backend  engineer!", "--again")  # other spelling
    assert again.keys() >= APPLICATION_KEYS
    assert (again["id"], again["company"], again["state"]) == (
        "acme-corp-backend-engineer-2", "ACME corp", "applied")
    assert cli.ok("apply", "Acme Corp", "Backend Engineer", "--again").strip() == (
        "acme-corp-backend-engineer-3")
    assert cli.ok("apply", "Acme", "SRE", "--id", "acme-sre-2027").strip() == "acme-sre-2027"
    assert sorted(a["id"] for a in cli.json("list")) == [
        "acme-corp-backend-engineer", "acme-corp-backend-engineer-2",
        "acme-corp-backend-engineer-3", "acme-sre-2027"]


def test_interview_debrief_thanks_and_follow_up(cli: CLI) -> None:
    cli.ok("apply", "Globex", "Data Engineer", "--at", "2026-11-02")
    cli.ok("interview", "globex", "--on", "2026-11-10T14:00", "--kind", "video",
           "--with", "Bob Stone", "--at", "2026-11-05T11:00")
    # Answers and tips paired by position must match the questions, or are refused.
    assert "1 --answer" in cli.refused(
        "debrief", "glob", "--question", "Why us?", "--answer", "Your public API",
        "--question", "Salary expectations?", code=2)
    cli.ok("debrief", "glob", "--with", "Bob Stone",
           "--qa", "Why us?", "Your public API", "Name the product I would work on",
           "--qa", "Salary expectations?", "", "", "--note", "friendly", "--at", "2026-11-10T15:30")
    shown = cli.json("show", "globex")
    tasks = {t["kind"]: t for t in shown["tasks"]}
    assert shown["state"] == "interviewing"
    # 24 hours after the interview itself (14:00), not after the debrief
    assert tasks["thank-you"]["due_at"] == "2026-11-11T14:00:00-05:00"
    assert "follow-up-interview" in tasks

    cli.ok("thanks", "globex", "--to", "Bob Stone", "--at", "2026-11-10T18:00")
    cli.ok("follow-up", "globex", "--note", "asked about next steps", "--at", "2026-11-17T10:00")
    closed = all_tasks(cli)
    assert closed["thank-you"]["status"] == closed["follow-up-interview"]["status"] == "closed"

    rows = history(cli, "globex")
    assert only(rows, "InterviewScheduled")["data"] == {
        "round": 1, "scheduled_for": "2026-11-10T14:00:00-05:00", "kind": "video",
        "interviewers": ["Bob Stone"]}
    held = only(rows, "InterviewHeld")
    assert held["occurred_at"] == "2026-11-10T15:30:00-05:00"
    assert held["data"]["interviewers"] == ["Bob Stone"]
    assert held["data"]["questions"] == [
        {"question": "Why us?", "answer": "Your public API",
         "better": "Name the product I would work on"},
        {"question": "Salary expectations?", "answer": None, "better": None}]
    assert held["data"]["note"] == "friendly"
    assert only(rows, "ThankYouSent")["data"]["to"] == ["Bob Stone"]
    assert only(rows, "FollowUpSent")["data"]["note"] == "asked about next steps"
    assert [r["state_after"] for r in rows if not r["type"].startswith("Task")] == [
        "applied", "interviewing", "interviewing", "interviewing", "interviewing"]


def test_offer_time_to_decide_counter_revised_offer_accept_and_notice(cli: CLI) -> None:
    cli.ok("config", "set", "currently_employed", "true")
    cli.ok("apply", "Initech", "Platform Engineer", "--at", "2026-10-20")
    cli.ok("offer", "initech", "--salary", "120,000", "--currency", "eur", "--bonus", "10%",
           "--signing", "5000", "--equity", "8000", "--relocation", "3000",
           "--benefit", "dental", "--benefit", "gym", "--respond-by", "2026-11-24",
           "--at", "2026-11-16")
    shown = cli.json("show", "initech")
    assert shown["state"] == "offered"
    offer = shown["offer"]
    assert (offer["currency"], offer["base"], offer["bonus_percent"], offer["signing"],
            offer["equity_per_year"], offer["relocation"], offer["benefits"]) == (
        "EUR", 120000, 10, 5000, 8000, 3000, ["dental", "gym"])
    # a date alone is that whole day: the deadline ends at workday_end, the task is due at 09:00
    assert (offer["respond_by"], offer["revised"]) == ("2026-11-24T17:00:00-05:00", False)
    assert [(t["kind"], t["due_at"]) for t in shown["tasks"]] == [
        ("offer-decision", "2026-11-24T09:00:00-05:00")]

    asked = cli.json("ask-time", "initech", "--until", "2026-11-27T17:00")
    assert [(t["kind"], t["due_at"]) for t in asked["tasks"]] == [
        ("offer-decision", "2026-11-27T17:00:00-05:00")]

    cli.ok("counter", "initech", "--salary", "135000", "--currency", "EUR", "--reason", "market",
           "--reason", "relocation", "--note", "two offers at 135k", "--at", "2026-11-18")
    cli.ok("offer", "initech", "--salary", "128000", "--currency", "EUR", "--at", "2026-11-19")
    revised = cli.json("show", "initech")
    assert (revised["state"], revised["offer"]["base"], revised["offer"]["revised"]) == (
        "offered", 128000, True)

    cli.ok("accept", "initech", "--start", "2027-01-11", "--at", "2026-11-19T16:00")
    cli.ok("notice", "initech")
    assert all_tasks(cli)["resignation-notice"]["status"] == "closed"  # scheduled, then closed
    rows = history(cli, "initech")
    facts = [(r["type"], r["state_after"]) for r in rows if not r["type"].startswith("Task")]
    assert facts == [("ApplicationSubmitted", "applied"), ("OfferReceived", "offered"),
                     ("DecisionTimeRequested", "offered"), ("CounterOfferMade", "negotiating"),
                     ("OfferReceived", "offered"), ("OfferAccepted", "accepted"),
                     ("NoticeGiven", "accepted")]
    assert only(rows, "DecisionTimeRequested")["data"]["until"] == "2026-11-27T17:00:00-05:00"
    countered = only(rows, "CounterOfferMade")["data"]
    assert (countered["reasons"], countered["note"]) == (["market", "relocation"],
                                                         "two offers at 135k")
    assert Decimal(str(countered["terms"]["base"])) == 135000
    assert only(rows, "OfferAccepted")["data"]["start_date"] == "2027-01-11"


def test_withdraw_declined_feedback_and_reflection(cli: CLI) -> None:
    cli.ok("apply", "Hooli", "Staff Engineer", "--at", "2026-11-02")
    cli.ok("apply", "Soylent", "Data Scientist", "--at", "2026-11-02")
    cli.ok("withdraw", "hooli", "--reason", "took another offer")
    withdrawn = only(history(cli, "hooli"), "ApplicationWithdrawn")
    assert (withdrawn["data"]["reason"], withdrawn["state_after"]) == ("took another offer",
                                                                     "withdrawn")

    cli.ok("declined", "soylent", "--reason", "internal candidate", "--at", "2026-11-16")
    cli.ok("feedback", "soylent", "--requested", "--at", "2026-11-17")
    cli.ok("feedback", "soylent", "--received", "needs more SQL", "--at", "2026-11-18")
    cli.ok("reflect", "soylent", "Practise SQL window functions")
    tasks = all_tasks(cli)  # the rejection scheduled both; the facts after it closed them
    assert tasks["request-feedback"]["status"] == tasks["reflect"]["status"] == "closed"
    rows = history(cli, "soylent")
    assert only(rows, "FeedbackReceived")["data"]["text"] == "needs more SQL"
    assert only(rows, "ReflectionRecorded")["data"]["text"] == "Practise SQL window functions"
    assert only(rows, "FeedbackRequested")["occurred_at"] == "2026-11-17T09:00:00-05:00"
    assert {r["state_after"] for r in rows[rows.index(only(rows, "ApplicationDeclined")):]} == {
        "declined"}


def test_note_and_contact(cli: CLI) -> None:
    cli.ok("apply", "Umbrella", "Backend Developer", "--at", "2026-11-02")
    noted = cli.json("note", "umbrella", "Met Dana at the meetup", "--at", "2026-11-03")
    assert noted.keys() >= APPLICATION_KEYS and noted["state"] == "applied"
    cli.ok("contact", "umbrella", "Dana Ruiz", "--title", "Hiring Manager",
           "--email", "dana@umbrella.example")
    assert cli.json("show", "umbrella")["contacts"] == [
        {"name": "Dana Ruiz", "title": "Hiring Manager", "email": "dana@umbrella.example"}]
    rows = history(cli, "umbrella")
    assert only(rows, "NoteAdded")["data"]["text"] == "Met Dana at the meetup"
    assert only(rows, "NoteAdded")["occurred_at"] == "2026-11-03T09:00:00-05:00"
    assert only(rows, "ContactAdded")["data"]["name"] == "Dana Ruiz"


def test_void_recomputes_the_state_and_history_marks_what_was_voided(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Engineer", "--at", "2026-11-02")
    cli.ok("declined", "acme", "--at", "2026-11-10")
    before = history(cli, "acme")
    mistaken = only(before, "ApplicationDeclined")["event_id"]
    assert before[-1]["state_after"] == "declined"

    out = cli.ok("void", mistaken[:8], "--reason", "that email was for another role")
    assert mistaken in out and "applied" in out
    shown = cli.json("show", "acme")
    assert shown["state"] == "applied"
    rows = history(cli, "acme")
    declined_row = only(rows, "ApplicationDeclined")
    assert declined_row["voided"] is True
    assert declined_row["state_after"] == "applied"  # a voided fact changes nothing
    correction = only(rows, "EventVoided")
    assert correction["voided"] is False
    assert correction["data"] == {"event_id": mistaken, "reason": "that email was for another role"}
    # What the rejection scheduled is gone; the follow-up it made moot is open again.
    assert [t["kind"] for t in shown["tasks"]] == ["follow-up-application"]
    assert {r["type"] for r in rows if r["voided"]} == {"ApplicationDeclined", "TaskScheduled",
                                                        "TaskClosed"}


def test_at_sets_when_it_happened_while_recorded_at_is_always_now(cli: CLI) -> None:
    later = "2026-11-21T08:30:00-05:00"
    env = cli.env(AFTERVIEW_NOW=later)
    cli.ok("apply", "Acme", "SRE", "--at", "2026-11-19T14:45", env=env)
    cli.ok("note", "acme", "from yesterday", "--at", "yesterday", env=env)
    cli.ok("note", "acme", "just now", env=env)
    rows = history(cli, "acme")
    submitted, yesterday, just_now = (r for r in rows if r["type"] != "TaskScheduled")
    assert submitted["occurred_at"] == "2026-11-19T14:45:00-05:00"
    assert yesterday["occurred_at"] == "2026-11-20T09:00:00-05:00"
    assert just_now["occurred_at"] == later
    assert {r["recorded_at"] for r in rows} == {later}
    assert NOW not in {r["occurred_at"] for r in rows}


def test_every_confirmation_says_which_state_the_fact_was_decided_on(cli: CLI) -> None:
    """The state before comes from the command's own decision, for every fact command: an
    interview and an offer name the move, a cancellation and a note say nothing moved."""
    cli.ok("apply", "Acme", "Eng", "--at", "2026-11-02")
    assert cli.ok("interview", "acme", "--on", "2026-11-25T14:00").splitlines()[0] == (
        "acme-eng: applied → interviewing.")
    assert cli.ok("interview", "acme", "--cancel").splitlines()[0] == (
        "acme-eng: still interviewing.")
    assert cli.ok("offer", "acme", "--salary", "100000").splitlines()[0] == (
        "acme-eng: interviewing → offered.")
    assert cli.ok("note", "acme", "a note").splitlines()[0] == "acme-eng: still offered."
