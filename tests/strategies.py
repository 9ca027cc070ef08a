"""Hypothesis strategies shared by the property tests, one section per feature."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from afterview.engine.domain.calendar import WorkCalendar

# --- time: zones, moments, work calendars (engine.calendar) ---------------------

# Zones chosen for what makes dates hard: far from UTC on both sides, half- and
# quarter-hour offsets, a half-hour DST shift (Lord Howe), DST changes at
# midnight (Santiago), southern-hemisphere DST, and a zone that skipped a whole
# day (Apia, 30 December 2011).
TRICKY_ZONES = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Santiago",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)

# (country, subdivision) pairs with holidays the tests know about.
HOLIDAY_REGIONS = ((None, None), ("US", None), ("US", "CA"), ("GB", None), ("DE", "BY"))


def zones() -> st.SearchStrategy[ZoneInfo]:
    return st.sampled_from(TRICKY_ZONES).map(ZoneInfo)


def aware_moments(min_year: int = 1990, max_year: int = 2100) -> st.SearchStrategy[datetime]:
    """Any instant, as a wall time in one of the tricky zones (gaps and folds included)."""
    return st.datetimes(
        min_value=datetime(min_year, 1, 1), max_value=datetime(max_year, 12, 31), timezones=zones()
    )


def workday_starts() -> st.SearchStrategy[time]:
    """Morning start times on the quarter hour, when no tricky zone changes its clocks."""
    return st.builds(time, st.integers(6, 11), st.sampled_from((0, 15, 30, 45)))


@st.composite
def work_calendars(draw: st.DrawFn) -> WorkCalendar:
    country, subdivision = draw(st.sampled_from(HOLIDAY_REGIONS))
    return WorkCalendar(
        tz=draw(zones()),
        country=country,
        subdivision=subdivision,
        workday_start=draw(workday_starts()),
    )


# --- event store: JSON-ready event data (engine.sqlite_store) --------------------

# Integers stay within what a JSON number holds exactly everywhere (doubles), so the
# same strategies can drive a PostgreSQL backend later.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)


def json_values() -> st.SearchStrategy[object]:
    """Any JSON value: unicode text, nested lists and objects, numbers."""
    return st.recursive(
        json_scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=6,
    )


def event_data() -> st.SearchStrategy[dict[str, object]]:
    """An event's data or metadata: a JSON object."""
    return st.dictionaries(st.text(max_size=10), json_values(), max_size=4)


# --- events: one strategy per event class (engine.events) ------------------------
#
# Built from each class's own field types, so a new event class or field is covered
# without editing this section; a field type it does not know fails loudly below.
# Imports are local to the section (underscored) so the sections stay apart.

import enum as _enum  # noqa: E402
import types as _types  # noqa: E402
import typing as _typing  # noqa: E402
from datetime import date as _date  # noqa: E402
from datetime import datetime as _datetime  # noqa: E402
from datetime import timedelta as _timedelta  # noqa: E402
from datetime import timezone as _timezone  # noqa: E402
from decimal import Decimal as _Decimal  # noqa: E402
from zoneinfo import ZoneInfo as _ZoneInfo  # noqa: E402

import attrs as _attrs  # noqa: E402

from afterview.engine.domain import events as _ev  # noqa: E402

# Texts people type: any unicode (accents, CJK, emoji, RTL), empty and blank included.
event_texts = st.text(max_size=24) | st.sampled_from(("Zoë Ångström", "東京", "שלום", "🙂", " "))

# Amounts as people and the CLI write them: whole or to the cent, up to a trillion.
amounts = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False,
                      allow_infinity=False)

# Aware times in zones with folds and gaps, odd offsets, and plain fixed offsets.
_event_zones = st.sampled_from(
    ("UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham")
).map(_ZoneInfo) | st.integers(-14 * 60, 14 * 60).map(
    lambda minutes: _timezone(_timedelta(minutes=minutes))
)
aware_times = st.datetimes(min_value=_datetime(1990, 1, 1), max_value=_datetime(2100, 12, 31),
                           timezones=_event_zones)

