"""report: a dated activity log with companies, roles and contacts, filtered by day."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import InvalidValue
from afterview.engine.io import report
from afterview.engine.service.api import Engine
from conftest import CLI, new_york


def a_fortnight(engine: Engine) -> None:
    engine.apply(ev.ApplicationSubmitted("Acme", "Backend Engineer", source="referral",
                                         url="https://acme.example/jobs/1", contacts=("Dana Ruiz",)),
                 application_id="acme", at=new_york("2026-11-02T10:00"))
    engine.apply(ev.ApplicationSubmitted("Globex", "Data Engineer"), application_id="globex",
                 at=new_york("2026-11-03T15:00"))
    engine.record("acme", ev.InterviewScheduled(1, new_york("2026-11-10T14:00"), "video",
                                                ("Dana Ruiz", "Lee Chen")),
                  at=new_york("2026-11-05T11:00"))
    engine.record("acme", ev.InterviewHeld(1, ("Dana Ruiz", "Lee Chen")),
                  at=new_york("2026-11-10T15:00"))
    engine.record("acme", ev.ThankYouSent(("Dana Ruiz",)), at=new_york("2026-11-10T18:00"))
    engine.record("globex", ev.FollowUpSent("asked about the timeline"),
                  at=new_york("2026-11-12T09:30"))
    engine.record("globex", ev.ContactAdded("Sam Park", "Recruiter", "sam@globex.example"),
                  at=new_york("2026-11-12T09:45"))
    engine.record("globex", ev.NoteAdded("they use Spark"), at=new_york("2026-11-12T10:00"))
    engine.record("acme", ev.OfferReceived(ev.OfferTerms("USD", 150000)),
                  at=new_york("2026-11-16T12:00"))


def test_every_activity_is_listed_by_day_with_company_role_and_contacts(engine: Engine) -> None:
    a_fortnight(engine)
    built = report.build(engine, None, None)
    rows = [(a.at.date().isoformat(), a.activity, a.company, a.contacts, a.details)
            for a in built.activities]
    assert rows == [
        ("2026-11-02", "Applied", "Acme", ("Dana Ruiz",), "via referral; https://acme.example/jobs/1"),
        ("2026-11-03", "Applied", "Globex", (), ""),
        ("2026-11-05", "Interview scheduled, round 1", "Acme", ("Dana Ruiz", "Lee Chen"),
         "for 2026-11-10 14:00 (video)"),
        ("2026-11-10", "Interview held, round 1", "Acme", ("Dana Ruiz", "Lee Chen"), ""),
        ("2026-11-10", "Thank-you note sent", "Acme", ("Dana Ruiz",), ""),
        ("2026-11-12", "Followed up", "Globex", (), "asked about the timeline"),
        ("2026-11-12", "Contact made", "Globex", ("Sam Park",), "Recruiter, sam@globex.example"),
        ("2026-11-16", "Offer received", "Acme", ("Dana Ruiz",), "USD 150,000 base"),
    ]  # the note is not an activity; the follow-up tasks are bookkeeping


def test_days_from_and_to_are_both_included(engine: Engine) -> None:
    a_fortnight(engine)
    built = report.build(engine, date(2026, 11, 3), date(2026, 11, 10))
    assert [a.activity for a in built.activities] == [
        "Applied", "Interview scheduled, round 1", "Interview held, round 1", "Thank-you note sent"]
    assert report.weeks(built.activities, built.tz) == [
        {"week_of": "2026-11-02", "activities": 2, "employers": 2},
        {"week_of": "2026-11-09", "activities": 2, "employers": 1},
    ]
    with pytest.raises(InvalidValue, match="--from 2026-11-11 is after --to 2026-11-10"):
        report.build(engine, date(2026, 11, 11), date(2026, 11, 10))


def test_a_task_marked_done_counts_and_a_voided_fact_does_not(engine: Engine) -> None:
    a_fortnight(engine)
    thanks = next(f for f in engine.facts("acme") if f.event.TYPE == "ThankYouSent")
    engine.void(thanks.event_id, "it was only a draft")  # the thank-you task is open again
    task = next(t for t in engine.application("acme").open_tasks() if t.kind == "thank-you")
    engine.close_task(task.id, "done", "sent it by post")
    found = report.build(engine, date(2026, 11, 10), None).activities
    assert "Thank-you note sent" not in [a.activity for a in found]
    done = found[-1]
    assert (done.activity, done.details, done.at) == (
        "Done: Send a thank-you note to Dana Ruiz, Lee Chen after the interview at Acme "
        "(Backend Engineer)", "sent it by post", new_york("2026-11-20T10:00"))


def test_markdown_and_csv_from_the_command_line(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend Engineer", "--contact", "Dana Ruiz", "--at", "2026-11-02")
    cli.ok("apply", "Globex|Initech", "Data Engineer", "--at", "2026-11-09")
    cli.ok("follow-up", "acme", "--at", "2026-11-13")
    markdown = cli.ok("report", "--from", "2026-11-03")
    assert markdown.startswith("# Job search activity report\n")
    assert "Period: 2026-11-03 to 2026-11-20. 2 activities with 2 employers." in markdown
    assert "| 2026-11-09 | Applied | Globex\\|Initech | Data Engineer |  |  |" in markdown
    assert "| 2026-11-13 | Followed up | Acme | Backend Engineer | Dana Ruiz |  |" in markdown
    assert "2026-11-02" not in markdown.split("## Activities")[1]
    rows = list(csv.DictReader(io.StringIO(cli.ok("report", "--format", "csv", "--to", "2026-11-09"))))
    assert [(r["date"], r["time"], r["activity"], r["company"], r["contacts"]) for r in rows] == [
        ("2026-11-02", "09:00", "Applied", "Acme", "Dana Ruiz"),
        ("2026-11-09", "09:00", "Applied", "Globex|Initech", ""),
    ]
    assert cli.refused("report", "--from", "someday", code=2).startswith("error: --from")


def test_report_csv_cells_never_start_a_formula(cli: CLI) -> None:
    cli.ok("apply", "--at", "2026-11-09", "--", '=HYPERLINK("http://evil.example")', "@SUM(1)")
    rows = list(csv.DictReader(io.StringIO(cli.ok("report", "--format", "csv"))))
    assert [(r["company"], r["role"]) for r in rows] == [
        ('\'=HYPERLINK("http://evil.example")', "'@SUM(1)")]
