"""The demo: a realistic job search, built through the Engine API and back-dated from now.

Eight applications that between them reach every state, with interviews and debriefs, an
offer, a counter-offer and a revised offer, a rejection with feedback, contacts, notes and a
voided mistake. Every fact is dated relative to ``engine.now()`` (so the wall clock or
``AFTERVIEW_NOW``), which leaves some follow-ups overdue and others still to come.
Company names are fictional.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import Application, DomainError
from afterview.engine.service.unit_of_work import Actor

if TYPE_CHECKING:
    from afterview.engine.service.api import Engine
    from afterview.engine.store.base import EventStore, StoredEvent

DEMO_ACTOR = Actor.DEMO
"""The ``actor`` in the metadata of every event the demo writes."""

_SATURDAY = 5


def foreign_event(store: EventStore) -> StoredEvent | None:
    """The first event in ``store`` that the demo did not write (None: only demo events)."""
    for stored in store.read_all():
        if stored.metadata.get("actor") != DEMO_ACTOR:
            return stored
    return None


def make_room(target: str | os.PathLike[str]) -> None:
    """Refuse a log holding events the demo did not write; remove an earlier demo's file."""
    from afterview.engine.service.api import database_file, open_engine

    path = database_file(target)
    if path is None or not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return
    # Opening refuses (and leaves alone) anything that is not an afterview database.
    with open_engine(target, actor=DEMO_ACTOR) as engine:
        found = foreign_event(engine.store)
    if found is not None:
        raise DomainError(
            f"{path} holds a job search the demo did not write ({found.type} at position "
            f"{found.position}); the demo never writes into one: give it its own file, "
            "e.g. afterview demo --db /tmp/afterview-demo.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_demo_at(target: str | os.PathLike[str], *,
                  tenant: str | None = None) -> tuple[list[Application], datetime]:
    """Build the demo in its own log at ``target`` (see ``make_room``; in a shared
    database, ``tenant``'s log, which must be empty: a log there cannot be removed); its
    applications and the time it was built as of, in the configured zone."""
    from afterview.engine.service.api import open_engine

    make_room(target)
    with open_engine(target, tenant=tenant, actor=DEMO_ACTOR) as engine:
        if tenant is not None and engine.store.head()[0] > 0:
            raise DomainError(f"tenant {tenant!r} already has a log; the demo builds only in "
                              "an empty tenant: give it a new --tenant")
        build_demo(engine)
        return engine.applications(), engine.now().astimezone(engine.tz)


class _Timeline:
    """Times counted in days from now, on working days, at a wall time in the zone."""

    def __init__(self, now: datetime, tz: tzinfo) -> None:
        self.today = now.astimezone(tz).date()
        self.tz = tz

    def ago(self, days: int, hour: int, minute: int = 0) -> datetime:
        """``days`` (1 or more) ago at that hour, moved back to the Friday if it is a
        weekend, so always before now. Facts of one application are 3+ days apart, or on the
        same day at later hours, so moving back never puts them out of order."""
        return self._at(self._weekday(self.today - timedelta(days=days), -1), hour, minute)

    def ahead(self, days: int, hour: int, minute: int = 0) -> datetime:
        """``days`` from today at that hour, moved on to the Monday if it is a weekend."""
        return self._at(self._weekday(self.today + timedelta(days=days), 1), hour, minute)

    def _at(self, day: date, hour: int, minute: int) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    @staticmethod
    def _weekday(day: date, step: int) -> date:
        while day.weekday() >= _SATURDAY:
            day += timedelta(days=step)
        return day


def _terms(base: int, *, bonus: int | None = None, bonus_percent: int | None = None,
           signing: int | None = None, equity_per_year: int | None = None,
           equity_total: int | None = None, equity_years: int | None = None,
           relocation: int | None = None, benefits: tuple[str, ...] = ()) -> ev.OfferTerms:
    """Terms in dollars."""
    return ev.OfferTerms("USD", base, bonus, bonus_percent, signing, equity_per_year,
                         equity_total, equity_years, relocation, benefits)


def _q(question: str, answer: str, better: str | None = None) -> ev.Question:
    return ev.Question(question, answer, better)


