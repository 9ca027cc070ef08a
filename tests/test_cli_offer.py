"""Offers at the command line: compare (one table per currency, rounds ask vs offer), show
(every round, the negotiation aid, the plan after acceptance), the agenda's hint, and draft.

The read-only tests share one search built once through the real CLI (building it costs
about 17 commands); tests that write start from their own database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CLI, ZONE

ACME_TERMS = ("--bonus", "10%", "--signing", "5000", "--equity-total", "40000",
              "--vesting-years", "4", "--commute-minutes", "50", "--commute-cost", "2400")


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> CLI:
    """Acme (USD): offer, counter, revised offer. Globex and Umbrella (EUR): one offer each.
    Initech: interviewed and declined, no offer. target_salary 100000 USD."""
    cli = CLI(tmp_path_factory.mktemp("offers") / "afterview.db")
    steps = [
        ("config", "set", "timezone", ZONE),
        ("config", "set", "target_salary", "100000"),
        ("apply", "Acme", "Backend Engineer", "--id", "acme", "--contact", "Priya Shah",
         "--at", "2026-10-01"),
        ("debrief", "acme", "--with", "Ann Lee", "--with", "Raj Patel", "--question",
         "Tell me about a migration you led", "--answer", "Billing move", "--at",
         "2026-10-08T15:00"),
        ("offer", "acme", "--salary", "90000", *ACME_TERMS, "--at", "2026-10-15"),
        ("counter", "acme", "--salary", "100000", "--reason", "commute", "--note",
         "Two hours a day on the train", "--at", "2026-10-16"),
        ("offer", "acme", "--salary", "95000", *ACME_TERMS, "--at", "2026-10-19"),
        ("apply", "Globex", "Data Scientist", "--id", "globex", "--at", "2026-10-02"),
        ("debrief", "globex", "--with", "Zed Quinn", "--question", "Why leave your job?",
         "--at", "2026-10-09T14:00"),
        ("offer", "globex", "--salary", "80000", "--currency", "EUR", "--relocation", "6000",
         "--benefit", "30 days holiday", "--benefits-value", "2000", "--at", "2026-10-14"),
        ("apply", "Umbrella", "ML Engineer", "--id", "umbrella", "--at", "2026-10-03"),
        ("offer", "umbrella", "--salary", "70000", "--currency", "EUR", "--signing", "20000",
         "--at", "2026-10-14"),
        ("apply", "Initech", "Analyst", "--id", "initech", "--at", "2026-10-03"),
        ("debrief", "initech", "--with", "Olga Ivanova", "--at", "2026-10-09T10:00"),
        ("declined", "initech", "--at", "2026-10-12"),
    ]
    for step in steps:
        cli.ok(*step)
    return cli


# ---------------------------------------------------------------------------
# compare


def test_compare_shows_one_table_per_currency_best_first(search: CLI) -> None:
    out = search.ok("compare")
    usd, eur = out.index("Offers in USD"), out.index("Offers in EUR")
    assert usd < eur  # your own currency first
    eur_part = out[eur:]
    # Umbrella's first year (70,000 + 20,000 signing) beats Globex (80,000 + 6,000 + 2,000).
    assert eur_part.index("umbrella") < eur_part.index("globex")
    assert "never added up or ranked against each other" in out
    assert "initech" not in out  # no offer, nothing to compare
    acme_row = next(line for line in out.splitlines() if line.startswith("acme "))
    # base, bonus (10%), signing, equity (40,000 / 4), commute, first year, yearly
    for cell in ("95,000", "9,500", "5,000", "10,000", "-2,400", "117,100", "112,100"):
        assert cell in acme_row


def test_compare_shows_ask_against_offer_per_round(search: CLI) -> None:
    out = search.ok("compare")
    assert "round 1: offered 90,000 USD; you asked 100,000 USD (commute)" in out
    assert "round 2: offered 95,000 USD" in out


def test_compare_json_has_a_currency_per_row_and_numbers(search: CLI) -> None:
    rows = search.json("compare")
    by_id = {row["application"]: row for row in rows}
    assert [row["application"] for row in rows] == ["acme", "umbrella", "globex"]
    assert [(row["currency"], row["rank"]) for row in rows] == [("USD", 1), ("EUR", 1), ("EUR", 2)]
    acme = by_id["acme"]
    assert {k: acme[k] for k in ("base", "bonus", "signing", "equity_per_year", "relocation",
                                 "commute_cost", "first_year_total", "yearly_total")} == {
        "base": 95000, "bonus": 9500, "signing": 5000, "equity_per_year": 10000,
        "relocation": 0, "commute_cost": 2400, "first_year_total": 117100,
        "yearly_total": 112100}
    assert acme["state"] == "offered" and acme["company"] == "Acme"
    globex = by_id["globex"]
    assert globex["benefits"] == ["30 days holiday"] and globex["first_year_total"] == 88000
    first, second = acme["rounds"]
    assert (first["offer"]["base"], first["ask"]["base"], first["ask"]["reasons"]) == (
        90000, 100000, ["commute"])
    assert second["offer"]["base"] == 95000 and second["ask"] is None


# ---------------------------------------------------------------------------
# show and agenda: every round, the negotiation aid


def test_show_lists_every_round_and_the_negotiation_aid(search: CLI) -> None:
    out = search.ok("show", "acme")
    assert "round 1 offer Thu 15 Oct" in out
    assert "round 1 your ask Fri 16 Oct" in out and "reasons: commute" in out
    assert "note: Two hours a day on the train" in out
    assert "round 2 revised offer Mon 19 Oct" in out
    assert "5,000 USD below your target 100,000 USD (+5.3% would reach it)" in out
    assert "commute expenses" in out
    assert "degree" not in out.split("Negotiation:")[1]  # not recorded, so not argued


def test_show_json_keeps_every_round_and_the_aid(search: CLI) -> None:
    shown = search.json("show", "acme")
    assert shown["offer"]["base"] == 95000  # the latest terms, as before
    assert [(r["side"], r["base"]) for r in shown["rounds"]] == [
        ("offer", 90000), ("counter", 100000), ("offer", 95000)]
    aid = shown["negotiation"]
    assert (aid["gap"], aid["gap_percent"], aid["target"]) == (5000, 5.3, 100000)
    assert [a["kind"] for a in aid["arguments"]] == ["commute"]
    assert shown["plan"] is None


def test_no_aid_for_an_offer_in_another_currency(search: CLI) -> None:
    assert "Negotiation" not in search.ok("show", "globex")  # 80,000 EUR: no exchange rate
    assert search.json("show", "globex")["negotiation"] is None


def test_the_agenda_points_out_the_gap(search: CLI) -> None:
    out = search.ok("agenda")
    hints = [line for line in out.splitlines() if line.startswith("negotiate ")]
    assert len(hints) == 1 and hints[0].startswith("negotiate acme:")
    assert "5,000 USD below your target" in hints[0] and "commute" in hints[0]
    assert all("application" in task for task in search.json("agenda"))  # JSON stays tasks


# ---------------------------------------------------------------------------
# draft


def test_draft_prints_a_message_from_the_records(search: CLI) -> None:
    text = search.ok("draft", "thank-you", "acme")
    assert "Dear Ann Lee and Raj Patel," in text
    assert "Tell me about a migration you led" in text
    counter = search.ok("draft", "counter-offer", "acme")
    assert "95,000 USD" in counter and "100,000 USD" in counter  # offer and your target
    for other in ("Globex", "Zed Quinn", "EUR", "Umbrella", "Olga"):
        assert other not in text and other not in counter
    shown = search.json("draft", "feedback-request", "initech")
    assert shown["kind"] == "feedback-request" and "Dear Olga Ivanova," in shown["text"]


def test_draft_refusals_are_one_line_and_append_nothing(search: CLI) -> None:
    before = search.event_count()
    line = search.refused("draft", "sonnet", "acme", code=2)
    assert "thank-you" in line and "feedback-request" in line
    line = search.refused("draft", "feedback-request", "acme", code=1)
    assert "afterview declined acme" in line
    line = search.refused("draft", "counter-offer", "initech", code=1)
    assert "afterview offer initech" in line
    search.refused("draft", "thank-you", "nobody", code=1)
    assert search.event_count() == before


def test_a_template_from_afterview_templates_replaces_the_packaged_one(
        search: CLI, tmp_path: Path) -> None:
    (tmp_path / "follow-up.txt").write_text("Hello {{ recipients | names }} at {{ company }}\n",
                                            encoding="utf-8")
    env = search.env(AFTERVIEW_TEMPLATES=str(tmp_path))
    assert search.ok("draft", "follow-up", "acme", env=env) == "Hello Priya Shah at Acme\n"
    assert "Dear Ann Lee" in search.ok("draft", "thank-you", "acme", env=env)  # not overridden


def test_a_template_in_the_user_config_folder_is_used(search: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "afterview" / "templates"
    folder.mkdir(parents=True)
    (folder / "thank-you.txt").write_text("Thanks, {{ people_met | names }}!\n", encoding="utf-8")
    env = search.env(XDG_CONFIG_HOME=str(tmp_path))
    assert search.ok("draft", "thank-you", "acme", env=env) == "Thanks, Ann Lee and Raj Patel!\n"
    (folder / "thank-you.txt").write_text("{{ favourite_colour }}\n", encoding="utf-8")
    assert "favourite_colour" in search.refused("draft", "thank-you", "acme", env=env, code=1)


# ---------------------------------------------------------------------------
# After acceptance: the plan


def test_show_gives_the_plan_after_acceptance(cli: CLI) -> None:
    cli.ok("config", "set", "currently_employed", "true")
    cli.ok("apply", "Acme", "Backend Engineer", "--id", "acme", "--at", "2026-10-01")
    cli.ok("apply", "Globex", "Data Scientist", "--id", "globex", "--at", "2026-10-02")
    cli.ok("offer", "acme", "--salary", "90000", "--at", "2026-11-10")
    cli.ok("accept", "acme", "--start", "2027-01-04")
    out = cli.ok("show", "acme")
    assert "start date:         Mon 4 Jan 2027" in out
    assert "rest days:          3" in out
    assert "last working day:   Fri 1 Jan 2027" in out
    assert "give notice by:     Fri 18 Dec" in out
    assert "- globex (Globex, Data Scientist): task withdraw-application-" in out
    plan = cli.json("show", "acme")["plan"]
    assert (plan["last_working_day"], plan["notice_date"], plan["rest_days"]) == (
        "2027-01-01", "2026-12-18", 3)
    assert [t["application"] for t in plan["withdrawals"]] == ["globex"]
    letter = cli.ok("draft", "resignation", "acme")
    assert "Friday, January 1, 2027" in letter and "Acme" not in letter
    assert "accept another offer" in cli.ok("draft", "withdrawal", "globex")
    cli.ok("withdraw", "globex")
    cli.ok("notice", "acme")
    out = cli.ok("show", "acme")
    assert "withdraw elsewhere: nothing open" in out
    assert "give notice by:     Fri 18 Dec (14 days before); notice given today 10:00" in out


def test_a_second_acceptance_is_refused_naming_the_first_and_its_date(cli: CLI) -> None:
    for company in ("Acme", "Globex"):
        cli.ok("apply", company, "Engineer", "--at", "2026-11-02")
        cli.ok("offer", company.lower(), "--salary", "100000", "--at", "2026-11-10")
    cli.ok("accept", "acme", "--at", "2026-11-12")
    before = cli.event_count()
    line = cli.refused("accept", "globex", "--at", "2026-11-13")
    assert "you accepted 'acme-engineer' (Acme) on 2026-11-12; withdraw that one first" in line
    assert cli.event_count() == before
    assert cli.ok("verify").startswith("ok")