_BASE: dict[object, st.SearchStrategy[object]] = {
    str: event_texts,
    int: st.integers(min_value=-(2**31), max_value=2**31),
    bool: st.booleans(),
    _Decimal: amounts,
    _datetime: aware_times,
    _date: st.dates(min_value=_date(1990, 1, 1), max_value=_date(2100, 12, 31)),
}


def _for_hint(hint: object) -> st.SearchStrategy[object]:
    """A strategy for one resolved field type of an event class."""
    if hint in _BASE:
        return _BASE[hint]
    origin, args = _typing.get_origin(hint), _typing.get_args(hint)
    if origin in (_types.UnionType, _typing.Union):
        return st.one_of(*(st.none() if a is type(None) else _for_hint(a) for a in args))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(_for_hint(args[0]), max_size=3).map(tuple)
    if isinstance(hint, type) and _attrs.has(hint):
        return instances_of(hint)
    if isinstance(hint, type) and issubclass(hint, _enum.Enum):  # task kinds and outcomes
        return st.sampled_from(list(hint))
    raise TypeError(f"no strategy for event field type {hint!r}: add one to strategies.py")


def instances_of(cls: type) -> st.SearchStrategy[object]:
    """Any instance of an attrs class of engine.events (nested values included)."""
    hints = _typing.get_type_hints(cls, vars(_ev))
    fields = {f.name: _for_hint(hints[f.name]) for f in _attrs.fields(cls)}
    return st.builds(cls, **fields)


def events_of_every_type() -> st.SearchStrategy[object]:
    """An instance of any registered event class."""
    return st.one_of(*(instances_of(cls) for cls in _ev.EVENT_TYPES.values()))


# --- offers: valid offer terms, every kind of term optional (engine.offers) -------

_offer_money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False,
                           allow_infinity=False)


def offer_terms(currency: str = "USD") -> st.SearchStrategy[object]:
    """Terms as the CLI records them: base above 0, either a bonus amount or a percent,
    equity per year or a total over 1-10 years, and any of the other terms."""
    optional = st.none() | _offer_money
    bonus = st.one_of(
        st.just((None, None)),
        _offer_money.map(lambda amount: (amount, None)),
        st.decimals(min_value=0, max_value=200, places=2).map(lambda percent: (None, percent)),
    )
    equity = st.one_of(
        st.just((None, None, None)),
        _offer_money.map(lambda per_year: (per_year, None, None)),
        st.tuples(_offer_money, st.integers(1, 10)).map(lambda grant: (None, *grant)),
    )

    def build(base: object, bonus: tuple, equity: tuple, signing: object, relocation: object,
              benefits_value: object, commute_cost: object) -> object:
        return _ev.OfferTerms(currency, base, bonus=bonus[0], bonus_percent=bonus[1],
                              signing=signing, equity_per_year=equity[0],
                              equity_total=equity[1], equity_years=equity[2],
                              relocation=relocation, benefits_value=benefits_value,
                              commute_cost=commute_cost)

    base = st.decimals(min_value="0.01", max_value=10**7, places=2)
    return st.builds(build, base, bonus, equity, optional, optional, optional, optional)


# --- data in and out: calendar text, spreadsheet dates (engine.ics, engine.spreadsheet) ---

# Text a person might put in a company name, a role or a task title: any printable
# character (accents, CJK, emoji: multi-byte UTF-8 that line folding must not split), plus
# the characters iCalendar escapes and line breaks.
_calendar_alphabet = st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(
    list(",;:\\\n\"'")
)


def calendar_texts() -> st.SearchStrategy[str]:
    return st.text(_calendar_alphabet, min_size=1, max_size=200).filter(
        lambda text: text.strip() == text)


def sheet_dates() -> st.SearchStrategy[object]:
    """Dates a spreadsheet might hold (years a job search can have)."""
    from datetime import date

    return st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


# --- CLI fuzz: argv lists drawn from the click command table (cli.main) ------------------

# Path values stay inside the folder the caller names, so a fuzzed export or SVG never
# lands outside it; hook values never name a real program with arguments.

from collections.abc import Callable as _Callable  # noqa: E402

FUZZ_HOOKS = ("true", "false", "/nonexistent/hook", "'unterminated", "", "  ")