class _Search:
    """Records the scenario; one method per application, in the order it happened."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.t = _Timeline(engine.now(), engine.tz)

    def apply(self, company: str, role: str, at: datetime, *, source: str | None = None,
              url: str | None = None, location: str | None = None,
              contacts: tuple[str, ...] = ()) -> str:
        submitted = ev.ApplicationSubmitted(company, role, source, url, location, contacts)
        return self.engine.apply(submitted, at=at).application.id

    def fact(self, app: str, event: ev.Event, at: datetime) -> str:
        """Record one fact; its event id."""
        return self.engine.record(app, event, at=at).facts[0].event_id

    def interview(self, app: str, round_: int, booked: datetime, held: datetime, kind: str,
                  people: tuple[str, ...], questions: tuple[ev.Question, ...], note: str) -> None:
        """An interview booked, held and debriefed, and the thank-you note that evening."""
        self.fact(app, ev.InterviewScheduled(round_, held, kind, people), booked)
        self.fact(app, ev.InterviewHeld(round_, people, questions, note),
                  held + timedelta(hours=1, minutes=15))
        self.fact(app, ev.ThankYouSent(people), held.replace(hour=18, minute=30))


def _initech(s: _Search) -> str:
    """Two rounds, an offer, a counter-offer, a revised offer: accepted four days ago."""
    t = s.t
    app = s.apply("Initech", "Platform Engineer", t.ago(45, 9, 30), source="referral",
                  url="https://jobs.initech.example/platform", location="Remote (US)",
                  contacts=("Priya Raman",))
    s.fact(app, ev.ContactAdded("Tom Becker", "Technical Recruiter", "tom.becker@initech.example"),
           t.ago(41, 11))
    s.interview(app, 1, t.ago(41, 11, 30), t.ago(37, 14), "video", ("Tom Becker",), (
        _q("Why do you want to leave your current job?",
           "I want to own infrastructure end to end instead of tickets.",
           "Lead with what I want to build, not with what I want to leave."),
        _q("What salary are you looking for?", "I deflected and asked about the range."),
    ), "Friendly; the range is 130-155k.")
    s.interview(app, 2, t.ago(34, 10), t.ago(30, 10), "onsite", ("Priya Raman", "Li Wei"), (
        _q("Design a deployment pipeline for 200 services.",
           "Per-service pipelines, a shared promotion step, canaries.",
           "Start from the failure modes: rollback and blast radius first."),
        _q("Tell us about an outage you caused.", "The expired certificate, and the alert I added."),
    ), "Li Wei runs the on-call rota: one week in six.")
    s.fact(app, ev.OfferReceived(
        _terms(140000, bonus_percent=10, signing=10000, equity_total=80000, equity_years=4,
               relocation=5000, benefits=("health, dental, vision", "401(k) 4% match")),
        t.ago(10, 17)), t.ago(17, 11))
    s.fact(app, ev.CounterOfferMade(
        _terms(152000, bonus_percent=10, signing=15000, equity_total=80000, equity_years=4,
               relocation=8000), ("market", "relocation"),
        "Levels for the area are 150-160k; relocation from Ohio costs about 8k."), t.ago(13, 10))
    s.fact(app, ev.OfferReceived(
        _terms(147000, bonus_percent=10, signing=15000, equity_total=80000, equity_years=4,
               relocation=8000, benefits=("health, dental, vision", "401(k) 4% match")),
        t.ahead(2, 17), revised=True), t.ago(6, 12))
    s.fact(app, ev.ThankYouSent(("Priya Raman",)), t.ago(6, 16))
    s.fact(app, ev.NoteAdded("Compared with Hooli: Initech's 401(k) match and remote days win."),
           t.ago(5, 20))
    return app


def _hooli(s: _Search) -> str:
    """An offer and your counter-offer, still unanswered: negotiating."""
    t = s.t
    app = s.apply("Hooli", "Staff Engineer", t.ago(32, 8, 45), source="job board",
                  url="https://hooli.example/careers/staff", location="Palo Alto, CA")
    s.interview(app, 1, t.ago(28, 9), t.ago(24, 15), "video", ("Gavin Marsh",), (
        _q("How do you decide what not to build?", "Cost of delay against cost of upkeep."),
    ), "Long commute if onsite: 90 minutes each way.")
    s.fact(app, ev.OfferReceived(_terms(155000, bonus=15000, equity_per_year=30000),
                                 t.ago(4, 17)), t.ago(10, 14))
    s.fact(app, ev.CounterOfferMade(_terms(172000, bonus=15000, equity_per_year=30000),
                                    ("commute", "certification"),
                                    "90 minutes each way; AWS Solutions Architect certified."),
           t.ago(6, 10))
    return app


def _vandelay(s: _Search) -> str:
    """An offer you asked for more time on: offered."""
    t = s.t
    app = s.apply("Vandelay Industries", "Product Analyst", t.ago(25, 10), source="LinkedIn",
                  location="New York, NY")
    s.fact(app, ev.ContactAdded("Art Vandelay", "Hiring Manager", "art@vandelay.example"),
           t.ago(25, 10, 5))
    s.interview(app, 1, t.ago(21, 9), t.ago(17, 11), "phone", ("Art Vandelay",), (
        _q("Walk me through a metric you defined.", "Weekly active importers, and why not DAU.",
           "Say what decision the metric changed."),
    ), "Small team; they ship weekly.")
    s.fact(app, ev.OfferReceived(_terms(118000, bonus_percent=8, signing=5000),
                                 t.ahead(2, 17)), t.ago(4, 11))
    s.fact(app, ev.DecisionTimeRequested(t.ahead(6, 17)), t.ago(4, 15))
    return app


def _umbrella(s: _Search) -> str:
    """An onsite booked for the coming days: interviewing."""
    t = s.t
    app = s.apply("Umbrella Corp", "Backend Developer", t.ago(16, 9), source="company site",
                  location="Raccoon City")
    s.fact(app, ev.InterviewScheduled(1, t.ahead(3, 14), "onsite", ("Alice Abernathy",)),
           t.ago(5, 10))
    s.fact(app, ev.NoteAdded("Prepare: system design with caching; their API is REST + Kafka."),
           t.ago(5, 10, 30))
    return app


def _stark(s: _Search) -> str:
    """No reply for weeks: applied, and the follow-up is overdue."""
    t = s.t
    app = s.apply("Stark Industries", "Site Reliability Engineer", t.ago(20, 9, 15),
                  source="job board", url="https://stark.example/jobs/sre")
    s.fact(app, ev.ContactAdded("Happy Hogan", "Recruiter", "hogan@stark.example"), t.ago(20, 9, 20))
    return app


def _wayne(s: _Search) -> str:
    """A rejection recorded here by mistake, then voided: still applied."""
    t = s.t
    app = s.apply("Wayne Enterprises", "Frontend Engineer", t.ago(4, 9), source="referral",
                  contacts=("Lucius Fox",))
    mistaken = s.fact(app, ev.ApplicationDeclined("Thank you for your interest..."), t.ago(2, 11))
    s.engine.void(mistaken, "That rejection email was for a different role at Wayne",
                  at=t.ago(2, 11, 30))
    return app


def _soylent(s: _Search) -> str:
    """Declined after one interview; feedback asked for and received, then a reflection."""
    t = s.t
    app = s.apply("Soylent", "Data Scientist", t.ago(38, 10), source="meetup",
                  contacts=("Sol Roth",))
    s.interview(app, 1, t.ago(35, 9), t.ago(31, 13), "phone", ("Sol Roth",), (
        _q("How would you tune a slow Spark job?", "Cache more and add executors.",
           "Look at the stages and the skew first; caching is not the answer to everything."),
        _q("Describe a conflict with a colleague.", "A rambling story about a code review.",
           "Use STAR: situation, task, action, result, in two minutes."),
    ), "They want deep Spark experience.")
    s.fact(app, ev.ApplicationDeclined("Went with a candidate with more Spark experience."),
           t.ago(13, 16))
    s.fact(app, ev.FeedbackRequested(), t.ago(10, 9, 30))
    s.fact(app, ev.FeedbackReceived("Strong SQL; needs deeper Spark tuning and streaming."),
           t.ago(8, 14))
    s.fact(app, ev.ReflectionRecorded(
        "Build a small Spark streaming project; practise STAR answers aloud."), t.ago(6, 19))
    return app


def _cyberdyne(s: _Search) -> str:
    """You withdrew after the first interview."""
    t = s.t
    app = s.apply("Cyberdyne Systems", "ML Engineer", t.ago(30, 11), source="recruiter")
    s.interview(app, 1, t.ago(27, 10), t.ago(23, 10), "video", ("Miles Dyson",), (
        _q("What is your on-call experience?", "Two years, one week in four."),
    ), "On-call every other week.")
    s.fact(app, ev.ApplicationWithdrawn("On-call every other week; not the direction I want."),
           t.ago(19, 9))
    return app


def build_demo(engine: Engine) -> list[str]:
    """Record the whole scenario into an empty log; the application ids, in order applied."""
    engine.set_setting("currently_employed", "true")
    search = _Search(engine)
    built = [build(search) for build in (_soylent, _initech, _hooli, _cyberdyne, _vandelay,
                                         _stark, _umbrella, _wayne)]
    # Four days ago you accepted Initech: that schedules withdrawing from the others still
    # open (overdue by now; their follow-ups became moot) and handing in your notice.
    t = search.t
    search.fact(built[1], ev.OfferAccepted(t.ahead(30, 9).date()), t.ago(4, 16))
    return built
