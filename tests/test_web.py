"""``afterview serve`` over HTTP, against a real server process on the demo search: the
launch token and the session, the Host check, CSRF, the size cap, the headers, escaping,
writes that the command line sees at once and refusals in the command line's words, the
calendar feed, and how the server starts and stops."""

from __future__ import annotations

import re
import signal
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from conftest import CLI
from webserver import Served

pytestmark = pytest.mark.slow

NOTE_FORM = "/applications/wayne-enterprises-frontend-engineer/facts/note"


def anonymous(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.base, follow_redirects=False, timeout=30)


# ---------------------------------------------------------------------------
# Launch token and session


def test_the_first_line_is_the_launch_address_on_the_real_port(served: Served) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", served.url)
    assert served.port not in (0, 8765)


@pytest.mark.parametrize("path", ["/", "/agenda", "/applications/wayne-enterprises-frontend-engineer",
                                  "/report.csv", "/compare"])
def test_without_a_session_nothing_is_shown_and_the_page_says_how_to_get_in(
        served: Served, path: str) -> None:
    with anonymous(served) as browser:
        refused = browser.get(path)
    assert refused.status_code == 401
    assert "afterview serve" in refused.text and "?token=" in refused.text
    assert "Wayne" not in refused.text


def test_the_launch_token_works_once(served: Served, client: tuple[httpx.Client, str]) -> None:
    # The module's client has used the token already.
    with anonymous(served) as late:
        again = late.get(f"/?token={served.token}")
        assert again.status_code == 403
        assert "used already" in again.text
        assert late.get("/").status_code == 401
        assert late.get("/?token=not-the-token").status_code == 403


def test_the_session_cookie_is_http_only_strict_and_for_the_whole_site(demo_search: CLI) -> None:
    server = Served(demo_search)
    try:
        with anonymous(server) as browser:
            exchanged = browser.get(f"/?token={server.token}")
            assert exchanged.status_code == 303 and exchanged.headers["location"] == "/"
            cookie = exchanged.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
            assert "Wayne Enterprises" in browser.get("/").text
    finally:
        assert server.stop() == 0


# ---------------------------------------------------------------------------
# Host, Origin, CSRF, size


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1",
                                  "localhost.evil.example:{port}"])
def test_a_host_header_other_than_the_bound_address_is_refused(
        served: Served, client: tuple[httpx.Client, str], host: str) -> None:
    session, _ = client
    refused = session.get("/", headers={"host": host.format(port=served.port)})
    assert refused.status_code == 400
    assert "Wayne" not in refused.text


def test_localhost_with_the_right_port_is_the_same_server(
        served: Served, client: tuple[httpx.Client, str]) -> None:
    session, _ = client
    assert session.get("/", headers={"host": f"localhost:{served.port}"}).status_code == 200


@pytest.mark.parametrize(("csrf", "headers"), [
    (None, {}), ("wrong", {}), ("<the token>", {"origin": "http://evil.example"}),
    ("<the token>", {"origin": "null"}), ("<the token>", {"origin": "https://{host}"}),
    ("<the token>", {"origin": "null", "sec-fetch-site": "cross-site"}),
    ("<the token>", {"origin": "http://{host}", "sec-fetch-site": "same-site"}),
], ids=["no token", "wrong token", "foreign origin", "opaque origin", "other scheme",
        "opaque cross-site", "same-site fetch"])
def test_a_post_without_the_right_token_or_from_elsewhere_is_403_and_appends_nothing(
        served: Served, demo_search: CLI, client: tuple[httpx.Client, str], csrf: str | None,
        headers: dict[str, str]) -> None:
    session, token = client
    form = {"text": "planted"} | ({"csrf": token if csrf == "<the token>" else csrf} if csrf else {})
    headers = {name: value.format(host=served.host) for name, value in headers.items()}
    before = demo_search.event_count()
    refused = session.post(NOTE_FORM, data=form, headers=headers)
    assert refused.status_code == 403
    assert demo_search.event_count() == before
    assert "planted" not in demo_search.ok("show", "wayne")


def test_every_post_route_checks_the_csrf_token(served: Served, demo_search: CLI,
                                                client: tuple[httpx.Client, str]) -> None:
    session, _ = client
    task = demo_search.json("agenda")[0]["id"]
    posts = ["/applications", "/move", NOTE_FORM,
             "/applications/wayne-enterprises-frontend-engineer/void",
             f"/tasks/{task}/done", f"/tasks/{task}/snooze", f"/tasks/{task}/dismiss",
             "/calendar/revoke", "/settings", "/settings/vacation"]
    before = demo_search.event_count()
    for path in posts:
        assert session.post(path, data={"text": "x", "csrf": "forged"}).status_code == 403, path
    assert demo_search.event_count() == before


