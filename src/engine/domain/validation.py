"""Checks for facts that arrive from outside a command (an imported backup): every field's
type, ids, times and amounts, before anything is appended.

A command builds its events from values the command line already checked; an import
brings JSON that anyone could have written. ``check_event`` holds imported data to what a
command could have recorded, so a backup can never store what would break replay later.
Pure: raises ``FieldError`` naming the field and what is wrong with it.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

import attrs

from afterview.engine.domain import events as ev
from afterview.engine.domain.amounts import MAX_AMOUNT, currency_code
from afterview.engine.domain.calendar import MAX_YEAR, MIN_YEAR
from afterview.engine.domain.events import JsonValue
from afterview.engine.domain.state import InvalidValue

MAX_ID = 128
"""Ids are uuids or short slugs; anything longer is not one of ours."""
MAX_TEXT = 1_000_000
"""Free text up to a megabyte (a long note is fine; a gigabyte string is not)."""
MAX_ITEMS = 1000
"""Lists (contacts, questions, benefits) hold at most this many entries."""
MAX_COUNT = 100_000
"""Whole numbers (rounds, minutes, years) are small and never negative."""

_ID_FIELDS = frozenset({"task_id", "event_id", "cause_event_id"})


class FieldError(InvalidValue):
    """A field of an imported event that cannot be stored; ``field`` is its dotted path."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


def check_id(value: JsonValue, field: str) -> str:
    """An id: text, 1 to ``MAX_ID`` characters, no control, format or space characters
    (an id with a line break would inject lines into a calendar or a CSV file)."""
    if not isinstance(value, str):
        raise FieldError(field, f"is {_kind(value)}, not text")
    if not value or len(value) > MAX_ID:
        raise FieldError(field, f"must be 1 to {MAX_ID} characters long, not {len(value)}")
    bad = next((c for c in value if c.isspace() or unicodedata.category(c)[0] in "CZ"), None)
    if bad is not None:
        raise FieldError(field, f"holds the character {bad!r}: ids hold no spaces or control "
                                "characters")
    return value


