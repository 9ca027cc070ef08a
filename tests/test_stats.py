"""stats: the funnel, response rate and median days, worked out by hand on a small search;
the Sankey text and SVG."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.service.api import Engine
from afterview.engine.views import stats
from conftest import CLI, new_york

SVG = "{http://www.w3.org/2000/svg}"


def four_applications(engine: Engine) -> None:
    """Acme: applied Nov 2, interview Nov 6, offer Nov 12, accepted Nov 16.
    Globex: applied Nov 3, declined Nov 9.  Initech: applied Nov 4, no answer.
    Hooli: applied Nov 5, interview Nov 10, withdrawn Nov 13."""
    for app_id, day in (("acme", 2), ("globex", 3), ("initech", 4), ("hooli", 5)):
        engine.apply(ev.ApplicationSubmitted(app_id.capitalize(), "Engineer"),
                     application_id=app_id, at=new_york(f"2026-11-0{day}T09:00"))
    engine.record("acme", ev.InterviewScheduled(1, new_york("2026-11-09T14:00")),
                  at=new_york("2026-11-06T09:00"))
    engine.record("globex", ev.ApplicationDeclined(), at=new_york("2026-11-09T09:00"))
    engine.record("hooli", ev.InterviewHeld(1), at=new_york("2026-11-10T09:00"))
    engine.record("acme", ev.OfferReceived(ev.OfferTerms("USD", 150000)),
                  at=new_york("2026-11-12T09:00"))
    engine.record("hooli", ev.ApplicationWithdrawn("went with Acme"), at=new_york("2026-11-13T09:00"))
    engine.record("acme", ev.OfferAccepted(), at=new_york("2026-11-16T09:00"))


def test_funnel_numbers_worked_out_by_hand(engine: Engine) -> None:
    four_applications(engine)
    numbers = stats.funnel(engine.applications())
    assert numbers["applications"] == 4
    assert numbers["by_state"] == {"applied": 1, "interviewing": 0, "offered": 0, "negotiating": 0,
                                   "accepted": 1, "withdrawn": 1, "declined": 1}
    assert numbers["reached"] == {"applied": 4, "interviewing": 2, "offered": 1, "negotiating": 0,
                                  "accepted": 1, "withdrawn": 1, "declined": 1}
    # Acme (interview), Globex (a no) and Hooli (interview) heard back; Initech did not.
    assert (numbers["responded"], numbers["response_rate"]) == (3, 0.75)
    medians = {pair: found["days"] for pair, found in numbers["median_days"].items()}
    assert medians == {
        "applied->response": 5.0,  # Acme 4, Globex 6, Hooli 5
        "applied->interviewing": 4.5,  # Acme 4, Hooli 5
        "interviewing->offered": 6.0,  # Acme Nov 6 -> Nov 12
        "applied->offered": 10.0,
        "offered->negotiating": None,
        "offered->accepted": 4.0,
        "applied->declined": 6.0,
    }
    assert numbers["median_days"]["applied->interviewing"]["applications"] == 2
    offers = numbers["offers"]
    assert (offers["received"], offers["negotiated"]) == (1, 0)
    assert offers["outcomes"] == {"open": 0, "accepted": 1, "withdrawn": 0, "declined": 0}
    assert [(o["application"], o["base"], o["outcome"]) for o in offers["offers"]] == [
        ("acme", "150000", "accepted")]


def test_a_voided_fact_leaves_the_numbers(engine: Engine) -> None:
    four_applications(engine)
    declined = next(f for f in engine.facts("globex") if f.event.TYPE == "ApplicationDeclined")
    engine.void(declined.event_id, "it was meant for another applicant")
    numbers = stats.funnel(engine.applications())
    assert (numbers["responded"], numbers["reached"]["declined"]) == (2, 0)
    assert numbers["by_state"]["applied"] == 2


def test_no_applications_has_no_rate(engine: Engine) -> None:
    numbers = stats.funnel([])
    assert (numbers["applications"], numbers["response_rate"]) == (0, None)
    assert stats.sankeymatic([]) == "// no applications yet\n"


def test_sankeymatic_text_follows_each_application(engine: Engine) -> None:
    four_applications(engine)
    assert stats.sankeymatic(engine.applications()).splitlines() == [
        "Applied [2] Interviewing",
        "Applied [1] Declined",
        "Applied [1] No response yet",
        "Interviewing [1] Offered",
        "Interviewing [1] Withdrawn",
        "Offered [1] Accepted",
    ]


def test_stats_from_the_command_line(cli: CLI, tmp_path: Path) -> None:
    cli.ok("apply", "Acme", "Engineer", "--at", "2026-11-02")
    cli.ok("apply", "Globex", "Engineer", "--at", "2026-11-03")
    cli.ok("interview", "acme", "--on", "2026-11-25T14:00", "--at", "2026-11-06")
    svg = tmp_path / "funnel.svg"
    numbers = cli.json("stats", "--svg", str(svg))
    assert {"applications", "by_state", "reached", "response_rate"} <= numbers.keys()
    assert (numbers["applications"], numbers["response_rate"]) == (2, 0.5)
    assert cli.ok("stats", "--sankey") == "Applied [1] Interviewing\nApplied [1] No response yet\n" \
        "Interviewing [1] In progress\n"
    text = cli.ok("stats")
    assert "response rate: 50% (1 of 2 heard back)" in text
    assert "applied -> interviewing" in text and "4.0 (1 application)" in text
    root = ET.parse(svg).getroot()
    assert root.tag == f"{SVG}svg"
    labels = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Applied (2)" in labels and "Interviewing (1)" in labels
    assert "No response yet (1)" in labels


def test_svg_bands_add_up_to_the_nodes(engine: Engine) -> None:
    four_applications(engine)
    root = ET.fromstring(stats.sankey_svg(engine.applications()))
    heights = {r.find(f"{SVG}title").text.split(":")[0]: float(r.get("height"))
               for r in root.iter(f"{SVG}rect")}
    assert set(heights) == {"Applied", "Interviewing", "Offered", "Accepted", "Withdrawn",
                            "Declined", "No response yet"}
    # Every node is as tall as the applications through it: Applied holds all four.
    assert heights["Applied"] == pytest.approx(4 * heights["Declined"], abs=0.5)
    assert heights["Interviewing"] == pytest.approx(2 * heights["Offered"], abs=0.5)
    bands = [p.find(f"{SVG}title").text for p in root.iter(f"{SVG}path")]
    assert "Applied → Interviewing: 2" in bands and len(bands) == 6


def test_stats_json_is_plain_json(engine: Engine) -> None:
    four_applications(engine)
    numbers = stats.funnel(engine.applications())
    assert json.loads(json.dumps(numbers)) == numbers  # no Decimal or datetime left in it
