"""The facts of a job search: one frozen class per event type, their registry and JSON codec.

Type names and data keys are public (exports, hooks and ``history --json`` show them).
A change of meaning gets a new schema version and an upcaster that lifts the old shape on
read; stored rows are never rewritten.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, TypeVar

import attrs

from afterview.engine.domain.values import (  # re-exported: the public names stay here
    JsonObject as JsonObject,
)
from afterview.engine.domain.values import (
    JsonValue as JsonValue,
)
from afterview.engine.domain.values import (
    OfferTerms as OfferTerms,
)
from afterview.engine.domain.values import (
    Question as Question,
)
from afterview.engine.domain.values import (
    TaskKind as TaskKind,
)
from afterview.engine.domain.values import (
    TaskOutcome as TaskOutcome,
)
from afterview.engine.domain.values import (
    opt_decimal,
    opt_int,
    strings,
    task_kind,
    task_outcome,
)

# ---------------------------------------------------------------------------
# Value converters: they accept the domain value or its JSON form, so that an
# event is built the same way from a command and from a stored row.


def _datetime(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _opt_datetime(value: datetime | str | None) -> datetime | None:
    return None if value is None else _datetime(value)


def _date(value: date | str) -> date:
    found = _opt_date(value)
    assert found is not None
    return found


def _opt_date(value: date | str | None) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(value)


def _opt_strings(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else strings(value)


# ---------------------------------------------------------------------------
# Nested values


def _questions(value: Iterable[Question | JsonObject] | None) -> tuple[Question, ...]:
    if value is None:
        return ()
    return tuple(q if isinstance(q, Question) else Question(**q) for q in value)


def _terms(value: OfferTerms | JsonObject) -> OfferTerms:
    return value if isinstance(value, OfferTerms) else OfferTerms(**value)


def _opt_terms(value: OfferTerms | JsonObject | None) -> OfferTerms | None:
    return None if value is None else _terms(value)


# ---------------------------------------------------------------------------
# Registry

E = TypeVar("E")

EVENT_TYPES: dict[str, type[Event]] = {}
"""Type name -> class, for every registered event."""

Upcaster = Callable[[JsonObject], JsonObject]
"""Lifts the data of one schema version of an event type to the next."""

_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def _event(type_name: str, version: int = 1) -> Callable[[type[E]], type[E]]:
    def register(cls: type[E]) -> type[E]:
        cls.TYPE = type_name  # type: ignore[attr-defined]  # set on the class, read as ClassVar
        cls.SCHEMA_VERSION = version  # type: ignore[attr-defined]  # idem
        EVENT_TYPES[type_name] = cls  # type: ignore[assignment]  # every registered class is in Event
        return cls

    return register


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that lifts ``type_name`` data from ``from_version`` to the next."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(type_name, from_version)] = fn
        return fn

    return register


# ---------------------------------------------------------------------------
# Application facts


@_event("ApplicationSubmitted", version=3)
@attrs.frozen
class ApplicationSubmitted:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    company: str
    role: str
    source: str | None = None
    url: str | None = None
    location: str | None = None
    contacts: tuple[str, ...] = attrs.field(default=(), converter=strings)
    tags: tuple[str, ...] = attrs.field(default=(), converter=strings)
    priority: int | None = attrs.field(default=None, converter=opt_int)  # 1 (highest) to 5
    job_description: str | None = None  # kept in the log: postings are taken down
    salary_min: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    salary_max: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    salary_currency: str | None = None
    referred_by: str | None = None


@upcaster("ApplicationSubmitted", 2)
def _submitted_v2_without_details(data: JsonObject) -> JsonObject:
    """Version 3 adds tags, priority, the job description, the advertised salary range and
    the referral; version 2 had none of them."""
    return dict(data)


@_event("ApplicationDetailsChanged")
@attrs.frozen
class ApplicationDetailsChanged:
    """What ``edit`` changed; a field left None is unchanged, an empty text clears it."""

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    role: str | None = None
    url: str | None = None
    location: str | None = None
    source: str | None = None
    tags: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_strings)  # the new set
    priority: int | None = attrs.field(default=None, converter=opt_int)
    job_description: str | None = None
    salary_min: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    salary_max: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    salary_currency: str | None = None
    referred_by: str | None = None


@upcaster("ApplicationSubmitted", 1)
def _submitted_v1_single_contact(data: JsonObject) -> JsonObject:
    """Version 1 kept one optional ``contact``; version 2 keeps a list of ``contacts``."""
    data = dict(data)
    contact = data.pop("contact", None)
    data["contacts"] = [contact] if contact else []
    return data


@_event("InterviewScheduled")
@attrs.frozen
class InterviewScheduled:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    round: int
    scheduled_for: datetime = attrs.field(converter=_datetime)
    kind: str | None = None
    interviewers: tuple[str, ...] = attrs.field(default=(), converter=strings)


@_event("InterviewRescheduled")
@attrs.frozen
class InterviewRescheduled:
    """A round that was scheduled and not yet held moves to a new time."""

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    round: int
    scheduled_for: datetime = attrs.field(converter=_datetime)
    by: str | None = None  # me or company, when known


@_event("InterviewCancelled")
@attrs.frozen
class InterviewCancelled:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    round: int
    by: str | None = None  # me or company
    reason: str | None = None


@_event("InterviewHeld")
@attrs.frozen
class InterviewHeld:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    round: int | None = attrs.field(default=None, converter=opt_int)
    interviewers: tuple[str, ...] = attrs.field(default=(), converter=strings)
    questions: tuple[Question, ...] = attrs.field(default=(), converter=_questions)
    note: str | None = None


@_event("ThankYouSent")
@attrs.frozen
class ThankYouSent:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    to: tuple[str, ...] = attrs.field(default=(), converter=strings)


@_event("FollowUpSent")
@attrs.frozen
class FollowUpSent:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    note: str | None = None


@_event("OfferReceived")
@attrs.frozen
class OfferReceived:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    terms: OfferTerms | None = attrs.field(converter=_opt_terms)  # None: terms not recorded
    respond_by: datetime | None = attrs.field(default=None, converter=_opt_datetime)
    revised: bool = False
    # The company gave a date alone: respond_by is the end of that working day, and the
    # decision task falls due at the start of it.
    whole_day: bool = False


@_event("DecisionTimeRequested")
@attrs.frozen
class DecisionTimeRequested:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    until: datetime = attrs.field(converter=_datetime)
    whole_day: bool = False  # a date alone: until the end of that working day


@_event("CounterOfferMade")
@attrs.frozen
class CounterOfferMade:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    terms: OfferTerms = attrs.field(converter=_terms)
    reasons: tuple[str, ...] = attrs.field(default=(), converter=strings)
    note: str | None = None


@_event("OfferAccepted")
@attrs.frozen
class OfferAccepted:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    start_date: date | None = attrs.field(default=None, converter=_opt_date)


@_event("StartDateRecorded")
@attrs.frozen
class StartDateRecorded:
    """The start date at the new job, recorded after the acceptance."""

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    start_date: date = attrs.field(converter=_date)


@_event("ApplicationDiscarded")
@attrs.frozen
class ApplicationDiscarded:
    """A correction, not a state: an application entered by mistake or twice leaves the
    board, agenda, stats and report. Voiding the discard restores it."""

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    reason: str


@_event("ApplicationWithdrawn")
@attrs.frozen
class ApplicationWithdrawn:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    reason: str | None = None


@_event("ApplicationDeclined")
@attrs.frozen
class ApplicationDeclined:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    reason: str | None = None


@_event("FeedbackRequested")
@attrs.frozen
class FeedbackRequested:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    text: str | None = None


@_event("FeedbackReceived")
@attrs.frozen
class FeedbackReceived:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    text: str


@_event("ReflectionRecorded")
@attrs.frozen
class ReflectionRecorded:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    text: str


@_event("NoticeGiven")
@attrs.frozen
class NoticeGiven:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]


@_event("NoteAdded")
@attrs.frozen
class NoteAdded:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    text: str


@_event("ContactAdded")
@attrs.frozen
class ContactAdded:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    name: str
    title: str | None = None
    email: str | None = None


@_event("EventVoided")
@attrs.frozen
class EventVoided:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    event_id: str
    reason: str


# ---------------------------------------------------------------------------
# Task facts (scheduled by policies, closed by later facts or by you, fired by the daemon)


@_event("TaskScheduled")
@attrs.frozen
class TaskScheduled:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    task_id: str
    kind: TaskKind = attrs.field(converter=task_kind)
    title: str
    due_at: datetime = attrs.field(converter=_datetime)
    cause_event_id: str | None = None


@_event("TaskSnoozed")
@attrs.frozen
class TaskSnoozed:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    task_id: str
    until: datetime = attrs.field(converter=_datetime)
    cause_event_id: str | None = None


@_event("TaskClosed")
@attrs.frozen
class TaskClosed:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    task_id: str
    outcome: TaskOutcome = attrs.field(converter=task_outcome)
    note: str | None = None
    cause_event_id: str | None = None


@_event("TaskFired")
@attrs.frozen
class TaskFired:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    task_id: str
    due_at: datetime = attrs.field(converter=_datetime)


# ---------------------------------------------------------------------------
# Profile facts


@_event("SettingChanged")
@attrs.frozen
class SettingChanged:
    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    key: str
    value: str | None


@_event("DigestSent")
@attrs.frozen
class DigestSent:
    """The daily digest went out (profile stream; its event id is derived from ``day``, so
    it goes out once a day however many daemons and ticks run)."""

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    day: date = attrs.field(converter=_date)
    task_ids: tuple[str, ...] = attrs.field(default=(), converter=strings)


@_event("DaysOffRecorded")
@attrs.frozen
class DaysOffRecorded:
    """Personal days off (``from`` to ``to``, both included): not business days for the
    deadlines computed after this is recorded."""

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    from_: date = attrs.field(converter=_date)  # stored as "from"
    to: date = attrs.field(converter=_date)
    reason: str | None = None


Event = (ApplicationSubmitted | InterviewScheduled | InterviewRescheduled | InterviewCancelled
         | InterviewHeld | ThankYouSent | FollowUpSent
         | OfferReceived | DecisionTimeRequested | CounterOfferMade | OfferAccepted
         | StartDateRecorded | ApplicationDiscarded
         | ApplicationWithdrawn | ApplicationDeclined | FeedbackRequested | FeedbackReceived
         | ReflectionRecorded | NoticeGiven | NoteAdded | ContactAdded | EventVoided
         | TaskScheduled | TaskSnoozed | TaskClosed | TaskFired | SettingChanged
         | DaysOffRecorded | ApplicationDetailsChanged | DigestSent)
"""Every fact the log can hold; the class says which (``TYPE`` is its public name)."""
PROFILE_EVENT_TYPES = frozenset({"SettingChanged", "DaysOffRecorded", "DigestSent"})
"""The facts of the ``profile`` stream: about you, not about one application."""


# ---------------------------------------------------------------------------
# Codec


class UnknownEventType(ValueError):
    """A stored row names a type this version of afterview does not know."""


def _to_json_value(_inst: object, _field: object, value: object) -> JsonValue:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def to_data(event: Event | OfferTerms) -> JsonObject:
    """The data of an event (or of offer terms) as JSON-ready values (dates as ISO 8601,
    money as decimal strings)."""
    data: JsonObject = attrs.asdict(event, value_serializer=_to_json_value)
    if type(event) in _KEYWORD_KEYS:  # a key that is a Python keyword, such as "from"
        data = {key.removesuffix("_"): value for key, value in data.items()}
    return data


_KEYWORD_KEYS: frozenset[type] = frozenset({DaysOffRecorded})
"""Classes whose attribute ``name_`` is stored under the key ``name`` (a Python keyword)."""


def upcast(type_name: str, version: int, data: JsonObject) -> JsonObject:
    """Lift stored data of an older schema version to the current shape."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        raise UnknownEventType(type_name)
    current: int = cls.SCHEMA_VERSION
    while version < current:
        data = _UPCASTERS[(type_name, version)](data)
        version += 1
    return data


def from_data(type_name: str, version: int, data: JsonObject) -> Event:
    """Build the event object from stored data, upcasting older versions first."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        raise UnknownEventType(type_name)
    if version != cls.SCHEMA_VERSION:
        data = upcast(type_name, version, data)
    return cls(**as_attributes(cls, data))


def as_attributes(cls: type, data: JsonObject) -> JsonObject:
    """Stored data keyed by attribute name: a key that is a Python keyword (``from``) is
    the attribute ``from_``."""
    if cls not in _KEYWORD_KEYS:
        return data
    return {(f"{key}_" if keyword.iskeyword(key) else key): value for key, value in data.items()}
