"""The facts issue 15 added, recorded in the browser (``afterview serve`` over HTTP, a real
server on the demo search, clock fixed at NOW): moving and cancelling an interview, a debrief
whose questions keep their answers and tips, the start date, discarding and restoring, days
off and settings, applying again, and the task references on the agenda. Each test checks
what the page says and what ``show`` / ``history --json`` then hold, and that a refusal is
the command line's ``error:`` line with nothing appended."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from conftest import CLI

pytestmark = pytest.mark.slow

UMBRELLA = "/applications/umbrella-corp-backend-developer"
WAYNE = "/applications/wayne-enterprises-frontend-engineer"


def post(client: tuple[httpx.Client, str], path: str, **fields: str) -> httpx.Response:
    session, token = client
    return session.post(path, data={"csrf": token, **fields})


def recorded(client: tuple[httpx.Client, str], path: str, **fields: str) -> str:
    """POST a form that must work; the page it leads to."""
    done = post(client, path, **fields)
    assert done.status_code == 303, alert(done)
    return client[0].get(done.headers["location"]).text


def alert(page: httpx.Response) -> str | None:
    shown = re.search(r'role="alert">(.*?)</p>', page.text, re.S)
    return html.unescape(shown[1]) if shown else None


def refused_alike(cli: CLI, client: tuple[httpx.Client, str], path: str,
                  fields: dict[str, str], *command: str, named: tuple[str, str] = ("", "")) -> str:
    """The form is refused with the command's own error line, and nothing is appended (a
    value the form checks is ``named`` as the form names it, as in tests/test_web.py)."""
    said = cli.refused(*command).replace(*named)
    before = cli.event_count()
    refused = post(client, path, **fields)
    assert refused.status_code in (400, 409)
    shown = alert(refused)
    assert shown is not None and shown.startswith(said), (shown, said)
    assert cli.event_count() == before
    return shown


def facts(cli: CLI, app: str, kind: str) -> list[dict[str, object]]:
    return [row for row in cli.json("history", app) if row["type"] == kind and not row["voided"]]


def interview_lines(cli: CLI, app: str) -> list[str]:
    return [line.strip() for line in cli.ok("show", app).splitlines()
            if line.strip().startswith("interview ")]


def test_an_interview_is_moved_then_cancelled_and_shows_once(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    page = recorded(client, f"{UMBRELLA}/facts/reschedule", on="2026-11-24T15:00", by="company")
    assert "recorded: interview moved" in page
    assert "Interview round 1: moved to Tue 2026-11-24 15:00" in page
    assert interview_lines(demo_search, "umbrella") == [
        "interview round 1 moved to Tue 24 Nov 15:00 (in 4 days) (onsite); with Alice Abernathy"]
    [moved] = facts(demo_search, "umbrella", "InterviewRescheduled")
    assert moved["actor"] == "web" and moved["data"]["by"] == "company"  # type: ignore[index]

    page = recorded(client, f"{UMBRELLA}/facts/cancel-interview", by="me",
                    reason="took the day off sick")
    assert "Interview round 1: cancelled by you" in page and "took the day off sick" in page
    assert interview_lines(demo_search, "umbrella") == [
        "interview round 1 cancelled by me (took the day off sick), was Tue 24 Nov 15:00 "
        "(in 4 days) (onsite); with Alice Abernathy"]
    [cancelled] = facts(demo_search, "umbrella", "InterviewCancelled")
    assert cancelled["data"] == {"round": 1, "by": "me", "reason": "took the day off sick"}

    # Nothing pending any more: both forms are refused as the command is.
    refused_alike(demo_search, client, f"{UMBRELLA}/facts/cancel-interview", {},
                  "interview", "umbrella", "--cancel")
    bad = post(client, f"{UMBRELLA}/facts/reschedule", on="2026-11-25T10:00", by="nobody")
    assert bad.status_code == 400 and alert(bad) == "error: by 'nobody' is not one of me, company"


def test_a_debrief_keeps_each_question_with_its_own_answer_and_tip(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    demo_search.ok("interview", "wayne", "--on", "2026-11-19 10:00", "--at", "2026-11-17 09:00")
    refused_alike(demo_search, client, f"{WAYNE}/facts/debrief",
                  {"question1": "Why us?", "answer2": "an answer without its question"},
                  "debrief", "wayne", "--qa", "Why us?", "", "", "--qa", "",
                  "an answer without its question", "")
    page = recorded(client, f"{WAYNE}/facts/debrief", **{"with": "Lucius",
        "question1": "Why us?", "answer1": "The mission", "better1": "Name a product",
        "question2": "A conflict you solved?",
        "question4": "Questions for us?", "better4": "Ask about the on-call rota",
        "note": "Went well"})
    assert "recorded: interview held (debrief)" in page
    assert "Interview round 1: held Thu 2026-11-19 10:00" in page  # the round's time, not now
    [held] = facts(demo_search, "wayne", "InterviewHeld")
    assert held["data"]["questions"] == [  # type: ignore[index]
        {"question": "Why us?", "answer": "The mission", "better": "Name a product"},
        {"question": "A conflict you solved?", "answer": None, "better": None},
        {"question": "Questions for us?", "answer": None, "better": "Ask about the on-call rota"}]
    assert "Ask about the on-call rota" in demo_search.ok("practice")


def test_a_start_date_recorded_after_accepting_plans_notice_and_rest(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    [acceptance] = facts(demo_search, "initech", "OfferAccepted")
    demo_search.ok("void", str(acceptance["event_id"]), "--reason", "one accepted offer at a time")
    demo_search.ok("accept", "vandelay")  # no start date yet
    app = "/applications/vandelay-industries-product-analyst"
    assert "No start date recorded yet" in client[0].get(app).text
    page = recorded(client, f"{app}/facts/start-date", start="2027-01-05")
    assert "recorded: start date" in page
    # Start Tue 5 Jan, 3 rest days: the last working day is the business day on or before
    # Sat 2 Jan, and notice 14 days before that (the demo sets no holiday calendar).
    assert "Last working day</dt><dd>Fri 2027-01-01" in page
    assert "Give notice by</dt><dd>Fri 2026-12-18" in page
    plan = demo_search.json("show", "vandelay")["plan"]
    assert (plan["start_date"], plan["last_working_day"], plan["notice_date"]) == (
        "2027-01-05", "2027-01-01", "2026-12-18")
    assert facts(demo_search, "vandelay", "StartDateRecorded")[0]["actor"] == "web"
    refused_alike(demo_search, client, f"{app}/facts/start-date", {"start": "not a date"},
                  "start-date", "vandelay", "not a date", named=("WHEN:", "start:"))


def test_applying_again_is_refused_in_the_cli_words_and_says_how_then_discard_and_restore(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    same = {"company": "Stark Industries", "role": "Site Reliability Engineer"}
    said = refused_alike(demo_search, client, "/applications", same,
                         "apply", "Stark Industries", "Site Reliability Engineer")
    assert "tick “Apply again”" in said
    app = post(client, "/applications", **same, again="yes").headers["location"]
    assert app == "/applications/stark-industries-site-reliability-engineer-2"
    assert 'href="/applications/stark-industries-site-reliability-engineer-2"' in \
        client[0].get("/").text

    page = recorded(client, f"{app}/facts/discard", reason="entered twice")
    assert "This application was discarded as entered by mistake: entered twice." in page
    assert "Restore application (void the discard)" in page and '<label for="restore-reason"' in page
    assert demo_search.json("show", "stark-industries-site-reliability-engineer-2")["discarded"]
    assert "-engineer-2" not in client[0].get("/").text
    assert "-engineer-2" not in demo_search.ok("list")
    assert "-engineer-2" in demo_search.ok("list", "--all")

    discard = re.search(r'name="event" value="([^"]+)"', page.split('id="form-restore"')[1])
    assert discard is not None
    page = recorded(client, f"{app}/void", event=discard[1], reason="it was not a duplicate")
    assert "was discarded" not in page and "voided that fact" in page
    assert not demo_search.json("show", "stark-industries-site-reliability-engineer-2")["discarded"]
    assert "-engineer-2" in client[0].get("/").text
    [voided] = [r for r in demo_search.json("history", app.rsplit("/", 1)[1])
                if r["type"] == "ApplicationDiscarded"]
    assert voided["voided"]


def test_settings_and_days_off_go_through_config_set_and_vacation(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    refused_alike(demo_search, client, "/settings", {"key": "timezone", "value": "Mars/Base"},
                  "config", "set", "timezone", "Mars/Base")
    refused_alike(demo_search, client, "/settings", {"key": "workday_start", "value": "25:00"},
                  "config", "set", "workday_start", "25:00")
    page = recorded(client, "/settings", key="days_off", value="2026-12-24")
    assert "days_off = 2026-12-24" in page
    assert demo_search.json("config", "get", "days_off")["value"] == "2026-12-24"
    recorded(client, "/settings", key="target_salary", value="150000")
    assert demo_search.ok("config", "get", "target_salary").strip() == "150000"

    refused_alike(demo_search, client, "/settings/vacation", {"from": "2026-12-31", "to": "2026-12-28"},
                  "vacation", "2026-12-31", "2026-12-28")
    page = recorded(client, "/settings/vacation", **{"from": "2026-12-28", "to": "2026-12-30",
                                                     "reason": "family"})
    assert "days off Mon 2026-12-28 to Wed 2026-12-30" in page
    assert "Recorded: Mon 2026-12-28, Tue 2026-12-29, Wed 2026-12-30" in page
    [off] = [r for r in demo_search.json("history", "profile") if r["type"] == "DaysOffRecorded"]
    assert off["actor"] == "web" and off["data"]["reason"] == "family"  # type: ignore[index]


def test_the_agenda_shows_each_task_reference(demo_search: CLI,
                                              client: tuple[httpx.Client, str]) -> None:
    page = client[0].get("/agenda").text
    refs = [task["ref"] for task in demo_search.json("agenda")]
    assert refs and all(f">{ref}</code>" in page for ref in refs)
