"""``afterview serve`` in a real browser: Debian's Chromium driven by Playwright over the
demo search. A person drags cards, types notes, works the agenda; a page from another site
and a rebound host name are refused; screenshots at 360 and 1280 px go to an artefact
folder ($AFTERVIEW_ARTIFACTS, else a temporary one; the path is printed).

Never ``playwright install``: it downloads a browser. With CI=true a missing Chromium
fails these tests instead of skipping them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import CLI
from webserver import Served

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
REBOUND = "rebind.example"  # resolved to 127.0.0.1 by the browser: a DNS rebinding attack
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1"]
DEMO_COMPANIES = ("Cyberdyne Systems", "Hooli", "Initech", "Soylent", "Stark Industries",
                  "Umbrella Corp", "Vandelay Industries", "Wayne Enterprises")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"no browser at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def signed_in(browser: Any, served: Served) -> Iterator[Any]:
    """A browser context that opened the launch address, as a person would."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(served.url)
    assert page.url == served.base + "/"  # the token left the address bar
    page.close()
    yield context
    context.close()


@pytest.fixture
def page(signed_in: Any) -> Iterator[Any]:
    """A page that fails the test on any Content-Security-Policy violation."""
    opened = signed_in.new_page()
    violations: list[str] = []
    opened.on("console", lambda message: violations.append(message.text)
              if "Content Security Policy" in message.text else None)
    yield opened
    opened.close()
    assert violations == []


def card(page: Any, state: str, company: str) -> Any:
    return page.locator(f'[data-column="{state}"] a.card', has_text=company)


def test_the_board_shows_the_demo(page: Any, served: Served) -> None:
    from playwright.sync_api import expect

    page.goto(served.base + "/")
    for company in DEMO_COMPANIES:
        expect(page.get_by_role("link", name=re.compile(re.escape(company)))).to_have_count(1)
    expect(card(page, "accepted", "Initech")).to_be_visible()
    expect(card(page, "negotiating", "Hooli")).to_contain_text("days negotiating")


def test_dragging_to_offered_with_terms_records_the_offer(page: Any, served: Served,
                                                          demo_search: CLI) -> None:
    from playwright.sync_api import expect

    page.goto(served.base + "/")
    card(page, "interviewing", "Umbrella").drag_to(page.locator('[data-column="offered"]'))
    dialog = page.locator("#move-offered")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Move Umbrella Corp to offered")
    dialog.get_by_label("Base salary per year").fill("97,500")
    dialog.get_by_label("Currency").fill("eur")
    dialog.get_by_label("Respond by").fill("2026-11-27")
    dialog.get_by_role("button", name="Record and move to offered").click()
    expect(page.get_by_role("status")).to_contain_text("Umbrella Corp: offer received, now offered")
    expect(card(page, "offered", "Umbrella")).to_be_visible()
    shown = demo_search.json("show", "umbrella")
    assert shown["state"] == "offered"
    assert (shown["offer"]["base"], shown["offer"]["currency"]) == (97500, "EUR")
    assert shown["offer"]["respond_by"].startswith("2026-11-27")


def test_a_forbidden_move_is_refused_in_the_page_and_the_card_goes_back(
        page: Any, served: Served, demo_search: CLI) -> None:
    from playwright.sync_api import expect

    said = demo_search.refused("accept", "stark-industries-site-reliability-engineer")
    before = demo_search.event_count()
    page.goto(served.base + "/")
    card(page, "applied", "Stark").drag_to(page.locator('[data-column="accepted"]'))
    page.locator("#move-accepted").get_by_role("button", name="Record and move to accepted").click()
    expect(page.get_by_role("alert")).to_have_text(said)
    expect(card(page, "applied", "Stark")).to_be_visible()
    expect(card(page, "accepted", "Stark")).to_have_count(0)
    assert demo_search.event_count() == before


def test_dropping_back_on_applied_is_refused_the_card_stays(page: Any, served: Served,
                                                            demo_search: CLI) -> None:
    from playwright.sync_api import expect

    before = demo_search.event_count()
    page.goto(served.base + "/")
    card(page, "negotiating", "Hooli").drag_to(page.locator('[data-column="applied"]'))
    expect(page.get_by_role("alert")).to_contain_text(
        "no fact moves application 'hooli-staff-engineer' back to applied")
    expect(card(page, "negotiating", "Hooli")).to_be_visible()
    assert demo_search.event_count() == before


def test_a_cancelled_move_puts_the_card_back_and_records_nothing(
        page: Any, served: Served, demo_search: CLI) -> None:
    from playwright.sync_api import expect

    before = demo_search.event_count()
    page.goto(served.base + "/")
    card(page, "applied", "Wayne").drag_to(page.locator('[data-column="declined"]'))
    page.locator("#move-declined").get_by_role("button", name="Cancel").click()
    expect(card(page, "applied", "Wayne")).to_be_visible()
    assert demo_search.event_count() == before


