"""Ready-to-edit messages built from the recorded facts of one application.

Each kind gathers the facts its message needs (refusing, with what to record first, when
one is missing) and renders a Jinja2 template: the user's own ``KIND.txt`` in the template
folder first, then the packaged one. Only the application handed in is read, so a draft
can never leak names or amounts from another application.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from afterview.engine.domain.offers import (
    format_money,
    latest_ask,
    negotiation_rounds,
    recorded_arguments,
    total_compensation,
)
from afterview.engine.domain.settings import Settings
from afterview.engine.domain.state import Application, DomainError, Interview, InvalidValue

if TYPE_CHECKING:
    from jinja2.runtime import Context
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from afterview.engine.domain.calendar import WorkCalendar


KINDS: tuple[str, ...] = (
    "thank-you", "follow-up", "more-time", "counter-offer", "appreciation", "acceptance",
    "withdrawal", "resignation", "feedback-request",
)
PACKAGED_TEMPLATES = Path(__file__).with_name("templates")


def user_template_folder() -> Path:
    """Where a person's own templates live: ``$AFTERVIEW_TEMPLATES``, else the
    ``templates`` folder in afterview's user config folder."""
    chosen = os.environ.get("AFTERVIEW_TEMPLATES")
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("afterview", appauthor=False)) / "templates"