def test_a_body_over_one_mebibyte_is_413_and_appends_nothing(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    session, token = client
    before = demo_search.event_count()
    refused = session.post(NOTE_FORM, data={"csrf": token, "text": "x" * (1024 * 1024 + 1)})
    assert refused.status_code == 413
    chunked = session.post(NOTE_FORM, content=iter([b"csrf=" + token.encode() + b"&text="]
                                                   + [b"y" * 65536] * 17),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert chunked.status_code == 413
    assert demo_search.event_count() == before


@pytest.mark.parametrize("path", ["/", "/agenda", "/help", "/nowhere", "/static/app.css"])
def test_every_response_carries_the_strict_headers(served: Served, client: tuple[httpx.Client, str],
                                                   path: str) -> None:
    session, _ = client
    for response in (session.get(path), anonymous(served).get(path),
                     session.get(path, headers={"host": "evil.example"})):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_no_page_has_inline_script_and_htmx_is_served_from_here(
        client: tuple[httpx.Client, str]) -> None:
    session, _ = client
    for path in ("/", "/agenda", "/applications/hooli-staff-engineer", "/compare", "/stats"):
        html = session.get(path).text
        assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", html) == [], path
        assert re.findall(r"<[^>]*\s(?:hx-)?on[a-z:-]*\s*=", html) == [], path  # no inline handler
    htmx = session.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]


# ---------------------------------------------------------------------------
# Writes: through the engine, seen by the command line, refused in its words


def test_a_note_is_recorded_escaped_and_the_cli_sees_it_at_once(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    session, token = client
    typed = "<script>alert('salary')</script> & call Bruce"
    done = session.post(NOTE_FORM, data={"csrf": token, "text": typed})
    assert done.status_code == 303
    page = session.get(done.headers["location"]).text
    assert "&lt;script&gt;alert(&#39;salary&#39;)&lt;/script&gt; &amp; call Bruce" in page
    assert "<script>alert" not in page
    assert "recorded: note" in page
    history = demo_search.json("history", "wayne")
    assert history[-1]["type"] == "NoteAdded" and history[-1]["data"]["text"] == typed
    assert history[-1]["actor"] == "web"


def test_a_forbidden_move_is_refused_with_the_cli_error_and_appends_nothing(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    session, token = client
    said = demo_search.refused("accept", "stark-industries-site-reliability-engineer")
    before = demo_search.event_count()
    refused = session.post("/move", data={"csrf": token, "to": "accepted",
                                          "application": "stark-industries-site-reliability-engineer"})
    assert refused.status_code == 409
    assert said.replace("'", "&#39;") in refused.text  # the same "error: ..." line, escaped
    assert demo_search.event_count() == before


@pytest.mark.parametrize(("fields", "option"), [
    ({"salary": "-5"}, ("--salary", "-5")),
    ({"salary": "90000", "currency": "EURO"}, ("--salary", "90000", "--currency", "EURO")),
    ({"salary": "90000", "bonus": "5000%"}, ("--salary", "90000", "--bonus", "5000%")),
    ({"salary": "NaN"}, ("--salary", "NaN")),
    ({"salary": "90000", "at": "2030-01-01"}, ("--salary", "90000", "--at", "2030-01-01")),
])
def test_a_bad_value_is_refused_like_the_option(demo_search: CLI, client: tuple[httpx.Client, str],
                                                fields: dict[str, str],
                                                option: tuple[str, ...]) -> None:
    session, token = client
    said = demo_search.refused("offer", "umbrella", *option, code=2)
    before = demo_search.event_count()
    refused = session.post("/applications/umbrella-corp-backend-developer/facts/offer",
                           data={"csrf": token, **fields})
    assert refused.status_code == 400
    shown = re.search(r'role="alert">(.*?)</p>', refused.text, re.S)
    assert shown is not None
    # The same sentence; a field the form checks is named as the form names it ("salary",
    # not "--salary"), a rule the engine checks (--at) keeps the engine's words.
    assert shown[1].replace("&#39;", "'") in (said, said.replace("--", ""))
    assert demo_search.event_count() == before


def test_an_unknown_application_is_a_404_page_with_the_engine_message(
        client: tuple[httpx.Client, str]) -> None:
    session, _ = client
    missing = session.get("/applications/hoolie")
    assert missing.status_code == 404
    assert "did you mean hooli-staff-engineer?" in missing.text


# ---------------------------------------------------------------------------
# Calendar feed and report


def test_the_calendar_feed_parses_and_its_secret_can_be_revoked(
        served: Served, client: tuple[httpx.Client, str]) -> None:
    import icalendar

    session, token = client
    page = session.get("/calendar").text
    feed = re.search(r'value="(http://[^"]+/calendar\.ics\?feed=[^"]+)"', page)
    assert feed is not None
    with anonymous(served) as calendar_app:  # no session: the feed's own secret is enough
        fetched = calendar_app.get(feed[1])
        assert fetched.status_code == 200
        assert fetched.headers["content-type"].startswith("text/calendar")
        parsed = icalendar.Calendar.from_ical(fetched.content)
        summaries = [str(c["SUMMARY"]) for c in parsed.walk() if c.name in ("VEVENT", "VTODO")]
        assert any("Interview" in s for s in summaries) and len(summaries) > 3
        assert calendar_app.get("/calendar.ics?feed=guess").status_code == 403
        assert calendar_app.get("/calendar.ics").status_code == 403
        assert session.post("/calendar/revoke", data={"csrf": token}).status_code == 303
        assert calendar_app.get(feed[1]).status_code == 403
        renewed = re.search(r'value="(http://[^"]+)"', session.get("/calendar").text)
        assert renewed is not None and renewed[1] != feed[1]
        assert calendar_app.get(renewed[1]).status_code == 200


def test_the_report_downloads_as_the_same_csv_as_the_command(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    session, _ = client
    download = session.get("/report.csv?from=2026-10-01&to=2026-11-20")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.text == demo_search.ok("report", "--format", "csv", "--from", "2026-10-01",
                                    "--to", "2026-11-20")
    bad = session.get("/report?from=2026-11-20&to=2026-10-01")
    assert bad.status_code == 400 and "is after" in bad.text


# ---------------------------------------------------------------------------
# Starting and stopping


def test_a_remote_host_is_refused_without_allow_remote(demo_search: CLI) -> None:
    said = demo_search.refused("serve", "--host", "0.0.0.0", "--no-browser")
    assert "--allow-remote" in said


def test_a_remote_host_with_allow_remote_warns_and_serves(demo_search: CLI) -> None:
    server = Served(demo_search, "--host", "0.0.0.0", "--allow-remote")
    try:
        with anonymous(server) as browser:
            assert browser.get(f"/?token={server.token}").status_code == 303
            assert browser.get("/", headers={"host": f"rebound.example:{server.port}"}).status_code == 400
    finally:
        assert server.stop() == 0
    assert any(line.startswith("warning: listening on 0.0.0.0") for line in server.err)


def test_a_taken_port_is_one_error_line(demo_search: CLI, served: Served) -> None:
    said = demo_search.refused("serve", "--port", str(served.port), "--no-browser", code=1)
    assert f"cannot listen on 127.0.0.1:{served.port}" in said


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_it_cleanly(demo_search: CLI, sig: int) -> None:
    server = Served(demo_search)
    with anonymous(server) as browser:
        assert browser.get(f"/?token={server.token}").status_code == 303
    assert server.stop(sig) == 0
    assert server.err[-1] == "afterview serve: stopped"
    assert not any("Traceback" in line for line in server.err)


def test_serve_is_documented_in_web_md() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "web.md").read_text(encoding="utf-8")
    for needed in ("afterview serve", "calendar.ics?feed=", "--allow-remote", "CSRF", "Host"):
        assert needed in text


class _Controls(HTMLParser):
    """The form controls of a page, the ids that a <label for> names, the controls inside
    a <label>, and the text of each button."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()
        self.buttons: list[str] = []
        self._in_label = 0
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label":
            self._in_label += 1
            if found.get("for"):
                self.labelled.add(str(found["for"]))
        elif tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.controls.append(found)
            found["wrapped"] = "yes" if self._in_label else None
        elif tag == "button":
            self._button = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1
        elif tag == "button" and self._button is not None:
            self.buttons.append(" ".join("".join(self._button).split()))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)


@pytest.mark.parametrize("path", ["/", "/applications/hooli-staff-engineer", "/agenda",
                                  "/as-of?date=2026-11-01", "/report", "/calendar",
                                  "/settings"])
def test_every_input_has_a_label_and_every_button_says_what_it_does(
        client: tuple[httpx.Client, str], path: str) -> None:
    session, _ = client
    page = _Controls()
    page.feed(session.get(path).text)
    assert page.controls, path
    unlabelled = [c for c in page.controls if not c["wrapped"] and c.get("id") not in page.labelled]
    assert unlabelled == []
    assert page.buttons and all(len(text) >= 4 for text in page.buttons), page.buttons


def test_reading_every_page_appends_nothing_not_even_a_firing(
        demo_search: CLI, client: tuple[httpx.Client, str]) -> None:
    """Overdue tasks are shown, never fired: firing is the daemon's work."""
    session, _ = client
    assert any(task["overdue"] and not task["fired"] for task in demo_search.json("agenda"))
    before = demo_search.event_count()
    for path in ("/", "/agenda", "/applications/hooli-staff-engineer", "/compare", "/stats",
                 "/stats.svg", "/as-of?date=2026-11-01&mode=known_at", "/report",
                 "/report.csv", "/help", "/settings"):
        assert session.get(path).status_code == 200, path
    assert demo_search.event_count() == before


# ---------------------------------------------------------------------------
# The whole search through the forms


def test_a_whole_search_through_the_forms(demo_search: CLI,
                                          client: tuple[httpx.Client, str]) -> None:
    """Every form of the application page records the fact its command would."""
    session, token = client

    def post(path: str, **fields: str | list[str]) -> httpx.Response:
        done = session.post(path, data={"csrf": token, **fields})
        assert done.status_code == 303, re.findall(r'role="alert">(.*?)<', done.text)
        return done

    # One accepted application at a time: the demo's acceptance of Initech is voided first.
    accepted = [r for r in demo_search.json("history", "initech") if r["type"] == "OfferAccepted"]
    post("/applications/initech-platform-engineer/void", event=accepted[0]["event_id"],
         reason="changed my mind")
    assert demo_search.json("show", "initech")["state"] == "offered"  # its revised offer
    added = post("/applications", company="Globex", role="Data Engineer", source="referral",
                 contacts="Hank Scorpio, Frank Grimes", at="2026-11-02T09:30")
    app = added.headers["location"]
    assert app == "/applications/globex-data-engineer"
    steps: list[tuple[str, dict[str, str | list[str]], str]] = [
        ("interview", {"on": "2026-11-10T14:00", "kind": "video", "with": "Hank",
                       "at": "2026-11-03T11:00"}, "InterviewScheduled"),
        ("debrief", {"question1": "Why Globex?", "answer1": "The volcano", "better1": "Data",
                     "at": "2026-11-10T15:30"}, "InterviewHeld"),
        ("thanks", {"to": "Hank", "at": "2026-11-10T18:00"}, "ThankYouSent"),
        ("follow-up", {"note": "Any news?", "at": "2026-11-16T09:00"}, "FollowUpSent"),
        ("offer", {"salary": "120000", "bonus": "10%", "equity_total": "40000",
                   "vesting_years": "4", "benefits": "health, dental",
                   "respond_by": "2026-11-25", "at": "2026-11-17T10:00"}, "OfferReceived"),
        ("ask-time", {"until": "2026-11-27", "at": "2026-11-17T12:00"}, "DecisionTimeRequested"),
        ("counter", {"salary": "130000", "reasons": ["market", "commute"], "note": "Levels",
                     "at": "2026-11-18T10:00"}, "CounterOfferMade"),
        ("offer", {"salary": "126000", "at": "2026-11-19T10:00"}, "OfferReceived"),
        ("accept", {"start": "2027-01-04", "at": "2026-11-19T16:00"}, "OfferAccepted"),
        ("notice", {}, "NoticeGiven"),
        ("feedback-requested", {}, "FeedbackRequested"),
        ("feedback", {"text": "Strong on SQL"}, "FeedbackReceived"),
        ("reflect", {"text": "Ask for the range earlier"}, "ReflectionRecorded"),
        ("contact", {"name": "Mindy", "title": "Recruiter", "email": "mindy@globex.example"},
         "ContactAdded"),
        ("note", {"text": "A note to void"}, "NoteAdded"),
    ]
    for kind, fields, _ in steps:
        post(f"{app}/facts/{kind}", **fields)
    types = [row["type"] for row in demo_search.json("history", "globex")]
    assert [t for t in types if not t.startswith("Task")] == [
        "ApplicationSubmitted", *(recorded for _, _, recorded in steps)]
    note = demo_search.json("history", "globex")[-1]
    post(f"{app}/void", event=note["event_id"], reason="typed on the wrong card")
    shown = demo_search.json("show", "globex")
    assert shown["state"] == "accepted"
    assert shown["offer"]["base"] == 126000 and shown["offer"]["revised"] is True
    assert [c["name"] for c in shown["contacts"]] == ["Hank Scorpio", "Frank Grimes", "Mindy"]
    assert shown["rounds"][1]["reasons"] == ["market", "commute"]
    assert "A note to void" not in demo_search.ok("show", "globex")
    for other, fact in (("withdraw", "ApplicationWithdrawn"), ("declined", "ApplicationDeclined")):
        made = post("/applications", company=f"Initrode {other}", role="Analyst")
        post(f"{made.headers['location']}/facts/{other}", reason="not a fit")
        history = demo_search.json("history", f"initrode-{other}")
        assert [r["type"] for r in history if not r["type"].startswith("Task")][-1] == fact
