"""The options of what people keep about a job: tags, a priority, the job description, the
advertised salary range and the referral, given to ``apply`` or changed later with ``edit``
(outside the command modules, so that ``list`` imports only its own)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TypedDict, TypeVar

import click

from afterview.cli.context import Refused, session

F = TypeVar("F", bound=Callable[..., object])


class JobDetails(TypedDict):
    """The event fields of the detail options (ApplicationSubmitted, ApplicationDetailsChanged)."""

    tags: tuple[str, ...] | None
    priority: int | None
    job_description: str | None
    salary_min: Decimal | None
    salary_max: Decimal | None
    salary_currency: str | None
    referred_by: str | None


MAX_JOB_DESCRIPTION = 200_000  # characters: a long posting is ~20 000

_RANGE = re.compile(  # low, a hyphen, en dash or "to", high, and maybe a currency code
    r"\s*([^-\u2013]+?)\s*(?:[-\u2013]|to)\s*([^-\u2013]+?)\s*(?:\s([A-Za-z]{3}))?\s*")


def detail_options(*, editing: bool = False) -> Callable[[F], F]:
    """--tag, --priority, --jd, --range, --referred-by: shared by apply and edit."""
    options = [
        click.option("--tag", "tags", multiple=True, metavar="T",
                     help="A word to find it by, e.g. remote, dream (repeatable)."),
        click.option("--priority", type=click.IntRange(0 if editing else 1, 5),
                     metavar="1-5", help="How much you want it: 1 is the highest."
                     + (" 0 clears it." if editing else "")),
        click.option("--jd", metavar="FILE|TEXT",
                     help="The job description: a file (- for stdin) or the text or URL itself, "
                          "kept in the log in case the posting is taken down."),
        click.option("--range", "salary_range", metavar="LOW-HIGH",
                     help="The advertised salary range, e.g. 90k-110k or '90000-110000 EUR'."),
        click.option("--referred-by", metavar="NAME", help="Who referred you."),
    ]

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def job_description(value: str | None) -> str | None:
    """The text of --jd: a file's contents (``-``: stdin), else the value itself."""
    if value is None:
        return None
    if value == "-":
        text = sys.stdin.read()
    else:
        path = Path(value).expanduser()
        try:
            is_file = len(value) < 4096 and "\n" not in value and path.is_file()
        except (OSError, ValueError):  # a name too long or with a NUL: it is text
            is_file = False
        if not is_file:
            text = value
        else:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError as error:
                raise Refused(f"--jd {value!r} cannot be read: {error.strerror}") from None
    if len(text) > MAX_JOB_DESCRIPTION:
        raise Refused(f"--jd is {len(text):,} characters: keep it under {MAX_JOB_DESCRIPTION:,}")
    return text.strip() or None


def salary_range(text: str | None) -> tuple[Decimal | None, Decimal | None, str | None]:
    """``90k-110k``, ``90,000 - 110,000 EUR``, ``$90k to $110k``: low, high, currency."""
    if text is None:
        return None, None, None
    match = _RANGE.fullmatch(text)
    if match is None:
        raise Refused(f"--range {text!r} is not a range: write it like 90k-110k "
                      "or '90000-110000 EUR'")
    low, high = (_amount(part, text) for part in (match[1], match[2]))
    if low > high:
        raise Refused(f"--range {text!r} runs from high to low: write the lower amount first")
    currency = match[3].upper() if match[3] else session().engine.settings.currency
    return low, high, currency


def _amount(part: str, text: str) -> Decimal:
    cleaned = part.strip().lstrip("$€£").strip().lower()
    scale = {"k": Decimal(1000), "m": Decimal(1_000_000)}.get(cleaned[-1:], Decimal(1))
    if scale != 1:
        cleaned = cleaned[:-1]
    from afterview.engine.domain.amounts import AmountError, parse_amount

    try:
        amount = parse_amount(cleaned) if cleaned else None
    except AmountError:
        amount = None
    if amount is None:
        raise Refused(f"--range {text!r} is not a range: write it like 90k-110k")
    return amount * scale


def details(tags: tuple[str, ...], priority: int | None, jd: str | None,
            range_text: str | None, referred_by: str | None) -> JobDetails:
    """The event fields for the detail options given."""
    low, high, currency = salary_range(range_text)
    return JobDetails(tags=tuple(dict.fromkeys(t.strip().lower() for t in tags)),
                      priority=priority, job_description=job_description(jd), salary_min=low,
                      salary_max=high, salary_currency=currency, referred_by=referred_by)
