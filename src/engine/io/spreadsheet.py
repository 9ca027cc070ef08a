"""Reading a hand-kept spreadsheet of applications (CSV): what its rows say; and the cells
every CSV the project writes, made safe to open in a spreadsheet.

Headers are matched loosely ("Date Applied", "Position", "Stage" ...), status words are
mapped to lifecycle states, dates and amounts are read as people type them, and each row
is checked and turned into the facts that lead to its state. The first bad row raises with
its line number. Deciding and appending the facts is ``engine.exchange.import_csv``; the
rules are in docs/data.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from afterview.engine.domain import events as ev
from afterview.engine.domain.amounts import MAX_AMOUNT
from afterview.engine.domain.calendar import MAX_YEAR, MIN_YEAR
from afterview.engine.domain.lifecycle import (
    ACCEPTED,
    APPLIED,
    DECLINED,
    INTERVIEWING,
    NEGOTIATING,
    OFFERED,
    WITHDRAWN,
)
from afterview.engine.domain.state import DomainError, InvalidValue, is_usable_id

# Field -> header spellings, compared after lower-casing and dropping everything but
# letters and digits ("Date Applied" -> "dateapplied").
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "applicationid"),
    "company": ("company", "companyname", "employer", "organisation", "organization", "org"),
    "role": ("role", "position", "title", "jobtitle", "job", "positiontitle", "roletitle"),
    "applied": ("applied", "dateapplied", "applieddate", "appliedon", "appliedat", "date",
                "applicationdate", "submitted", "datesubmitted"),
    "status": ("status", "stage", "state", "applicationstatus", "outcome"),
    "status_date": ("statusdate", "stagedate", "statedate", "statesince", "statussince",
                    "updated", "lastupdate", "lastupdated", "dateupdated"),
    "notes": ("notes", "note", "comments", "comment"),
    "url": ("url", "link", "joburl", "joblink", "posting", "jobposting", "listing"),
    "location": ("location", "city", "place"),
    "source": ("source", "via", "foundvia", "foundon", "channel", "jobboard"),
    "contact": ("contact", "contacts", "contactname", "contactperson", "recruiter",
                "hiringmanager"),
    "salary": ("salary", "base", "basesalary", "offer", "offerbase", "offersalary",
               "compensation", "pay"),
    "currency": ("currency", "offercurrency"),
    "counter": ("counter", "counteroffer", "counterbase", "countersalary", "myask", "ask"),
    "start": ("start", "startdate"),
}
_HEADER_FIELD = {spelling: field for field, names in HEADERS.items() for spelling in names}

# Status words (lower case, punctuation as spaces) -> the state the row reaches.
STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(("", "applied", "submitted", "application submitted", "sent", "pending",
                     "in review", "under review", "no response", "no reply"), APPLIED),
    **dict.fromkeys(("interview", "interviews", "interviewing", "interviewed", "phone screen",
                     "screen", "screening", "recruiter screen", "recruiter call", "onsite",
                     "on site", "technical interview", "final round", "interview scheduled"),
                    INTERVIEWING),
    **dict.fromkeys(("offer", "offered", "offer received"), OFFERED),
    **dict.fromkeys(("negotiating", "negotiation", "countered", "counter offer",
                     "counteroffer"), NEGOTIATING),
    **dict.fromkeys(("accepted", "accept", "hired", "offer accepted", "signed"), ACCEPTED),
    **dict.fromkeys(("rejected", "rejection", "declined", "no", "not selected", "turned down",
                     "no offer", "unsuccessful"), DECLINED),
    **dict.fromkeys(("withdrawn", "withdrew", "withdraw", "withdrawal", "not interested"),
                    WITHDRAWN),
}

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_YMD_SLASH = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_MONTH_FIRST = re.compile(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})")
_DAY_FIRST = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?,? (\d{4})")


class SheetRow(NamedTuple):
    """One spreadsheet row, checked and ready to become facts."""

    line: int
    company: str
    role: str
    state: str
    applied: datetime
    status_at: datetime
    app_id: str | None
    notes: str | None
    url: str | None
    location: str | None
    source: str | None
    contacts: tuple[str, ...]
    terms: ev.OfferTerms | None
    counter: ev.OfferTerms | None
    start: date | None


class Sheet(NamedTuple):
    rows: list[SheetRow]
    ignored_columns: list[str]


# ---------------------------------------------------------------------------
# Reading values


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def status_state(text: str) -> str:
    """The state a status word means; InvalidValue names the words that are understood."""
    words = " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
    state = STATUS_WORDS.get(words)
    if state is None:
        raise InvalidValue(f"unknown status {text.strip()!r}: use applied, interviewing, offered, "
                           "negotiating, accepted, declined or withdrawn (or words such as "
                           "submitted, phone screen, offer, hired, rejected, withdrew)")
    return state


def _month(name: str) -> int:
    for number, month in enumerate(_MONTHS, start=1):
        if len(name) >= 3 and month.startswith(name):
            return number
    raise ValueError(f"{name!r} is not a month")


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def sheet_date(text: str, *, day_first: bool = False) -> date | datetime:
    """A date as people type it in spreadsheets: 2026-11-02 (or with a time), 2026/11/02,
    11/02/2026 (month first, or day first with ``day_first``), Nov 2, 2026, 2 Nov 2026."""
    cleaned = " ".join(text.strip().lower().replace(",", ", ").split()).replace(" ,", ",")
    value = _read_date(text, cleaned, day_first)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidValue(f"{text.strip()!r} is out of range: the year must be from {MIN_YEAR} "
                           f"to {MAX_YEAR}")
    return value


def _read_date(text: str, cleaned: str, day_first: bool) -> date | datetime:
    for reader in (date.fromisoformat, datetime.fromisoformat):
        try:
            return reader(cleaned.upper())
        except ValueError:
            pass
    try:
        if match := _YMD_SLASH.fullmatch(cleaned):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _NUMERIC_DATE.fullmatch(cleaned):
            first, second = int(match[1]), int(match[2])
            month, day = (second, first) if day_first else (first, second)
            if month > 12:
                hint = "" if day_first else "; if your dates are day/month/year, add --day-first"
                raise ValueError(f"{text.strip()!r} has no month {month}{hint}")
            return date(_year(match[3]), month, day)
        if match := _MONTH_FIRST.fullmatch(cleaned):
            return date(int(match[3]), _month(match[1]), int(match[2]))
        if match := _DAY_FIRST.fullmatch(cleaned):
            return date(int(match[3]), _month(match[2]), int(match[1]))
    except ValueError as error:
        raise InvalidValue(f"{text.strip()!r} is not a date: {error}") from None
    raise InvalidValue(f"{text.strip()!r} is not a date: write it like 2026-11-02, 11/02/2026 "
                       "or Nov 2, 2026")


def sheet_amount(text: str) -> tuple[Decimal, str | None]:
    """An amount of money such as 85000, 85,000, $85,000, 85k or 85000 EUR, and the
    currency it names (None when it names none)."""
    from afterview.engine.domain.amounts import AmountError, parse_amount

    cleaned = text.strip()
    currency = None
    if cleaned[:1] in _SYMBOLS:
        currency, cleaned = _SYMBOLS[cleaned[0]], cleaned[1:].strip()
    if len(cleaned) > 3 and cleaned[:3].isalpha():
        currency, cleaned = cleaned[:3].upper(), cleaned[3:].strip()
    elif len(cleaned) > 3 and cleaned[-3:].isalpha():
        currency, cleaned = cleaned[-3:].upper(), cleaned[:-3].strip()
    factor = Decimal(1)
    if cleaned[-1:] in ("k", "K"):
        factor, cleaned = Decimal(1000), cleaned[:-1].strip()
    try:
        amount = parse_amount(cleaned) * factor
        if amount > MAX_AMOUNT:
            raise AmountError(f"is too large to be an amount of money (the most is {MAX_AMOUNT:,.0f})")
    except AmountError as error:
        raise InvalidValue(f"{text.strip()!r} {error}") from None
    if amount <= 0:
        raise InvalidValue(f"{text.strip()!r} is not an amount of money above 0")
    return amount, currency


# ---------------------------------------------------------------------------
# Reading rows


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# injection"): =HYPERLINK(...) in a company name would be live in Excel.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object) -> object:
    """A cell no spreadsheet runs: text starting with = + - @ TAB or CR gets a leading
    single quote, as OWASP advises; numbers and other text are left as they are. A CR
    becomes a line feed: Python's csv module quotes a field with a line feed, never one
    with a lone CR, which a reader would take for the end of the row."""
    if not isinstance(value, str):
        return value
    quoted = "'" + value if value.startswith(_FORMULA_START) else value
    return quoted.replace("\r\n", "\n").replace("\r", "\n")


def formula_safe_row(values: Iterable[object]) -> list[object]:
    """Every cell of a row made safe (see formula_safe)."""
    return [formula_safe(value) for value in values]


def _unquoted(text: str) -> str:
    """A cell as it was before formula_safe quoted it, so an export imports unchanged."""
    return text[1:] if text.startswith("'") and text[1:2] in (*_FORMULA_START, "\n") else text


class _Reader:
    """Turns one record's cells into a SheetRow; knows the columns, the clock and zone."""

    def __init__(self, columns: dict[str, int], *, now: datetime, tz: ZoneInfo,
                 currency: str, day_first: bool) -> None:
        self.columns, self.now, self.tz = columns, now, tz
        self.currency, self.day_first = currency, day_first

    def cell(self, cells: list[str], field: str) -> str:
        index = self.columns.get(field)
        return _unquoted(cells[index].strip()) if index is not None and index < len(cells) else ""

    def moment(self, text: str, what: str, *, future_ok: bool = False) -> datetime:
        from afterview.engine.domain.calendar import parse_when

        value = sheet_date(text, day_first=self.day_first)
        if isinstance(value, datetime):
            moment = parse_when(value.isoformat(), now=self.now, tz=self.tz)
        else:
            moment = parse_when(value.isoformat(), now=self.now, tz=self.tz, default_time=time(9))
            if value == self.now.astimezone(self.tz).date() and moment > self.now:
                moment = self.now  # today, before 09:00: it has happened already
        if moment > self.now and not future_ok:
            raise InvalidValue(f"the {what} {text.strip()!r} is in the future")
        return moment

    def terms(self, cells: list[str], field: str) -> ev.OfferTerms | None:
        text = self.cell(cells, field)
        if not text:
            return None
        amount, named = sheet_amount(text)
        currency = (self.cell(cells, "currency") or named or self.currency).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidValue(f"{currency!r} is not a currency code: use three letters such as USD")
        return ev.OfferTerms(currency=currency, base=amount)

    def row(self, line: int, cells: list[str]) -> SheetRow:
        company, role = self.cell(cells, "company"), self.cell(cells, "role")
        if not company or not role:
            raise InvalidValue(f"the {'company' if not company else 'role'} is empty")
        state = status_state(self.cell(cells, "status"))
        applied_text = self.cell(cells, "applied")
        if not applied_text:
            raise InvalidValue("the date applied is empty")
        applied = self.moment(applied_text, "date applied")
        status_text = self.cell(cells, "status_date")
        status_at = applied
        if status_text and state != APPLIED:
            status_at = self.moment(status_text, "status date", future_ok=state == INTERVIEWING)
            if status_at < applied:
                raise InvalidValue(f"the status date {status_text!r} is before the date applied")
        terms, counter = self.terms(cells, "salary"), self.terms(cells, "counter")
        _require_terms(state, terms, counter)
        start_text = self.cell(cells, "start")
        start = None
        if start_text:
            start_value = sheet_date(start_text, day_first=self.day_first)
            start = start_value.date() if isinstance(start_value, datetime) else start_value
        app_id = self.cell(cells, "id") or None
        contacts = tuple(n.strip() for n in re.split(r"[;,\n]", self.cell(cells, "contact"))
                         if n.strip())
        return SheetRow(line, company, role, state, applied, status_at,
                        app_id if app_id and is_usable_id(app_id) else None,
                        self.cell(cells, "notes") or None, self.cell(cells, "url") or None,
                        self.cell(cells, "location") or None, self.cell(cells, "source") or None,
                        contacts, terms, counter, start)


