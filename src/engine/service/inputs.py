"""Values as a person types them, checked the same way whichever adapter received them: money,
whole numbers in a range, and the terms of an offer. The command line and the web app both
call these, so a form field is refused with the words an option would be.

``name`` is how the adapter calls the field (``--salary`` on the command line, ``salary`` in a
form); every refusal is an ``InvalidValue`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from afterview.engine.domain.amounts import AmountError, currency_code, parse_amount
from afterview.engine.domain.events import JsonObject, OfferTerms, Question
from afterview.engine.domain.state import InvalidValue

MAX_BONUS_PERCENT = 1000

Label = Callable[[str], str]
"""How an adapter names an offer field (given as the command line's option destination)."""


def option_label(field: str) -> str:
    """``equity_total`` -> ``--equity-total``: the command line's names."""
    return "--" + field.replace("_", "-")


def money(text: str | None, name: str) -> Decimal | None:
    """An amount of money as people write it (85000, 85,000.50, 85.000,50, 85 000,50):
    finite, not negative, not absurd; None when not given."""
    if text is None:
        return None
    try:
        return parse_amount(text)
    except AmountError as error:
        raise InvalidValue(f"{name} {text!r} {error}") from None


def whole_number(value: str | int | None, name: str, low: int, high: int) -> int | None:
    """A whole number between ``low`` and ``high`` (None when not given), as click's IntRange
    checks an option."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidValue(f"{name} {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise InvalidValue(f"{name} {number} is not in the range {low}<=x<={high}")
    return number


def questions(rows: Sequence[tuple[str | None, str | None, str | None]]) -> tuple[Question, ...]:
    """A debrief's questions, each kept with its own answer and tip (``--qa QUESTION ANSWER
    TIP``, a row of the web form): a blank answer or tip is not given; a row without its
    question is refused."""
    asked = []
    for question, answer, tip in rows:
        if not (question or "").strip():
            raise InvalidValue("a question cannot be empty")
        asked.append(Question(str(question), (answer or "").strip() or None,
                              (tip or "").strip() or None))
    return tuple(asked)


OfferFields = Mapping[str, object]
"""The fields of ``offer`` or ``counter`` by the command line's option destinations
(``salary``, ``currency``, ``bonus``, ``equity_total``, ``benefits``, ...): text, a whole
number where click already read one, the benefits as a sequence of texts."""


def given_terms(fields: OfferFields, label: Label = option_label) -> JsonObject:
    """The terms given for ``offer`` or ``counter``, by OfferTerms field, amounts checked;
    what was not given is left out (a revised offer keeps the terms it does not repeat)."""

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    def amount(name: str) -> Decimal | None:
        return money(text(name), label(name))

    def number(name: str, low: int, high: int) -> int | None:
        value = fields.get(name)
        return whole_number(value if isinstance(value, str | int) else None, label(name), low, high)

    bonus_text = text("bonus")
    bonus = bonus_percent = None
    if bonus_text is not None and bonus_text.strip().endswith("%"):
        bonus_percent = money(bonus_text.strip()[:-1], label("bonus"))
        if bonus_percent is not None and bonus_percent > MAX_BONUS_PERCENT:
            raise InvalidValue(f"{label('bonus')} {bonus_text!r} is not a plausible percentage")
    else:
        bonus = amount("bonus")
    typed = text("currency")
    currency = None if typed is None else currency_code(typed)
    if typed is not None and currency is None:
        raise InvalidValue(f"{label('currency')} {typed.strip().upper()!r} is not a currency "
                           "code: use three letters such as USD")
    equity_total = amount("equity_total")
    years = number("vesting_years", 1, 10)
    if years is not None and equity_total is None:
        raise InvalidValue(f"{label('vesting_years')} goes with {label('equity_total')}")
    benefits = fields.get("benefits") or ()
    if isinstance(benefits, str) or not isinstance(benefits, Sequence):
        raise InvalidValue(f"{label('benefits')} must be a list of benefits")
    given: JsonObject = dict(
        currency=currency,
        base=amount("salary"),
        bonus=bonus,
        bonus_percent=bonus_percent,
        signing=amount("signing"),
        equity_per_year=amount("equity"),
        equity_total=equity_total,
        equity_years=(years or 4) if equity_total is not None else None,
        relocation=amount("relocation"),
        benefits=tuple(str(benefit) for benefit in benefits),
        benefits_value=amount("benefits_value"),
        commute_minutes=number("commute_minutes", 0, 600),
        commute_cost=amount("commute_cost"),
        remote_days=number("remote_days", 0, 7),
    )
    return {key: value for key, value in given.items() if value is not None and value != ()}


def offer_terms(fields: OfferFields, default_currency: str, label: Label = option_label) -> OfferTerms:
    """Whole offer terms (a counter-offer, a first offer): the base salary required, the
    currency defaulted."""
    given = given_terms(fields, label)
    if "base" not in given:
        raise InvalidValue(f"{label('salary')} is required: the base salary per year")
    given.setdefault("currency", default_currency)
    return OfferTerms(**given)
