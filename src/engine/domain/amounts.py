"""Amounts of money as people write them: ``85000``, ``85,000.50``, ``85.000,50``,
``85 000,50``. Read right, or refused with the reason; never guessed.

Pure: used by the command line and by every import, so an amount means the same
wherever it comes from.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from afterview.engine.domain.state import InvalidValue

MAX_AMOUNT = Decimal("1e12")
"""Above any salary or grant a person records: a larger number is a typo or an attack."""
MAX_TEXT = 40
"""No amount needs more characters than this; longer text is refused before it is read."""

# Spaces (also no-break and thin ones), apostrophes and underscores only ever group digits.
_GROUPING = re.compile(r"[ \u00a0\u202f\u2009'_]")
_GROUPS = re.compile(r"\d{1,3}(?:(?P<sep>[.,])\d{3})*")
_FORMS = "write it like 85000, 85,000.50 or 85.000,50"


def currency_code(text: str) -> str | None:
    """``text`` as a currency code (three letters, upper case: ``usd`` -> ``USD``); None
    when it is not one."""
    code = text.strip().upper()
    return code if len(code) == 3 and code.isalpha() and code.isascii() else None


class AmountError(InvalidValue):
    """An amount that cannot be read, or that no amount of money can be."""


def parse_amount(text: str) -> Decimal:
    """The amount written in ``text``: finite, not negative, at most ``MAX_AMOUNT``.

    With both ``,`` and ``.`` the last one is the decimal mark and the other groups
    thousands. With one of them: repeated, it groups thousands (``1.000.000``); once,
    followed by other than three digits, it is the decimal mark (``85000,5``). Once and
    followed by exactly three digits, ``,`` groups thousands (``85,000``) while ``.``
    is ambiguous (``85.000`` is 85 in English and 85000 in German) and refused. When
    spaces group the digits, the one mark left is the decimal mark (``85 000,50``).
    """
    raw = text.strip()
    if len(raw) > MAX_TEXT:
        raise AmountError(f"is {len(raw)} characters long: no amount needs more than {MAX_TEXT}")
    if raw.startswith("-") and raw[1:].strip():
        amount = _read(raw[1:].strip())
        if amount != 0:
            raise AmountError("is negative: amounts are 0 or more")
        return Decimal(0)
    amount = _read(raw.removeprefix("+"))
    if amount > MAX_AMOUNT:
        raise AmountError(f"is too large to be an amount of money (the most is {MAX_AMOUNT:,.0f})")
    return amount


_SPECIAL = re.compile(r"[+-]?(s?nan\d*|inf|infinity)", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?[eE][+-]?\d+")
MAX_DECIMALS = 6


def _read(text: str) -> Decimal:
    if _SPECIAL.fullmatch(text):
        raise AmountError("is not a finite amount")
    if _SCIENTIFIC.fullmatch(text):  # 1e5: unambiguous, and its size is checked as any other
        amount = Decimal(text)
        if amount > MAX_AMOUNT:
            raise AmountError(f"is too large to be an amount of money (the most is {MAX_AMOUNT:,.0f})")
        return _plain(amount)
    spaced = bool(_GROUPING.search(text.strip()))
    digits = _GROUPING.sub("", text)
    if not digits or not re.fullmatch(r"[\d.,]+", digits) or not digits[0].isdigit():
        raise AmountError(f"is not a number: {_FORMS}")
    marks = [c for c in digits if c in ".,"]
    if spaced and not _spaced_groups_ok(text):
        raise AmountError(f"has digit groups that are not of three: {_FORMS}")
    if not marks:
        return _decimal(digits)
    if "," in marks and "." in marks:
        decimal_mark = digits[max(digits.rfind(","), digits.rfind("."))]
        whole, _, fraction = digits.rpartition(decimal_mark)
        if decimal_mark in whole or not fraction:
            raise AmountError(f"mixes its marks: {_FORMS}")
        return _decimal(_ungroup(whole) + "." + fraction)
    mark = marks[0]
    if spaced:  # spaces group the thousands: the mark left is the decimal mark
        if len(marks) > 1 or digits.endswith(mark):
            raise AmountError(f"mixes its marks: {_FORMS}")
        return _decimal(digits.replace(mark, "."))
    if len(marks) > 1:
        return _decimal(_ungroup(digits))
    whole, _, fraction = digits.partition(mark)
    if len(fraction) != 3 or whole == "0":
        if not fraction:
            raise AmountError(f"ends with {mark!r}: {_FORMS}")
        return _decimal(f"{whole}.{fraction}")
    if mark == ",":
        return _decimal(whole + fraction)
    raise AmountError(
        f"is ambiguous: {whole}.{fraction} is {whole} with three decimals in English and "
        f"{whole}{fraction} in German; write {whole}{fraction}, {whole},{fraction} or "
        f"{whole}.{fraction[:2]}")


def _spaced_groups_ok(text: str) -> bool:
    """Digits grouped by spaces (or apostrophes) come in threes after the first group."""
    whole = re.split(r"[.,]", text.strip())[0]
    groups = _GROUPING.split(whole)
    return (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
            and all(g.isdigit() for g in groups))


def _ungroup(whole: str) -> str:
    """The digits of a whole part grouped by one mark in threes (``1,234,567``)."""
    match = _GROUPS.fullmatch(whole)
    if match is None:
        raise AmountError(f"has digit groups that are not of three: {_FORMS}")
    return re.sub(r"[.,]", "", whole)


def _decimal(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise AmountError(f"is not a number: {_FORMS}") from None
    return _plain(amount)


def _plain(amount: Decimal) -> Decimal:
    """Written out in digits (1E+5 is stored as 100000); at most six decimals."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise AmountError(f"has more than {MAX_DECIMALS} decimals: no amount of money needs them")
    return amount.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else amount
