"""A synthetic but realistic job search, decided by the engine and written through its own
append path; ``bench.py`` measures the store and replay on it.

"Through the engine's own append path" means: every fact comes from ``decide`` (so the
lifecycle checks, the policies' ``TaskScheduled``/``TaskClosed`` facts, deterministic task
ids and the daemon's ``TaskFired`` are all real), and every row is built by
``Engine._append`` (the same ``NewEvent`` conversion, metadata and expected versions a CLI
command or the daemon produces). The one shortcut: ``Engine._record`` would reload each
application from the database before deciding, which would make building 100,000 events
take many minutes, so the application state is kept in memory here (folded with the
engine's own ``evolve``/``rebuild``) and the rows ``_append`` hands to the store are
captured and later appended in batches (``Batch``), each with the versions the first
decision in it expected, so the store still checks them.

The timeline: one person applies to N jobs over 18 months; about a third never hear back,
some withdraw, the rest interview for one to four rounds, most are turned down, a few get
offers that they negotiate and turn down, and the last application ends in an accepted
offer, which schedules a withdraw-application task on every application still open.
Events of all applications are interleaved in time order, as a real log would be.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from engine import decide as commands
from engine import events as ev
from engine import policies
from engine.api import Engine, slug
from engine.domain import Application, Fact, evolve, rebuild
from engine.store import NewEvent

ZONE_NAME = "America/New_York"
ZONE = ZoneInfo(ZONE_NAME)
START = datetime(2024, 1, 8, 9, 0, tzinfo=ZONE)
SPAN_DAYS = 540  # submissions are spread over this many days
# Every other story ends within ~180 days of its submission, so the last application (the
# one accepted) starts after them all; the timeline stops 150 days later.
FINAL_SUBMITTED_DAYS = SPAN_DAYS + 180
END_DAYS = FINAL_SUBMITTED_DAYS + 150
SETTINGS = {"timezone": ZONE_NAME, "country": "US", "currently_employed": "true"}

_FIRST = ("Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli",
          "Pied Piper", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Aperture", "Black Mesa",
          "Wonka", "Gringotts", "Monarch", "Oscorp", "Massive Dynamic", "Blue Sun", "Dunder",
          "Prestige", "Sterling", "Nakatomi", "Virtucon", "Weyland", "Zorg", "Octan", "Krusty")
_SECOND = ("Corp", "Labs", "Systems", "Analytics", "Health", "Energy", "Robotics", "Bank",
           "Logistics", "Media", "Software", "Insurance", "Foods", "Games", "Cloud")
_ROLES = ("Backend Engineer", "Senior Backend Engineer", "Data Engineer", "Platform Engineer",
          "Site Reliability Engineer", "Staff Engineer", "Python Developer", "Full-Stack Engineer",
          "Engineering Manager", "Machine Learning Engineer", "DevOps Engineer", "Data Scientist",
          "Software Engineer II", "Infrastructure Engineer", "Security Engineer")
_SOURCES = ("referral", "LinkedIn", "job board", "company site", "recruiter", "meetup")
_PLACES = ("New York, NY", "Remote (US)", "Boston, MA", "Austin, TX", "Chicago, IL",
           "San Francisco, CA", "Seattle, WA", "Hybrid, Jersey City")
_PEOPLE = ("Maria Lopez", "James Chen", "Priya Natarajan", "Tom O'Neil", "Aisha Bello",
           "Sven Larsen", "Keiko Tanaka", "Daniel Cohen", "Fatima Haddad", "Lucas Silva",
           "Grace Kim", "Omar Farouk", "Elena Petrova", "Noah Williams")
_TITLES = ("Recruiter", "Hiring Manager", "Engineering Director", "Tech Lead", "HR Partner")
_QUESTIONS = (
    ("Tell me about a system you designed end to end.",
     "I walked through the billing pipeline I rebuilt, from the queue to the ledger.",
     "Start with the constraints and the numbers, then the design."),
    ("How would you find a memory leak in a long-running service?",
     "Heap snapshots over time, then diff the allocations by call site.",
     "Mention tracemalloc and how I would reproduce it under load."),
    ("Describe a disagreement with a colleague and how it ended.",
     "We disagreed on retries; we measured both and picked the simpler one.",
     None),
    ("Why do you want to leave your current job?",
     "I want to work closer to the product and own a service in production.",
     "Keep it shorter and focused on what I want next."),
    ("Design a rate limiter for a public API.",
     "Token bucket per key in Redis, with a local cache for hot keys.",
     "Talk about the failure mode when Redis is down."),
    ("What is your expected salary?", "I said I was looking at the market range for the role.",
     "Give a researched number, as the advice says."),
)
_NOTES = ("The team seems small and senior; ask about on-call.",
          "Posting mentions Kafka and Postgres; review both before the call.",
          "Recruiter said the process has three rounds and takes about a month.",
          "Glassdoor reviews mention long hours in the last quarter.",
          "Salary range on the posting: 140-175k plus bonus.",
          "Referred by a former colleague; mention her in the cover letter.")
_REASONS = ("The role was filled internally.", "They went with a more senior candidate.",
            "Position put on hold after a budget review.", "Not a fit for the team right now.")


class Batch(NamedTuple):
    """Rows for one ``store.append``: what ``Engine._append`` built, with the versions the
    first decision in the batch expected for each stream."""

    events: list[NewEvent]
    expected_versions: dict[str, int | None]
    recorded_at: str


class _Capture:
    """Stands where ``Engine._append`` expects the store and keeps each append it makes."""

    def __init__(self) -> None:
        self.appends: list[Batch] = []

    def append(self, events: Sequence[NewEvent], *, expected_versions: Mapping[str, int | None],
               recorded_at: str) -> list[Any]:
        self.appends.append(Batch(list(events), dict(expected_versions), recorded_at))
        return []


def batched(appends: Iterable[Batch], size: int) -> Iterator[Batch]:
    """Consecutive appends joined into batches of at least ``size`` events (never splitting
    one decision: a multi-stream decision stays atomic)."""
    events: list[NewEvent] = []
    expected: dict[str, int | None] = {}
    recorded_at = ""
    for one in appends:
        events += one.events
        for stream_id, version in one.expected_versions.items():
            expected.setdefault(stream_id, version)
        recorded_at = one.recorded_at
        if len(events) >= size:
            yield Batch(events, expected, recorded_at)
            events, expected = [], {}
    if events:
        yield Batch(events, expected, recorded_at)


class JobSearch:
    """Plays the timeline: the person's facts and the daemon's firings, in time order."""

    def __init__(self, settings: Any, calendar: Any, seed: int = 2026) -> None:
        self.settings = settings
        self.calendar = calendar
        self.rng = random.Random(seed)
        self.capture = _Capture()
        self.person = Engine(self.capture, actor="cli")  # type: ignore[arg-type]  # captures rows
        self.daemon = Engine(self.capture, actor="daemon")  # type: ignore[arg-type]  # idem
        self.apps: dict[str, Application] = {}
        self.facts: dict[str, list[Fact]] = {}
        self._queue: list[tuple[datetime, int, str, str, Any]] = []
        self._seq = 0
        self.end = START + timedelta(days=END_DAYS)

    # -- the engine's decisions ---------------------------------------------------------

    def _decide(self, engine: Engine, command: Any, app: Application, now: datetime, *,
                others: Sequence[Application] = (), facts: list[Fact] | None = None,
                versions: dict[str, int | None] | None = None) -> None:
        context = commands.Context(now, self.calendar, self.settings, self._uuid())
        decision = commands.decide(command, app, context, others=others, facts=facts)
        if versions is None:
            versions = {app.id: app.version, **{o.id: o.version for o in others}}
        engine._append(decision, versions, now)
        for fact in decision.facts:
            self._fold(fact, now)

    def _fold(self, fact: Fact, now: datetime) -> None:
        app = self.apps.setdefault(fact.stream_id, Application(fact.stream_id))
        fact = fact._replace(version=app.version + 1, recorded_at=now)
        self.facts.setdefault(fact.stream_id, []).append(fact)
        event = fact.event
        if isinstance(event, ev.EventVoided):
            self.apps[fact.stream_id] = rebuild(fact.stream_id, self.facts[fact.stream_id])
            return
        evolve(app, fact)
        if isinstance(event, ev.TaskScheduled):
            self._push(event.due_at, fact.stream_id, "fire", event.task_id)
        elif isinstance(event, ev.TaskSnoozed):
            self._push(event.until, fact.stream_id, "fire", event.task_id)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _push(self, at: datetime, app_id: str, kind: str, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, app_id, kind, payload))

    # -- playing the timeline ----------------------------------------------------------

    def play(self, applications: int) -> None:
        """Write the stories of ``applications`` applications (the last one is accepted)."""
        taken: set[str] = set()
        for index in range(applications):
            company = f"{self.rng.choice(_FIRST)} {self.rng.choice(_SECOND)}"
            role = self.rng.choice(_ROLES)
            app_id = _unique(slug(company, role), taken)
            final = index == applications - 1
            offset = FINAL_SUBMITTED_DAYS if final else self.rng.uniform(0, SPAN_DAYS)
            submitted_at = _daytime(START + timedelta(days=offset), self.rng)
            story = _Story(self.rng, company, role, submitted_at)
            steps = story.accepted() if final else story.any()
            for at, kind, payload in steps:
                self._push(at, app_id, kind, payload)
        while self._queue and self._queue[0][0] <= self.end:
            at, _, app_id, kind, payload = heapq.heappop(self._queue)
            self._step(at, app_id, kind, payload)

    def _step(self, at: datetime, app_id: str, kind: str, payload: Any) -> None:
        app = self.apps.get(app_id) or Application(app_id)
        if kind == "record":
            others: list[Application] = []
            if isinstance(payload, ev.OfferAccepted):
                others = [o for o in self.apps.values() if o.id != app_id]
            self._decide(self.person, commands.Record(app_id, payload, at), app, at, others=others)
            if others:
                self._withdraw_some(at, others)
        elif kind == "fire":
            self._decide(self.daemon, commands.FireTask(app_id, payload), app, at,
                         versions={app_id: None})
        elif kind == "close":
            task_kind, outcome = payload
            for task in policies.open_tasks_of(app, task_kind):
                command = commands.CloseTask(app_id, task.id, outcome, "done by hand", at)
                self._decide(self.person, command, app, at)
        elif kind == "void":
            self._void_last_note(app, at, payload)

    def _void_last_note(self, app: Application, at: datetime, reason: str) -> None:
        voided = {f.event.event_id for f in self.facts[app.id] if isinstance(f.event, ev.EventVoided)}
        notes = [f for f in self.facts[app.id]
                 if isinstance(f.event, ev.NoteAdded) and f.event_id not in voided]
        if notes:
            command = commands.VoidEvent(app.id, notes[-1].event_id, reason, at)
            self._decide(self.person, command, app, at, facts=list(self.facts[app.id]))

    def _withdraw_some(self, at: datetime, others: list[Application]) -> None:
        """After accepting, the person withdraws from some of the applications still open."""
        for other in others:
            if not other.is_terminal and self.rng.random() < 0.25:
                when = at + timedelta(hours=self.rng.uniform(20, 120))
                self._push(when, other.id, "record", ev.ApplicationWithdrawn("Accepted another offer."))

    def forget_history(self) -> None:
        """Drop the captured rows and the facts kept for voids (the application states stay,
        for ``notes``), so that what is measured next runs in a process of ordinary size."""
        self.capture.appends.clear()
        self.facts.clear()

    def notes(self, count: int, at: datetime) -> list[Batch]:
        """``count`` one-note appends (as ``afterview note`` makes them), spread round-robin
        over the applications, each expecting the version it read."""
        first = len(self.capture.appends)
        ids = sorted(self.apps)
        for index in range(count):
            app = self.apps[ids[index % len(ids)]]
            when = at + timedelta(seconds=index)
            event = ev.NoteAdded(self.rng.choice(_NOTES))
            self._decide(self.person, commands.Record(app.id, event, when), app, when)
        return self.capture.appends[first:]


def _unique(base: str, taken: set[str]) -> str:
    """The id ``Engine.new_application_id`` would give (``base``, ``base-2``, ...)."""
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _daytime(moment: datetime, rng: random.Random) -> datetime:
    """The same day at a plausible waking hour (people record facts between 8 and 22)."""
    return moment.replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59),
                          second=rng.randint(0, 59), microsecond=0)


Step = tuple[datetime, str, Any]


class _Story:
    """The facts one application goes through, with when each is recorded."""

    def __init__(self, rng: random.Random, company: str, role: str, at: datetime) -> None:
        self.rng, self.company, self.role, self.at = rng, company, role, at
        self.steps: list[Step] = []

    def _after(self, low_days: float, high_days: float) -> datetime:
        """Move on by a random time, to a waking hour (only ever later: steps stay in order)."""
        at = self.at + timedelta(days=self.rng.uniform(low_days, high_days))
        if at.hour >= 22:
            at = (at + timedelta(days=1)).replace(hour=8)
        elif at.hour < 8:
            at = at.replace(hour=8)
        self.at = at
        return at

    def _record(self, event: Any, at: datetime | None = None) -> None:
        self.steps.append((at or self.at, "record", event))

    def any(self) -> list[Step]:
        self._submit()
        path = self.rng.random()
        if path < 0.32:
            self._ghosted()
        elif path < 0.42:
            self._after(1, 12)
            self._record(ev.ApplicationWithdrawn("Found the commute would be too long."))
        else:
            self._interviews(self.rng.choice((1, 1, 2, 2, 3, 4)))
            outcome = self.rng.random()
            if outcome < 0.65:
                self._rejected()
            elif outcome < 0.75:
                self._after(1, 6)
                self._record(ev.ApplicationWithdrawn("Lost interest after meeting the team."))
            else:
                self._offer(accept=False)
        return self.steps

    def accepted(self) -> list[Step]:
        self._submit()
        self._interviews(3)
        self._offer(accept=True)
        return self.steps

    def _submit(self) -> None:
        rng = self.rng
        contacts = tuple(rng.sample(_PEOPLE, rng.randint(0, 2)))
        url = f"https://jobs.{slug(self.company, '')}.example/{rng.randint(1000, 99999)}"
        self._record(ev.ApplicationSubmitted(self.company, self.role, rng.choice(_SOURCES), url,
                                             rng.choice(_PLACES), contacts))
        if rng.random() < 0.5:
            self._after(0.05, 2)
            self._record(ev.NoteAdded(rng.choice(_NOTES)))
            if rng.random() < 0.1:
                self._after(0.01, 1)
                self.steps.append((self.at, "void", "Noted on the wrong application."))
        if rng.random() < 0.3:
            self._after(0.05, 3)
            name = rng.choice(_PEOPLE)
            email = name.lower().replace(" ", ".").replace("'", "") + "@example.com"
            self._record(ev.ContactAdded(name, rng.choice(_TITLES), email))

    def _ghosted(self) -> None:
        self._after(15, 25)  # the follow-up task (10 business days) has fired by now
        self._record(ev.FollowUpSent("Checked in with the recruiter by email."))
        if self.rng.random() < 0.5:
            self._after(5, 30)
            self._rejected()

    def _interviews(self, rounds: int) -> None:
        rng = self.rng
        for number in range(1, rounds + 1):
            self._after(2, 12)
            people = tuple(rng.sample(_PEOPLE, rng.randint(1, 3)))
            on = _daytime(self.at + timedelta(days=rng.uniform(2, 7)), rng)
            self._record(ev.InterviewScheduled(number, on, rng.choice(("phone", "video", "onsite")),
                                               people))
            self.at = on + timedelta(hours=1)
            asked = rng.sample(_QUESTIONS, rng.randint(1, 3))
            questions = tuple(ev.Question(q, a, b) for q, a, b in asked)
            self._record(ev.InterviewHeld(number, people, questions,
                                          f"Round {number} went {rng.choice(('well', 'ok', 'badly'))}."))
            late = rng.random() < 0.2  # the thank-you task fires first
            if late:
                self._after(1.1, 2)
            else:
                self._after(0.05, 0.8)
            self._record(ev.ThankYouSent(people))
            if number < rounds and rng.random() < 0.3:
                self._after(7, 9)  # the follow-up-interview task fired
                self._record(ev.FollowUpSent("Asked about the next round."))

    def _rejected(self) -> None:
        rng = self.rng
        self._after(2, 10)
        self._record(ev.ApplicationDeclined(rng.choice(_REASONS)))
        if rng.random() < 0.8:
            self._after(0.05, 1)
            self._record(ev.FeedbackRequested("Thanked them and asked what to improve."))
            if rng.random() < 0.3:
                self._after(1, 7)
                self._record(ev.FeedbackReceived("Strong on design; go deeper on operations."))
        if rng.random() < 0.6:
            self._after(2, 9)
            self._record(ev.ReflectionRecorded("Prepare numbers for the design round next time."))
        else:
            self._after(8, 12)  # the reflect task fired; put it aside
            self.steps.append((self.at, "close", (policies.REFLECT, "dismissed")))

    def _offer(self, *, accept: bool) -> None:
        rng = self.rng
        self._after(2, 10)
        base = Decimal(rng.randrange(110_000, 210_000, 5_000))
        respond_by = self.at + timedelta(days=rng.uniform(3, 7)) if rng.random() < 0.5 else None
        self._record(ev.OfferReceived(_terms(base, rng), respond_by))
        if rng.random() < 0.4:
            self._after(0.2, 1)
            self._record(ev.DecisionTimeRequested(self.at + timedelta(days=rng.uniform(3, 6))))
        if accept or rng.random() < 0.5:
            self._after(0.5, 1.5)
            self._record(ev.CounterOfferMade(_terms(base + 15_000, rng), ("market",),
                                             "Market data for the role is higher."))
            self._after(1, 5)
            if not accept and rng.random() < 0.4:
                self._rejected()
                return
            self._record(ev.OfferReceived(_terms(base + 10_000, rng), None, revised=True))
        self._after(0.5, 2)
        if accept:
            self._record(ev.OfferAccepted((self.at + timedelta(days=45)).date()))
            self._after(2, 3)
            self._record(ev.NoticeGiven())
        else:
            self._record(ev.ApplicationWithdrawn("Turned the offer down."))


def _terms(base: Decimal, rng: random.Random) -> ev.OfferTerms:
    return ev.OfferTerms(
        "USD", base, bonus=Decimal(rng.randrange(0, 30_000, 1_000)),
        signing=Decimal(rng.choice((0, 5_000, 10_000, 20_000))),
        equity_per_year=Decimal(rng.randrange(0, 60_000, 5_000)),
        benefits=("health", "401k match", "learning budget")[: rng.randint(1, 3)],
    )