def _require_terms(state: str, terms: ev.OfferTerms | None, counter: ev.OfferTerms | None) -> None:
    """afterview does not invent a salary: an offer without one is recorded as "terms not
    recorded"; a counter-offer is your own ask, so it needs its amount."""
    if state == NEGOTIATING and counter is None:
        raise InvalidValue("status negotiating needs your counter-offer: add a counter column")


def _columns(header: list[str], name: str) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        field = _HEADER_FIELD.get(_key(title))
        if field is None or field in columns:
            if title.strip():
                ignored.append(title.strip())
            continue
        columns[field] = index
    for needed in ("company", "role"):
        if needed not in columns:
            spellings = ", ".join(HEADERS[needed][:4])
            raise InvalidValue(f"{name} line 1: no {needed} column (a header such as {spellings}); "
                               f"the headers are: {', '.join(h.strip() for h in header)}")
    return columns, ignored


def read_sheet(text: str, name: str, *, now: datetime, tz: ZoneInfo, currency: str = "USD",
               day_first: bool = False) -> Sheet:
    """Every row of the spreadsheet, checked; the first bad one raises with its line."""
    text = text.removeprefix("\ufeff")  # the byte-order mark Excel writes
    try:
        dialect: type[csv.Dialect] = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    records = csv.reader(io.StringIO(text), dialect, strict=True)  # an open quote is an error
    try:
        header = next(records)
    except StopIteration:
        raise InvalidValue(f"{name} is empty: it needs a header line and a row per application"
                           ) from None
    columns, ignored = _columns(header, name)
    reader = _Reader(columns, now=now, tz=tz, currency=currency, day_first=day_first)
    rows, line = [], records.line_num + 1
    try:
        for cells in records:
            if any(cell.strip() for cell in cells):
                rows.append(reader.row(line, cells))
            line = records.line_num + 1
    except csv.Error as error:
        raise InvalidValue(f"{name} line {line}: {error}") from None
    except DomainError as error:
        raise type(error)(f"{name} line {line}: {error}") from None
    return Sheet(rows, ignored)