def test_adding_a_note(page: Any, served: Served, demo_search: CLI) -> None:
    from playwright.sync_api import expect

    page.goto(served.base + "/")
    page.get_by_role("link", name=re.compile("Wayne Enterprises")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wayne Enterprises")
    page.get_by_label("Note", exact=True).fill("Asked Lucius about the <team> & the stack")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".notes")).to_contain_text("Asked Lucius about the <team> & the stack")
    assert "Asked Lucius about the <team> & the stack" in demo_search.ok("show", "wayne")


def test_the_forms_work_without_javascript(browser: Any, served: Served, demo_search: CLI) -> None:
    """Progressive: with scripts off, a form posts and the next page shows the result."""
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    try:
        # A second launch token is needed: this server's was used; start another server.
        server = Served(demo_search)
        try:
            page = context.new_page()
            page.goto(server.url)
            page.goto(server.base + "/applications/vandelay-industries-product-analyst")
            page.get_by_label("Note", exact=True).fill("Written without JavaScript")
            page.get_by_role("button", name="Add note").click()
            expect(page.locator(".notes")).to_contain_text("Written without JavaScript")
            expect(page.get_by_role("status")).to_have_text("recorded: note")
        finally:
            assert server.stop() == 0
    finally:
        context.close()


def test_done_and_snooze_on_the_agenda(page: Any, served: Served, demo_search: CLI) -> None:
    from playwright.sync_api import expect

    page.goto(served.base + "/agenda")
    overdue = page.locator('section[aria-labelledby="h-overdue"] li.task')
    first, second = (overdue.nth(i).get_attribute("id").removeprefix("task-") for i in (0, 1))
    page.locator(f"#task-{first}").get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("status")).to_contain_text("done: ")
    expect(page.locator(f"#task-{first}")).to_have_count(0)
    row = page.locator(f"#task-{second}")
    row.get_by_label("Snooze until").fill("2026-12-01")
    row.get_by_role("button", name="Snooze").click()
    expect(page.locator(f'section[aria-labelledby="h-upcoming"] #task-{second}')).to_be_visible()
    tasks = {t["id"]: t for t in demo_search.json("agenda", "--all")}
    assert tasks[first]["status"] == "done"
    assert tasks[second]["due_at"].startswith("2026-12-01T09:00")


def test_no_access_without_the_token(browser: Any, served: Served) -> None:
    stranger = browser.new_context()
    try:
        page = stranger.new_page()
        response = page.goto(served.base + "/applications/hooli-staff-engineer")
        assert response.status == 401
        assert "Open afterview with its address" in page.content()
        assert "Hooli" not in page.content()
    finally:
        stranger.close()


def test_a_cross_site_post_is_refused_and_appends_nothing(page: Any, served: Served,
                                                          demo_search: CLI) -> None:
    """A page on another site posts a form to the server, in the signed-in browser."""
    target = f"{served.base}/applications/wayne-enterprises-frontend-engineer/facts/note"
    page.route("http://evil.example/", lambda route: route.fulfill(
        content_type="text/html",
        body=f'<form method="post" action="{target}"><input name="text" value="planted">'
             '<input name="csrf" value="guessed"><button>Win a prize</button></form>'))
    before = demo_search.event_count()
    page.goto("http://evil.example/")
    with page.expect_response(target) as posted:
        page.get_by_role("button", name="Win a prize").click()
    assert posted.value.status in (401, 403)
    assert demo_search.event_count() == before
    assert "planted" not in demo_search.ok("show", "wayne")


def test_a_rebound_host_name_is_refused(signed_in: Any, served: Served) -> None:
    page = signed_in.new_page()
    try:
        response = page.goto(f"http://{REBOUND}:{served.port}/")
        assert response.status == 400
        assert "Hooli" not in page.content()
    finally:
        page.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_pages_read_at_phone_and_desktop_widths(signed_in: Any, served: Served, width: int,
                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = Path(os.environ.get("AFTERVIEW_ARTIFACTS") or tmp_path_factory.mktemp("artefacts"))
    folder = folder / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {folder}")
    page = signed_in.new_page()
    page.set_viewport_size({"width": width, "height": 800})
    try:
        for name, path in [("board", "/"), ("application", "/applications/hooli-staff-engineer"),
                           ("agenda", "/agenda"), ("compare", "/compare"), ("stats", "/stats"),
                           ("report", "/report"), ("as-of", "/as-of?date=2026-11-01")]:
            assert page.goto(served.base + path).status == 200
            # Nothing but the tables' own scrolling boxes is wider than the screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    finally:
        page.close()
    assert len(list(folder.glob(f"*-{width}.png"))) == 7