def _fuzz_value(param: object, values: _Callable[[str], st.SearchStrategy[str]],
                paths: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    import click

    kind = getattr(param, "type", None)
    name = str(getattr(param, "name", ""))
    garbage = st.text(max_size=12)
    if isinstance(kind, click.Path):
        return paths
    if name == "hook":
        return st.sampled_from(FUZZ_HOOKS)
    if isinstance(kind, click.Choice):
        return st.one_of(st.sampled_from([str(c) for c in kind.choices]), garbage)
    if isinstance(kind, click.IntRange | click.FloatRange):
        return st.one_of(st.integers(-3, 60).map(str), st.sampled_from(["1.5", "nan", "1e9"]),
                         garbage)
    # Mostly a value meant for this parameter, sometimes one meant for another, or noise.
    return st.one_of(values(name), values(name), values(name), values(""), garbage)


@st.composite
def cli_argv(draw: st.DrawFn, command: object, path: list[str],
             values: _Callable[[str], st.SearchStrategy[str]],
             paths: st.SearchStrategy[str]) -> list[str]:
    """Arguments for one click command: its options in any order, each present or not
    (a required one missing one time in ten), arguments most often given, sometimes an
    unknown option or a stray word. ``values(name)`` gives the values for a parameter."""
    import click

    assert isinstance(command, click.Command)
    words: list[str] = [*path]
    if draw(st.booleans()):
        words.insert(0, "--json")
    options = [p for p in command.params if isinstance(p, click.Option)]
    for option in draw(st.permutations(options)):
        if not draw(st.integers(0, 9 if option.required else 2)):
            continue
        flag = draw(st.sampled_from(option.opts))
        if option.is_flag:
            words.append(flag)
            continue
        for _ in range(draw(st.integers(1, 2)) if option.multiple else 1):
            words += [flag, draw(_fuzz_value(option, values, paths))]
    for argument in (p for p in command.params if isinstance(p, click.Argument)):
        # An optional argument half the time; a required one missing one time in ten.
        if (argument.required or draw(st.booleans())) and draw(st.integers(0, 9)):
            words.append(draw(_fuzz_value(argument, values, paths)))
    if not draw(st.integers(0, 9)):
        words.insert(draw(st.integers(len(path), len(words))),
                     draw(st.sampled_from(["--bogus", "extra", "-x", "--", "--at"])))
    return words


# --- policies: random sequences of facts and task actions (engine.policies) ------

# What a step may record about an application, and the event type it becomes.
POLICY_FACTS = {
    "submit": "ApplicationSubmitted", "schedule": "InterviewScheduled", "held": "InterviewHeld",
    "thanks": "ThankYouSent", "follow-up": "FollowUpSent", "offer": "OfferReceived",
    "ask-time": "DecisionTimeRequested", "counter": "CounterOfferMade", "accept": "OfferAccepted",
    "withdraw": "ApplicationWithdrawn", "decline": "ApplicationDeclined",
    "feedback-requested": "FeedbackRequested", "feedback-received": "FeedbackReceived",
    "reflect": "ReflectionRecorded", "notice": "NoticeGiven", "note": "NoteAdded",
}

# fact 6 : task 2 : tick 2 : void 1. A void makes its streams unfit for the live-fold check.
POLICY_ACTIONS = ("fact",) * 6 + ("task",) * 2 + ("tick",) * 2 + ("void",)


def policy_actions() -> st.SearchStrategy[str]:
    return st.sampled_from(POLICY_ACTIONS)


def policy_fact(state: str) -> st.SearchStrategy[str]:
    """A fact to record on an application in ``state``: mostly one the lifecycle allows
    there (so searches get far: offers, counters, acceptances), sometimes any (refused)."""
    from afterview.engine.domain.lifecycle import TABLE

    allowed = sorted(w for w, t in POLICY_FACTS.items() if (state, t) in TABLE)
    anything = st.sampled_from(sorted(POLICY_FACTS))
    return st.one_of(st.sampled_from(allowed), st.sampled_from(allowed), anything) if allowed \
        else anything


def policy_gaps() -> st.SearchStrategy[int]:
    """Hours between steps: often none, sometimes days (tasks fall due)."""
    return st.one_of(st.just(0), st.integers(1, 8), st.integers(9, 24 * 12))
