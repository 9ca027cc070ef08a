"""Offers as companies make them (issue 15, item 4): a revised offer keeps every term it
does not repeat and says what changed; a better offer while still offered is a revised
offer; an offer may come without terms; asking for time never shortens the deadline; a
deadline given as a date alone lasts that whole day (item 8)."""

from __future__ import annotations

from conftest import CLI


def offered(cli: CLI, *extra: str) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("offer", "acme", "--salary", "100000", "--bonus", "10%", "--signing", "5000",
           "--benefit", "dental", *extra, "--at", "2026-11-16T10:00")


def test_a_revision_keeps_what_it_does_not_repeat_and_says_what_changed(cli: CLI) -> None:
    offered(cli)
    cli.ok("counter", "acme", "--salary", "110000", "--at", "2026-11-17")
    cli.ok("offer", "acme", "--salary", "105000", "--at", "2026-11-18")
    offer = cli.json("show", "acme")["offer"]
    assert (offer["base"], offer["bonus_percent"], offer["signing"], offer["benefits"],
            offer["revised"]) == (105000, 10, 5000, ["dental"], True)
    assert "changed: base 100,000 → 105,000" in cli.ok("show", "acme")
    (compared,) = cli.json("compare")
    assert (compared["base"], compared["bonus"], compared["first_year_total"]) == (
        105000, 10500, 120500)
    assert "changed from the previous offer: base 100,000 → 105,000" in cli.ok("compare")
    # A bonus given the other way replaces the old one instead of adding to it.
    cli.ok("offer", "acme", "--bonus", "12000", "--at", "2026-11-19")
    offer = cli.json("show", "acme")["offer"]
    assert (offer["base"], offer["bonus"], offer["bonus_percent"]) == (105000, 12000, None)


def test_a_better_offer_while_still_offered_is_a_revised_offer(cli: CLI) -> None:
    offered(cli)
    out = cli.ok("offer", "acme", "--salary", "104000", "--at", "2026-11-17")
    assert out.startswith("acme: still offered")
    shown = cli.json("show", "acme")
    assert [r["revised"] for r in shown["rounds"]] == [False, True]
    assert [t["kind"] for t in shown["tasks"]] == ["offer-decision"]  # the old one replaced


def test_an_offer_without_terms_is_recorded_and_listed_as_terms_not_recorded(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("offer", "acme", "--at", "2026-11-16")
    shown = cli.json("show", "acme")
    assert shown["state"] == "offered" and shown["offer"]["base"] is None
    assert "terms not recorded" in cli.ok("show", "acme")
    assert "acme (Acme, Backend): offer received, terms not recorded" in cli.ok("compare")
    assert cli.json("compare") == [{"application": "acme", "company": "Acme", "role": "Backend",
                                    "state": "offered", "terms_recorded": False,
                                    "currency": None, "base": None, "first_year_total": None}]
    # Some terms without the salary are refused on a first offer (nothing to carry over).
    cli.ok("apply", "Beta", "Backend", "--id", "beta", "--at", "2026-11-02")
    assert "--salary is needed" in cli.refused("offer", "beta", "--bonus", "5000", code=2)
    # The terms can follow: a later offer with them is compared as usual.
    cli.ok("offer", "acme", "--salary", "90000", "--at", "2026-11-17")
    assert cli.json("compare")[0]["base"] == 90000


def test_asking_for_time_never_shortens_the_deadline(cli: CLI) -> None:
    offered(cli, "--respond-by", "2026-11-30T17:00")
    before = cli.event_count()
    line = cli.refused("ask-time", "acme", "--until", "2026-11-27T12:00", code=1)
    assert "current deadline Mon 2026-11-30T17:00" in line and cli.event_count() == before
    out = cli.ok("ask-time", "acme", "--until", "2026-12-02T12:00")
    assert "Deadline Wed 2 Dec 12:00" in out and "now due Wed 2 Dec 12:00" in out
    assert "current deadline Wed 2026-12-02T12:00" in cli.refused(
        "ask-time", "acme", "--until", "2026-12-01T12:00", code=1)


def test_a_deadline_given_as_a_date_lasts_that_whole_day(cli: CLI) -> None:
    offered(cli, "--respond-by", "2026-11-30")
    out = cli.ok("show", "acme")
    shown = cli.json("show", "acme")
    assert shown["offer"]["respond_by"] == "2026-11-30T17:00:00-05:00"  # workday_end
    assert shown["tasks"][0]["due_at"] == "2026-11-30T09:00:00-05:00"  # that morning
    assert "respond by Mon 30 Nov 17:00" in out
    # Asking until the same day keeps the 17:00 deadline and never moves the task earlier.
    cli.ok("ask-time", "acme", "--until", "2026-11-30")
    assert cli.json("show", "acme")["tasks"][0]["due_at"] == "2026-11-30T09:00:00-05:00"
    out = cli.ok("ask-time", "acme", "--until", "2026-12-02")
    assert "Deadline Wed 2 Dec 17:00" in out and "now due Wed 2 Dec 09:00" in out
    cli.ok("config", "set", "workday_end", "18:30")
    cli.ok("apply", "Beta", "Backend", "--id", "beta", "--at", "2026-11-02")
    out = cli.ok("offer", "beta", "--salary", "90000", "--respond-by", "2026-12-04")
    assert "Deadline Fri 4 Dec 18:30" in out and "due Fri 4 Dec 09:00" in out
