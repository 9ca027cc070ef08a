"""The event catalogue and its codec: every fact survives the trip to JSON text and back,
type names and schema versions stay what exports and hooks rely on, and an event stored
in an old shape is upgraded on read while its row stays as written."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterview.engine.domain import events as ev
from afterview.engine.store.base import NewEvent
from afterview.engine.store.sqlite import SQLiteStore
from conftest import CLI
from strategies import events_of_every_type, instances_of

# The catalogue of architecture.md: type name -> the data keys it promises ("at least").
CATALOGUE: dict[str, set[str]] = {
    "ApplicationSubmitted": {"company", "role", "source", "url", "location", "contacts"},
    "InterviewScheduled": {"round", "scheduled_for", "kind", "interviewers"},
    "InterviewHeld": {"round", "interviewers", "questions", "note"},
    "ThankYouSent": {"to"},
    "FollowUpSent": {"note"},
    "OfferReceived": {"terms", "respond_by", "revised"},
    "DecisionTimeRequested": {"until"},
    "CounterOfferMade": {"terms", "reasons", "note"},
    "OfferAccepted": {"start_date"},
    "ApplicationWithdrawn": {"reason"},
    "ApplicationDeclined": {"reason"},
    "FeedbackRequested": {"text"},
    "FeedbackReceived": {"text"},
    "ReflectionRecorded": {"text"},
    "NoticeGiven": set(),
    "NoteAdded": {"text"},
    "ContactAdded": {"name", "title", "email"},
    "EventVoided": {"event_id", "reason"},
    "TaskScheduled": {"task_id", "kind", "title", "due_at", "cause_event_id"},
    "TaskSnoozed": {"task_id", "until"},
    "TaskClosed": {"task_id", "outcome", "note"},
    "TaskFired": {"task_id", "due_at"},
    "SettingChanged": {"key", "value"},
    "ApplicationDetailsChanged": {"role", "url", "location", "tags", "priority", "salary_min",
                                  "salary_max", "job_description", "referred_by"},
    "DigestSent": {"day", "task_ids"},
}
TERMS_KEYS = {"currency", "base", "bonus", "signing", "equity_per_year", "relocation", "benefits"}

# Schema versions in force. Raising one is a change of meaning: it needs an upcaster
# from the old version, and this table must be updated on purpose.
SCHEMA_VERSIONS = {name: 1 for name in CATALOGUE} | {"ApplicationSubmitted": 3}


def json_round_trip(event: Any) -> Any:
    """What a stored row gives back: data -> JSON text -> data -> event."""
    text = json.dumps(ev.to_data(event), ensure_ascii=False, allow_nan=False)
    return ev.from_data(event.TYPE, event.SCHEMA_VERSION, json.loads(text))


# --- the codec ------------------------------------------------------------------


@pytest.mark.parametrize("type_name", sorted(ev.EVENT_TYPES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_each_event_type_round_trips_through_json_text(type_name: str,
                                                     data: st.DataObject) -> None:
    cls = ev.EVENT_TYPES[type_name]
    event = data.draw(instances_of(cls), label=type_name)
    back = json_round_trip(event)
    assert type(back) is cls
    # Compared as data: an aware time in a repeated hour never equals itself in another
    # zone (Python's rule), but its ISO text with the offset is exact.
    assert ev.to_data(back) == ev.to_data(event)
    assert json_round_trip(back) == back


@settings(max_examples=60, deadline=None)
@given(event=events_of_every_type())
def test_decoded_values_have_their_domain_types(event: Any) -> None:
    """Amounts come back as Decimal, times as aware datetimes, lists as tuples: never as
    the float or string the JSON held (a float would round a salary)."""
    back = json_round_trip(event)
    for field in attrs.fields(type(event)):
        original, decoded = getattr(event, field.name), getattr(back, field.name)
        assert type(decoded) is type(original) or (original is None and decoded is None)
        if hasattr(original, "utcoffset"):
            assert decoded.utcoffset() == original.utcoffset()


def test_amounts_keep_every_digit() -> None:
    terms = ev.OfferTerms("EUR", "123456789.01", bonus="0.10", signing=7)
    back = json_round_trip(ev.OfferReceived(terms))
    assert ev.to_data(back)["terms"]["base"] == "123456789.01"
    assert back.terms.bonus == ev.Decimal("0.10")


# --- the catalogue --------------------------------------------------------------


def test_every_catalogue_type_exists_with_its_public_keys() -> None:
    missing = sorted(set(CATALOGUE) - set(ev.EVENT_TYPES))
    assert not missing, f"catalogue types without a class: {missing}"
    for name, keys in CATALOGUE.items():
        fields = {f.name for f in attrs.fields(ev.EVENT_TYPES[name])}
        assert keys <= fields, f"{name} lacks {sorted(keys - fields)}"
    assert {f.name for f in attrs.fields(ev.OfferTerms)} >= TERMS_KEYS


def test_type_names_and_schema_versions_are_stable() -> None:
    found = {name: cls.SCHEMA_VERSION for name, cls in ev.EVENT_TYPES.items()}
    assert {name: found.get(name) for name in CATALOGUE} == SCHEMA_VERSIONS
    for name, cls in ev.EVENT_TYPES.items():
        assert name == cls.TYPE


def test_every_older_schema_version_has_an_upcaster() -> None:
    for name, cls in ev.EVENT_TYPES.items():
        for version in range(1, cls.SCHEMA_VERSION):
            assert (name, version) in ev._UPCASTERS, f"{name} v{version} cannot be read"


def test_unknown_type_is_a_named_error_not_a_crash() -> None:
    with pytest.raises(ev.UnknownEventType, match="InterviewTeleported"):
        ev.from_data("InterviewTeleported", 1, {})


# --- an old stored shape, read through the engine and the CLI ---------------------


def _append_raw(db: Any, *events: NewEvent, recorded_at: str = "2026-11-20T09:00:00-05:00") -> None:
    with SQLiteStore(db) as store:
        store.append(list(events), expected_versions={}, recorded_at=recorded_at)


def _row(db: Any, stream: str) -> tuple[int, str]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT schema_version, data FROM events WHERE stream_id = ? AND version = 1", (stream,)
        ).fetchone()
    return int(row[0]), str(row[1])


def test_version_one_submission_is_upcast_on_read_and_never_rewritten(cli: CLI) -> None:
    old = NewEvent("old-app", "00000000-0000-4000-8000-000000000001", "ApplicationSubmitted", 1,
                   {"company": "Oldco", "role": "Clerk", "contact": "Ann"}, {"actor": "import"},
                   "2026-11-02T09:00:00-05:00")
    _append_raw(cli.db, old)
    stored_before = _row(cli.db, "old-app")
    assert stored_before[0] == 1

    shown = cli.json("show", "old-app")
    assert [c["name"] for c in shown["contacts"]] == ["Ann"]
    assert shown["state"] == "applied"
    history = cli.json("history", "old-app")
    assert history[0]["data"]["contacts"] == ["Ann"] and "contact" not in history[0]["data"]
    # A new fact on top of the old one works, and the old row is exactly as written.
    cli.ok("note", "old-app", "still waiting")
    assert _row(cli.db, "old-app") == stored_before
    assert cli.ok("verify").startswith("ok:")


def test_version_one_without_a_contact_reads_as_no_contacts(cli: CLI) -> None:
    old = NewEvent("quiet", "00000000-0000-4000-8000-000000000002", "ApplicationSubmitted", 1,
                   {"company": "Quietco", "role": "Clerk"}, {}, "2026-11-02T09:00:00-05:00")
    _append_raw(cli.db, old)
    assert cli.json("show", "quiet")["contacts"] == []


def test_unknown_event_type_is_reported_with_its_position(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend Engineer")
    before = cli.event_count()
    future = NewEvent("acme-backend-engineer", "00000000-0000-4000-8000-000000000003",
                      "InterviewTeleported", 1, {"round": 1}, {}, "2026-11-20T09:30:00-05:00")
    _append_raw(cli.db, future)
    position = before + 1

    done = cli.run("verify")
    assert done.returncode == 1
    assert f"position {position}: unreadable InterviewTeleported" in done.stdout
    assert "Traceback" not in done.stderr
    # Reading that application is refused in one line naming the type, not a traceback.
    line = cli.refused("show", "acme-backend-engineer", code=1)
    assert "InterviewTeleported" in line
