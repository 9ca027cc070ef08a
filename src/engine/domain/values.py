"""The values events and folded applications share: JSON, task kinds and outcomes, offer
terms and interview questions. A module of its own so that reading a projection (the board,
``list``) builds these without loading the event classes (``events`` re-exports them).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

JsonValue = Any
"""A JSON value as decoded or about to be encoded: the JSON boundary, the one place where
values are not typed further (each event class gives its own data a type)."""

JsonObject = dict[str, JsonValue]
"""A JSON object as stored, exported or printed."""


class TaskKind(StrEnum):
    """What a follow-up task asks of you (docs/policies.md); the value is what the log holds."""

    FOLLOW_UP_APPLICATION = "follow-up-application"
    THANK_YOU = "thank-you"
    FOLLOW_UP_INTERVIEW = "follow-up-interview"
    OFFER_DECISION = "offer-decision"
    FOLLOW_UP_COUNTER = "follow-up-counter"
    EXPRESS_APPRECIATION = "express-appreciation"
    WITHDRAW_APPLICATION = "withdraw-application"
    RESIGNATION_NOTICE = "resignation-notice"
    REQUEST_FEEDBACK = "request-feedback"
    REFLECT = "reflect"
    DEBRIEF = "debrief"
    FOLLOW_UP_AGAIN = "follow-up-again"


class TaskOutcome(StrEnum):
    """How a task was closed: by you (done, dismissed) or by a fact (satisfied, moot)."""

    DONE = "done"
    DISMISSED = "dismissed"
    SATISFIED = "satisfied"
    MOOT = "moot"


# Replay reads a kind or an outcome per task event: a dict lookup is several times cheaper
# than calling the enum, and an unknown value still raises ValueError (an unreadable row).
_KINDS: dict[str, TaskKind] = {kind.value: kind for kind in TaskKind}
_OUTCOMES: dict[str, TaskOutcome] = {outcome.value: outcome for outcome in TaskOutcome}


def task_kind(value: str) -> TaskKind:
    try:
        return _KINDS[value]
    except KeyError:
        raise ValueError(f"unknown task kind {value!r}") from None


def task_outcome(value: str) -> TaskOutcome:
    try:
        return _OUTCOMES[value]
    except KeyError:
        raise ValueError(f"unknown task outcome {value!r}") from None


# ---------------------------------------------------------------------------
# Converters: they accept the value or its JSON form.


def to_decimal(value: Decimal | str | int | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def opt_decimal(value: Decimal | str | int | float | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


def opt_int(value: int | str | None) -> int | None:
    return None if value is None else int(value)


def strings(value: Iterable[str] | None) -> tuple[str, ...]:
    return () if value is None else tuple(value)


# ---------------------------------------------------------------------------
# Nested values


@attrs.frozen
class Question:
    """One interview question, what you answered, and what you would answer better."""

    question: str
    answer: str | None = None
    better: str | None = None


@attrs.frozen
class OfferTerms:
    """The terms of an offer or a counter-offer. Amounts are yearly unless named otherwise."""

    currency: str
    base: Decimal = attrs.field(converter=to_decimal)
    bonus: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    bonus_percent: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    signing: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    equity_per_year: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    equity_total: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    equity_years: int | None = attrs.field(default=None, converter=opt_int)
    relocation: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    benefits: tuple[str, ...] = attrs.field(default=(), converter=strings)
    benefits_value: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    commute_minutes: int | None = attrs.field(default=None, converter=opt_int)
    commute_cost: Decimal | None = attrs.field(default=None, converter=opt_decimal)
    remote_days: int | None = attrs.field(default=None, converter=opt_int)
