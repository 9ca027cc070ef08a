"""The JSON codec of a folded application: what a projection row holds.

``encode(app)`` gives JSON-ready values (times as ISO 8601 text, money as decimal strings,
the same forms events use) and ``decode(data)`` builds the Application back. Never pickle:
a database file may be crafted, and decoding it must not be able to run code. ``decode``
raises ``SnapshotError`` for anything it cannot read, and the caller then treats the row as
stale (rebuilt from the log).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

import attrs

from afterview.engine.domain import values
from afterview.engine.domain.lifecycle import State
from afterview.engine.domain.state import (
    Application,
    Contact,
    Interview,
    OfferRound,
    SalaryRange,
    StateChange,
    Summary,
    Task,
    TaskStatus,
)
from afterview.engine.domain.values import JsonObject, JsonValue

T = TypeVar("T")


class SnapshotError(ValueError):
    """A projection row that is not an application this version can read."""


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


_TERM_FIELDS = tuple(field.name for field in attrs.fields(values.OfferTerms))


def _terms(terms: values.OfferTerms) -> JsonObject:
    """As ``events.to_data`` gives them (amounts as decimal text, lists for tuples), without
    its generic walk over the attrs fields."""
    encoded: JsonObject = {}
    for name in _TERM_FIELDS:
        value = getattr(terms, name)
        encoded[name] = (str(value) if isinstance(value, Decimal)
                         else list(value) if isinstance(value, tuple) else value)
    return encoded


def _task(task: Task) -> JsonObject:
    # The optional times inline, not through _time: a rebuild encodes every task ever
    # scheduled, and a call per value was a tenth of it.
    fired, closed = task.fired_due_at, task.closed_at
    return {
        "id": task.id, "application": task.application, "kind": task.kind, "title": task.title,
        "due_at": task.due_at.isoformat(), "scheduled_at": task.scheduled_at.isoformat(),
        "cause_event_id": task.cause_event_id, "status": task.status, "outcome": task.outcome,
        "note": task.note, "fired_due_at": None if fired is None else fired.isoformat(),
        "closed_at": None if closed is None else closed.isoformat(), "number": task.number,
    }


def _interview(interview: Interview) -> JsonObject:
    return {
        "round": interview.round, "scheduled_for": _time(interview.scheduled_for),
        "kind": interview.kind, "interviewers": list(interview.interviewers),
        "held_at": _time(interview.held_at),
        "questions": [[q.question, q.answer, q.better] for q in interview.questions],
        "note": interview.note, "event_id": interview.event_id,
        "causes": list(interview.causes), "reschedules": interview.reschedules,
        "cancelled_at": _time(interview.cancelled_at), "cancelled_by": interview.cancelled_by,
        "cancel_reason": interview.cancel_reason,
    }


def _round(offer_round: OfferRound) -> JsonObject:
    return {
        "side": offer_round.side,
        "terms": None if offer_round.terms is None else _terms(offer_round.terms),
        "at": offer_round.at.isoformat(), "event_id": offer_round.event_id,
        "respond_by": _time(offer_round.respond_by), "revised": offer_round.revised,
        "reasons": list(offer_round.reasons), "note": offer_round.note,
    }


def encode(app: Application) -> JsonObject:
    """The application as JSON-ready values; ``decode`` reverses it exactly."""
    return {
        "id": app.id, "company": app.company, "role": app.role, "state": app.state,
        "version": app.version, "applied_at": _time(app.applied_at),
        "updated_at": _time(app.updated_at), "last_event_at": _time(app.last_event_at),
        "source": app.source, "url": app.url, "location": app.location,
        "tags": list(app.tags), "priority": app.priority,
        "job_description": app.job_description, "referred_by": app.referred_by,
        "salary_range": None if app.salary_range is None else [
            None if value is None else str(value) for value in app.salary_range[:2]]
        + [app.salary_range[2]],
        "contacts": [[c.name, c.title, c.email] for c in app.contacts],
        "interviews": [_interview(i) for i in app.interviews],
        "rounds": [_round(r) for r in app.rounds],
        "decision_until": _time(app.decision_until),
        "start_date": None if app.start_date is None else app.start_date.isoformat(),
        "thank_yous": [t.isoformat() for t in app.thank_yous],
        "thanked": [[at.isoformat(), list(names)] for at, names in app.thanked],
        "follow_ups": [t.isoformat() for t in app.follow_ups],
        "feedback": list(app.feedback),
        "feedback_requested_at": _time(app.feedback_requested_at),
        "reflections": list(app.reflections),
        "notes": [[at.isoformat(), text] for at, text in app.notes],
        "notice_given_at": _time(app.notice_given_at),
        "reason": app.reason,
        "discarded": app.discarded,
        "last_change": None if app.last_change is None else list(app.last_change),
        "task_count": app.task_count, "has_voids": app.has_voids,
        "stage_times": {state: at.isoformat() for state, at in app.stage_times.items()},
        "tasks": [_task(task) for task in app.tasks.values()],
    }


def encode_summary(app: Application) -> JsonObject:
    """What the board shows of the application (``app.summary()``), as JSON-ready values;
    ``decode_summary`` reverses it exactly."""
    summary = app.summary()
    return {
        "id": summary.id, "company": summary.company, "role": summary.role,
        "state": summary.state, "applied_at": _time(summary.applied_at),
        "updated_at": _time(summary.updated_at), "last_event_at": _time(summary.last_event_at),
        "discarded": summary.discarded, "tags": list(summary.tags),
        "priority": summary.priority, "last_contact_at": _time(summary.last_contact_at),
        "tasks": [_task(task) for task in summary.tasks.values()],
    }


def encode_with_summary(app: Application) -> tuple[JsonObject, JsonObject]:
    """``(encode(app), encode_summary(app))``, the summary made of the row's own values: a
    rebuild and verify encode both for every application, and its times and open tasks
    need not be encoded twice."""
    row = encode(app)
    last_contact_at = app.last_contact_at
    return row, {
        "id": row["id"], "company": row["company"], "role": row["role"], "state": row["state"],
        "applied_at": row["applied_at"], "updated_at": row["updated_at"],
        "last_event_at": row["last_event_at"], "discarded": row["discarded"],
        "tags": row["tags"], "priority": row["priority"],
        "last_contact_at": None if last_contact_at is None else last_contact_at.isoformat(),
        "tasks": [task for task in row["tasks"] if task["status"] == TaskStatus.OPEN],
    }


# ---------------------------------------------------------------------------
# Decoding: every value is checked for its type, so a crafted row fails here (and is
# rebuilt) instead of reaching a view as something it is not.

_TIMES: dict[str, datetime] = {}
_TIMES_KEPT = 50_000  # parsed times shared between rows (a board repeats them a lot)
_STATES = {state.value: state for state in State}
_KINDS = {kind.value: kind for kind in values.TaskKind}
_STATUSES = {status.value: status for status in TaskStatus}
_OUTCOMES = {outcome.value: outcome for outcome in values.TaskOutcome}


def _parse_time(value: JsonValue) -> datetime:
    """An ISO 8601 time; one already parsed is shared (datetimes are immutable)."""
    found = _TIMES.get(value)  # an unhashable value raises TypeError: a SnapshotError
    if found is None:
        if type(value) is not str:
            raise _wrong(value, "a time")
        if len(_TIMES) > _TIMES_KEPT:
            _TIMES.clear()
        found = _TIMES[value] = datetime.fromisoformat(value)
    return found


def _wrong(value: JsonValue, expected: str) -> SnapshotError:
    return SnapshotError(f"expected {expected}, found {type(value).__name__}")


def _text(value: JsonValue) -> str:
    if type(value) is not str:
        raise _wrong(value, "text")
    return value


def _opt_text(value: JsonValue) -> str | None:
    return None if value is None else _text(value)


def _int(value: JsonValue) -> int:
    if type(value) is not int:
        raise _wrong(value, "a whole number")
    return value


def _opt_time(value: JsonValue) -> datetime | None:
    return None if value is None else _parse_time(value)


def _list(value: JsonValue) -> list[JsonValue]:
    if type(value) is not list:
        raise _wrong(value, "a list")
    return value


def _dict(value: JsonValue) -> JsonObject:
    if type(value) is not dict:
        raise _wrong(value, "an object")
    return value


def _decode_task(data: JsonValue) -> Task:
    # The checks inline: a board decodes every task of every application.
    d = _dict(data)
    task_id, application, title = d["id"], d["application"], d["title"]
    cause, note, outcome = d["cause_event_id"], d["note"], d["outcome"]
    if not (type(task_id) is str and type(application) is str and type(title) is str
            and (cause is None or type(cause) is str) and (note is None or type(note) is str)):
        raise SnapshotError("a task's id, application, title, cause or note is not text")
    return Task(
        task_id, application, _KINDS[d["kind"]], title, _parse_time(d["due_at"]),
        _parse_time(d["scheduled_at"]), cause, _STATUSES[d["status"]],
        None if outcome is None else _OUTCOMES[outcome], note,
        _opt_time(d["fired_due_at"]), _opt_time(d["closed_at"]), _int(d["number"]),
    )


def _decode_interview(data: JsonValue) -> Interview:
    d = _dict(data)
    questions = tuple(
        values.Question(_text(q), _opt_text(a), _opt_text(b))
        for q, a, b in map(_list, _list(d["questions"]))
    )
    return Interview(
        _int(d["round"]), _opt_time(d["scheduled_for"]), _opt_text(d["kind"]),
        tuple(_text(name) for name in _list(d["interviewers"])), _opt_time(d["held_at"]),
        questions, _opt_text(d["note"]), _opt_text(d["event_id"]),
        tuple(_text(cause) for cause in _list(d["causes"])), _int(d["reschedules"]),
        _opt_time(d["cancelled_at"]), _opt_text(d["cancelled_by"]),
        _opt_text(d["cancel_reason"]),
    )


def _decode_terms(data: JsonValue) -> values.OfferTerms:
    terms = _dict(data)
    for value in terms.values():
        if value is not None and type(value) not in (str, int, list):
            raise SnapshotError(f"offer terms hold a {type(value).__name__}")
    decoded = values.OfferTerms(**terms)
    if not isinstance(decoded.base, Decimal):
        raise SnapshotError("offer terms without a base amount")
    return decoded


def _decode_round(data: JsonValue) -> OfferRound:
    d = _dict(data)
    if type(d["revised"]) is not bool:
        raise SnapshotError("'revised' is not true or false")
    return OfferRound(
        _text(d["side"]), None if d["terms"] is None else _decode_terms(d["terms"]),
        _parse_time(d["at"]),
        _text(d["event_id"]), _opt_time(d["respond_by"]), d["revised"],
        tuple(_text(reason) for reason in _list(d["reasons"])), _opt_text(d["note"]),
    )


def _times(value: JsonValue) -> list[datetime]:
    return [_parse_time(t) for t in _list(value)]


def _texts(value: JsonValue) -> list[str]:
    return [_text(t) for t in _list(value)]


def decode(data: JsonValue) -> Application:
    """The Application that ``encode`` gave ``data`` for; SnapshotError if it is not one."""
    return _decoded(_decode, data)


def decode_summary(data: JsonValue) -> Summary:
    """The Summary that ``encode_summary`` gave ``data`` for; SnapshotError if it is not one."""
    return _decoded(_decode_summary, data)


def _decoded(decoder: Callable[[JsonObject], T], data: JsonValue) -> T:
    try:
        return decoder(_dict(data))
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise SnapshotError(f"{type(error).__name__}: {error}") from error


def _bool(value: JsonValue) -> bool:
    if type(value) is not bool:
        raise _wrong(value, "true or false")
    return value


def _pair(value: JsonValue) -> list[JsonValue]:
    found = _list(value)
    if len(found) != 2:
        raise _wrong(value, "a pair")
    return found


def _opt_int(value: JsonValue) -> int | None:
    return None if value is None else _int(value)


def _salary_range(value: JsonValue) -> SalaryRange | None:
    if value is None:
        return None
    low, high, currency = _list(value)
    return (None if low is None else Decimal(_text(low)),
            None if high is None else Decimal(_text(high)), _opt_text(currency))


def _decode(d: JsonObject) -> Application:
    start_date = d["start_date"]
    tasks = [_decode_task(task) for task in _list(d["tasks"])]
    return Application(
        id=_text(d["id"]), company=_text(d["company"]), role=_text(d["role"]),
        state=_STATES[d["state"]], version=_int(d["version"]),
        applied_at=_opt_time(d["applied_at"]), updated_at=_opt_time(d["updated_at"]),
        last_event_at=_opt_time(d["last_event_at"]), source=_opt_text(d["source"]),
        url=_opt_text(d["url"]), location=_opt_text(d["location"]),
        tags=tuple(_texts(d["tags"])), priority=_opt_int(d["priority"]),
        job_description=_opt_text(d["job_description"]),
        referred_by=_opt_text(d["referred_by"]),
        salary_range=_salary_range(d["salary_range"]),
        contacts=[Contact(_text(n), _opt_text(t), _opt_text(e))
                  for n, t, e in map(_list, _list(d["contacts"]))],
        interviews=[_decode_interview(i) for i in _list(d["interviews"])],
        rounds=[_decode_round(r) for r in _list(d["rounds"])],
        decision_until=_opt_time(d["decision_until"]),
        start_date=None if start_date is None else date.fromisoformat(_text(start_date)),
        thank_yous=_times(d["thank_yous"]), follow_ups=_times(d["follow_ups"]),
        thanked=[(_parse_time(at), tuple(_texts(names)))
                 for at, names in map(_list, _list(d["thanked"]))],
        feedback=_texts(d["feedback"]),
        feedback_requested_at=_opt_time(d["feedback_requested_at"]),
        reflections=_texts(d["reflections"]),
        notes=[(_parse_time(at), _text(text)) for at, text in map(_list, _list(d["notes"]))],
        notice_given_at=_opt_time(d["notice_given_at"]), reason=_opt_text(d["reason"]),
        discarded=_opt_text(d["discarded"]),
        last_change=None if d["last_change"] is None else StateChange(
            *(_text(part) for part in _pair(d["last_change"]))),
        task_count=_int(d["task_count"]), has_voids=_bool(d["has_voids"]),
        stage_times={_STATES[state]: _parse_time(at)
                     for state, at in _dict(d["stage_times"]).items()},
        tasks={task.id: task for task in tasks},
    )


def _decode_summary(d: JsonObject) -> Summary:
    tasks = [_decode_task(task) for task in _list(d["tasks"])]
    if any(not task.is_open for task in tasks):
        raise SnapshotError("a summary holds a closed task")
    return Summary(
        _text(d["id"]), _text(d["company"]), _text(d["role"]), _STATES[d["state"]],
        _opt_time(d["applied_at"]), _opt_time(d["updated_at"]), _opt_time(d["last_event_at"]),
        _opt_text(d["discarded"]), tuple(_texts(d["tags"])), _opt_int(d["priority"]),
        _opt_time(d["last_contact_at"]), {task.id: task for task in tasks})


def differences(stored: JsonValue, fresh: JsonObject) -> list[str]:
    """The fields where a stored row differs from a fresh fold's ``encode`` (a task's field
    is named ``tasks[TASK_ID].field``)."""
    if type(stored) is not dict:
        return ["the whole row (it is not a JSON object)"]
    found = []
    for key, value in fresh.items():
        if key == "tasks" and type(stored.get(key)) is list:
            found += _task_differences(stored[key], value)
        elif key not in stored:
            found.append(f"{key} (missing)")
        elif stored[key] != value:
            found.append(key)
    found += [f"{key} (unexpected)" for key in stored if key not in fresh]
    return found


def _task_differences(stored: list[JsonValue], fresh: list[JsonObject]) -> list[str]:
    by_id = {t.get("id"): t for t in stored if type(t) is dict}
    found = []
    for task in fresh:
        mine = by_id.pop(task["id"], None)
        if mine is None:
            found.append(f"tasks[{task['id']}] (missing)")
            continue
        found += [f"tasks[{task['id']}].{k}" for k, v in task.items() if mine.get(k) != v]
    found += [f"tasks[{task_id}] (unexpected)" for task_id in by_id]
    return found