# ---------------------------------------------------------------------------
# Rows into facts


def row_facts(row: SheetRow, now: datetime) -> list[tuple[ev.Event, datetime]]:
    """The facts, in order, that take a new application to the row's state."""
    submitted = ev.ApplicationSubmitted(row.company, row.role, row.source, row.url, row.location,
                                        row.contacts)
    facts: list[tuple[ev.Event, datetime]] = [(submitted, row.applied)]
    if row.notes:
        facts.append((ev.NoteAdded(row.notes), row.applied))
    at = row.status_at
    if row.state == INTERVIEWING:
        # A future interview date is when it takes place; it was arranged by now at the latest.
        arranged = min(at, max(row.applied, now))
        facts.append((ev.InterviewScheduled(1, at), arranged))
    elif row.state in (OFFERED, NEGOTIATING, ACCEPTED):
        facts.append((ev.OfferReceived(row.terms), at))  # terms None: not recorded
        if row.state == NEGOTIATING and row.counter is not None:
            facts.append((ev.CounterOfferMade(row.counter), at))
        if row.state == ACCEPTED:
            facts.append((ev.OfferAccepted(row.start), at))
    elif row.state == DECLINED:
        facts.append((ev.ApplicationDeclined(None), at))
    elif row.state == WITHDRAWN:
        facts.append((ev.ApplicationWithdrawn(None), at))
    return facts