def check_moment(value: JsonValue, field: str) -> datetime:
    """An ISO 8601 date-time with its offset, years ``MIN_YEAR`` to ``MAX_YEAR``."""
    moment = _iso(value, field, datetime.fromisoformat, "date-time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FieldError(field, f"{_short(value)} has no time zone offset")
    try:
        _check_year(moment.astimezone(UTC).year, value, field)
    except OverflowError:
        raise FieldError(field, f"{_short(value)} is out of range") from None
    return moment


def check_day(value: JsonValue, field: str) -> date:
    """An ISO 8601 date, years ``MIN_YEAR`` to ``MAX_YEAR``."""
    return _iso(value, field, date.fromisoformat, "date")


T = typing.TypeVar("T", date, datetime)


def _iso(value: JsonValue, field: str, read: typing.Callable[[str], T], what: str) -> T:
    if not isinstance(value, str):
        raise FieldError(field, f"is {_kind(value)}, not an ISO 8601 {what}")
    try:
        found = read(value)
    except ValueError:
        raise FieldError(field, f"{_short(value)} is not an ISO 8601 {what}") from None
    _check_year(found.year, value, field)
    return found


def check_amount(value: JsonValue, field: str) -> Decimal:
    """An amount as stored: decimal text (or a whole number), finite, 0 or more, capped."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(field, f"is {_kind(value)}, not an amount written as text")
    if isinstance(value, str) and len(value) > 40:
        raise FieldError(field, "is too long to be an amount")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        raise FieldError(field, f"{_short(str(value))} is not a number") from None
    if not amount.is_finite():
        raise FieldError(field, f"{_short(str(value))} is not a finite amount")
    if amount < 0:
        raise FieldError(field, f"{_short(str(value))} is negative")
    if amount > MAX_AMOUNT:
        raise FieldError(field, f"{_short(str(value))} is above {MAX_AMOUNT:,.0f}")
    return amount


def check_event(type_name: str, data: JsonValue, field: str = "data") -> ev.Event:
    """The event of ``type_name`` built from ``data`` (of the current schema version), after
    checking every field's type and value; ``FieldError`` names the first bad field."""
    cls = ev.EVENT_TYPES[type_name]
    data = ev.as_attributes(cls, data)
    _check_value(data, cls, field)
    if type_name == "InterviewScheduled" and data["round"] < 1:
        raise FieldError(f"{field}.round", "must be 1 or more")
    try:
        return cls(**data)
    except (TypeError, ValueError, ArithmeticError) as error:  # a check above missed it
        raise FieldError(field, f"cannot be read ({error})") from None


def _check_value(value: JsonValue, annotation: object, field: str) -> None:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None and len(options) < len(typing.get_args(annotation)):
            return
        _check_value(value, options[0], field)
    elif origin is tuple:
        if not isinstance(value, list):
            raise FieldError(field, f"is {_kind(value)}, not a list")
        if len(value) > MAX_ITEMS:
            raise FieldError(field, f"holds {len(value)} entries; at most {MAX_ITEMS}")
        item = typing.get_args(annotation)[0]
        for index, entry in enumerate(value):
            _check_value(entry, item, f"{field}[{index}]")
    elif isinstance(annotation, type) and attrs.has(annotation):
        _check_record(value, annotation, field)
    else:
        _check_scalar(value, annotation, field)


def _check_record(value: JsonValue, cls: type, field: str) -> None:
    if not isinstance(value, dict):
        raise FieldError(field, f"is {_kind(value)}, not an object")
    fields = _fields(cls)
    unknown = sorted(str(key) for key in value if key not in fields)
    if unknown:
        raise FieldError(f"{field}.{unknown[0]}", f"is not a field of {cls.__name__}")
    for name, (annotation, required) in fields.items():
        if name not in value:
            if required:
                raise FieldError(f"{field}.{name}", "is missing")
            continue
        if name in _ID_FIELDS:
            if value[name] is not None or name == "task_id" or cls is ev.EventVoided:
                check_id(value[name], f"{field}.{name}")
            continue
        _check_value(value[name], annotation, f"{field}.{name}")
    if cls is ev.OfferTerms:
        currency = value["currency"]
        if currency_code(currency) != currency:  # stored as written: three capitals
            raise FieldError(f"{field}.currency", f"{_short(currency)} is not a currency code")


def _check_scalar(value: JsonValue, annotation: object, field: str) -> None:
    if annotation is str:
        if not isinstance(value, str):
            raise FieldError(field, f"is {_kind(value)}, not text")
        if len(value) > MAX_TEXT:
            raise FieldError(field, f"holds {len(value)} characters; at most {MAX_TEXT}")
    elif annotation is bool:
        if not isinstance(value, bool):
            raise FieldError(field, f"is {_kind(value)}, not true or false")
    elif annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(field, f"is {_kind(value)}, not a whole number")
        if not 0 <= value <= MAX_COUNT:
            raise FieldError(field, f"{value} is out of range (0 to {MAX_COUNT})")
    elif annotation is datetime:
        check_moment(value, field)
    elif annotation is date:
        check_day(value, field)
    elif annotation is Decimal:
        check_amount(value, field)
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):  # kind, outcome
        _check_scalar(value, str, field)
        allowed = sorted(member.value for member in annotation)
        if value not in allowed:
            raise FieldError(field, f"{_short(value)} is not one of {', '.join(allowed)}")
    else:  # pragma: no cover - a new field type must get its check here
        raise FieldError(field, f"has a type ({annotation}) that cannot be checked")


@functools.cache
def _fields(cls: type) -> dict[str, tuple[object, bool]]:
    """name -> (type, required) for an attrs class, its annotations resolved."""
    attrs.resolve_types(cls, globalns=vars(ev))
    return {f.name: (f.type, f.default is attrs.NOTHING) for f in attrs.fields(cls)}


def _check_year(year: int, value: str, field: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise FieldError(field, f"{_short(value)} is out of range: the year must be from "
                                f"{MIN_YEAR} to {MAX_YEAR}")


def _kind(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")