def long_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def join_names(names: Sequence[str]) -> str:
    """``Ann``, ``Ann and Bo``, ``Ann, Bo and Cy``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))


def _held(app: Application) -> list[Interview]:
    held = [i for i in app.interviews if i.held_at is not None]
    return sorted(held, key=lambda i: i.held_at or datetime.min)


def _people_met(app: Application) -> list[str]:
    return _unique([name for interview in _held(app) for name in interview.interviewers])


TemplateFacts = dict[str, object]
"""The values a template receives, by name."""


class DraftOptions(NamedTuple):
    """Dates a person passes for a draft when they are not recorded yet."""

    until: datetime | date | None = None  # more-time: the date to ask for
    start: datetime | date | None = None  # acceptance, resignation: the start date
    calendar: WorkCalendar | None = None  # resignation: the last working day on business days


def _base_facts(app: Application, recipients: Sequence[str]) -> TemplateFacts:
    recipients = _unique(recipients)
    return {
        "application": app.id, "company": app.company, "role": app.role,
        "contacts": [c.name for c in app.contacts], "people_met": _people_met(app),
        "recipients": recipients,
        "greeting": f"Dear {join_names(recipients)}," if recipients else "Dear hiring team,",
    }


def _addressees(app: Application) -> list[str]:
    return [c.name for c in app.contacts] or _people_met(app)


def _missing(kind: str, what: str) -> DomainError:
    return DomainError(f"cannot draft {kind} for this application: {what}")


# ---------------------------------------------------------------------------
# The facts each kind needs


def _thank_you(app: Application, settings: Settings, options: DraftOptions) -> TemplateFacts:
    held = _held(app)
    if not held:
        raise _missing("thank-you", "no interview recorded as held; record it first with "
                       f"'afterview debrief {app.id} --with NAME --question Q'")
    interview = held[-1]
    met = list(interview.interviewers) or _addressees(app)
    assert interview.held_at is not None
    return {**_base_facts(app, met), "interview_date": long_date(interview.held_at.date()),
            "round": interview.round,
            "question": interview.questions[0].question if interview.questions else None}


def _follow_up(app: Application, settings: Settings, options: DraftOptions) -> TemplateFacts:
    held = _held(app)
    last = held[-1].held_at if held else None
    return {**_base_facts(app, _addressees(app)),
            "interview_date": long_date(last.date()) if last else None,
            "applied_date": long_date(app.applied_at.date()) if app.applied_at else None}


def _offer_facts(app: Application, kind: str) -> TemplateFacts:
    offer = app.offer
    if offer is None:
        raise _missing(kind, f"no offer recorded; record it first with 'afterview offer {app.id} "
                       "--salary N'")
    terms = offer.terms
    if terms is None:
        raise _missing(kind, f"the offer's terms are not recorded; add them with 'afterview "
                       f"offer {app.id} --salary N ...'")
    return {"offer_base": format_money(terms.base, terms.currency),
            "offer_first_year_total": format_money(total_compensation(terms).first_year_total,
                                                   terms.currency),
            "respond_by": long_date(offer.respond_by.date()) if offer.respond_by else None}


def _open_offer(app: Application, kind: str) -> TemplateFacts:
    facts = _offer_facts(app, kind)
    if app.state not in ("offered", "negotiating"):
        raise _missing(kind, f"the application is {app.state}, not an open offer")
    return facts


def _more_time(app: Application, settings: Settings, options: DraftOptions) -> TemplateFacts:
    facts = _open_offer(app, "more-time")
    until = options.until or app.decision_until
    if until is None:
        raise _missing("more-time", "no date to ask for; pass --until WHEN (or record it with "
                       f"'afterview ask-time {app.id} --until WHEN')")
    day = until.date() if isinstance(until, datetime) else until
    return {**_base_facts(app, _addressees(app)), **facts, "new_date": long_date(day)}


_ARGUMENT_SENTENCES = {
    "commute": "the commute this role involves is a real, recurring cost",
    "relocation": "taking the role means relocating, with the moving expenses that brings",
    "degree": "my university degree, while not required for the role, gives me an academic "
              "preparation that will help me exceed its expectations",
    "certification": "I bring certifications and skills that took extensive, costly training",
    "market": "market research on pay for comparable roles supports this figure",
}


def _counter_offer(app: Application, settings: Settings,
                   options: DraftOptions) -> TemplateFacts:
    facts = _open_offer(app, "counter-offer")
    offer = app.offer
    assert offer is not None
    ask, note = latest_ask(app), None
    if ask is not None:
        amount, currency, note = ask.given_terms.base, ask.given_terms.currency, ask.note
    elif (settings.target_salary is not None and offer.terms is not None
          and settings.currency == offer.terms.currency and settings.target_salary > offer.terms.base):
        amount, currency = settings.target_salary, settings.currency
    else:
        raise _missing("counter-offer", "no amount to ask for; record your counter first with "
                       f"'afterview counter {app.id} --salary N --reason ...' "
                       "(or set target_salary above the offer)")
    arguments = recorded_arguments(app)
    return {**_base_facts(app, _addressees(app)), **facts,
            "ask": format_money(amount, currency),
            "arguments": [_ARGUMENT_SENTENCES[a.kind] for a in arguments],
            "evidence": note}


def _appreciation(app: Application, settings: Settings,
                  options: DraftOptions) -> TemplateFacts:
    rounds = negotiation_rounds(app.rounds)
    asked = [r for r in rounds if r.ask is not None]
    if not asked:
        raise _missing("appreciation", "no counter-offer recorded; it follows the company's answer "
                       f"to one ('afterview counter {app.id} --salary N')")
    answered_with_offer = rounds[-1].ask is None and rounds[-1].offer is not None
    if not answered_with_offer and app.state != "declined":
        raise _missing("appreciation", "the company has not answered your counter-offer yet; "
                       f"record its answer first ('afterview offer {app.id} ...' or "
                       f"'afterview declined {app.id}')")
    facts = {**_base_facts(app, _addressees(app)), "revised_base": None}
    if answered_with_offer and app.offer is not None and app.offer.terms is not None:
        terms = app.offer.terms
        facts["revised_base"] = format_money(terms.base, terms.currency)
    return facts


def _start_date(app: Application, kind: str, options: DraftOptions) -> date:
    start = options.start or app.start_date
    if start is None:
        raise _missing(kind, "no start date; pass --start WHEN or record it with "
                       f"'afterview accept {app.id} --start WHEN'")
    return start.date() if isinstance(start, datetime) else start


def _acceptance(app: Application, settings: Settings, options: DraftOptions) -> TemplateFacts:
    facts = _offer_facts(app, "acceptance")
    if app.state not in ("offered", "negotiating", "accepted"):
        raise _missing("acceptance", f"the application is {app.state}")
    start = _start_date(app, "acceptance", options)
    return {**_base_facts(app, _addressees(app)), **facts, "start_date": long_date(start)}


def _withdrawal(app: Application, settings: Settings, options: DraftOptions) -> TemplateFacts:
    if app.state in ("accepted", "declined"):
        raise _missing("withdrawal", f"the application is {app.state}")
    accepted_elsewhere = any(t.kind == "withdraw-application" for t in app.tasks.values())
    return {**_base_facts(app, _addressees(app)), "accepted_elsewhere": accepted_elsewhere,
            "interviewed": bool(_held(app))}


def _resignation(app: Application, settings: Settings, options: DraftOptions) -> TemplateFacts:
    if app.state != "accepted":
        raise _missing("resignation", "it follows an accepted offer; record it first with "
                       f"'afterview accept {app.id} --start WHEN'")
    start = _start_date(app, "resignation", options)
    calendar = options.calendar
    if calendar is not None:  # the last business day on or before start - rest days
        from afterview.engine.domain.policies import Deadlines, last_working_day

        last_day = last_working_day(start, Deadlines(calendar, settings))
    else:
        last_day = start - timedelta(days=settings.rest_days)
    days = settings.notice_days
    # The letter goes to your current employer: it names neither the new company nor role.
    return {"greeting": "Dear [manager's name],", "last_working_day": long_date(last_day),
            "notice_period": f"{days} days'", "notice_days": days}


def _feedback_request(app: Application, settings: Settings,
                      options: DraftOptions) -> TemplateFacts:
    if app.state != "declined":
        raise _missing("feedback-request", "it follows a rejection; record it first with "
                       f"'afterview declined {app.id}'")
    return {**_base_facts(app, _addressees(app)), "interviewed": bool(_held(app))}


_BUILDERS: dict[str, Callable[[Application, Settings, DraftOptions], TemplateFacts]] = {
    "thank-you": _thank_you, "follow-up": _follow_up, "more-time": _more_time,
    "counter-offer": _counter_offer, "appreciation": _appreciation, "acceptance": _acceptance,
    "withdrawal": _withdrawal, "resignation": _resignation,
    "feedback-request": _feedback_request,
}


def draft_facts(kind: str, app: Application, settings: Settings, *,
                until: datetime | date | None = None,
                start: datetime | date | None = None,
                calendar: WorkCalendar | None = None) -> TemplateFacts:
    """The values a ``kind`` template receives; options: ``until`` (more-time) and
    ``start`` (acceptance, resignation) supply a date not recorded yet."""
    if kind not in _BUILDERS:
        raise InvalidValue(f"unknown draft kind {kind!r}: use one of {', '.join(KINDS)}")
    return _BUILDERS[kind](app, settings, DraftOptions(until, start, calendar))


def render_draft(kind: str, app: Application, settings: Settings, *,
                 folder: Path | None = None, until: datetime | date | None = None,
                 start: datetime | date | None = None,
                 calendar: WorkCalendar | None = None) -> str:
    """The message: ``KIND.txt`` from ``folder`` when there is one, else the packaged one.

    Rendered in Jinja2's immutable sandbox: a template is text a person may have copied
    from anywhere, so it reads the facts it is given and can reach nothing else (no
    attribute starting with an underscore, no method that changes a value)."""
    import jinja2

    facts = draft_facts(kind, app, settings, until=until, start=start, calendar=calendar)
    folders = [PACKAGED_TEMPLATES] if folder is None else [folder, PACKAGED_TEMPLATES]
    environment = _sandbox()(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]), autoescape=False,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["names"] = join_names
    try:
        template = environment.get_template(f"{kind}.txt")
        return template.render(**facts)
    except Exception as error:  # any failure while rendering is the template's
        raise _template_error(error, f"{kind}.txt", folders) from None


MAX_REPEAT = 100_000
"""The longest text or list a template may build with ``*``, and the largest power."""


def _sandbox() -> type[ImmutableSandboxedEnvironment]:
    """The immutable sandbox, with ``*`` and ``**`` bounded: ``{{ 'a' * 10**9 }}`` would
    otherwise take gigabytes before anything is shown."""
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class DraftSandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Context, operator: str, left: object,
                       right: object) -> object:
            if operator == "**" and isinstance(right, int | float) and (abs(right) > 64 or (
                    isinstance(left, int) and left.bit_length() * abs(right) > 4096)):
                raise SecurityError("a template may not raise to a power this large")
            if operator == "*":
                sized, count = ((left, right) if isinstance(left, str | list | tuple)
                                else (right, left))
                if (isinstance(sized, str | list | tuple) and isinstance(count, int)
                        and len(sized) * count > MAX_REPEAT):
                    raise SecurityError(f"a template may repeat text up to {MAX_REPEAT:,} "
                                        "characters")
            return super().call_binop(context, operator, left, right)

    return DraftSandbox


def _template_error(error: Exception, name: str, folders: list[Path]) -> DomainError:
    """One line naming the template file and line: a syntax error carries them; an error
    while rendering is placed by the frame Jinja2 adds for the template in the traceback."""
    filename = getattr(error, "filename", None)
    line = getattr(error, "lineno", None)
    if line is None:
        roots = tuple(str(f) for f in folders)
        traceback = error.__traceback__
        while traceback is not None:
            code = traceback.tb_frame.f_code.co_filename
            if code.startswith(roots):
                filename, line = code, traceback.tb_lineno
            traceback = traceback.tb_next
    where = f"{filename or name}" + (f" line {line}" if line else "")
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return DomainError(f"template {where}: {message}")
