"""One application's story in the synthetic job search: the facts it goes through, with
when each is recorded, and the words they are made of (used by ``synthetic.py``)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from afterview.engine.domain import events as ev
from afterview.engine.domain import policies
from afterview.engine.domain.events import TaskOutcome
from afterview.engine.service.ids import slug

FIRST = ("Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli",
         "Pied Piper", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Aperture", "Black Mesa",
         "Wonka", "Gringotts", "Monarch", "Oscorp", "Massive Dynamic", "Blue Sun", "Dunder",
         "Prestige", "Sterling", "Nakatomi", "Virtucon", "Weyland", "Zorg", "Octan", "Krusty")
SECOND = ("Corp", "Labs", "Systems", "Analytics", "Health", "Energy", "Robotics", "Bank",
          "Logistics", "Media", "Software", "Insurance", "Foods", "Games", "Cloud")
ROLES = ("Backend Engineer", "Senior Backend Engineer", "Data Engineer", "Platform Engineer",
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
NOTES = ("The team seems small and senior; ask about on-call.",
         "Posting mentions Kafka and Postgres; review both before the call.",
         "Recruiter said the process has three rounds and takes about a month.",
         "Glassdoor reviews mention long hours in the last quarter.",
         "Salary range on the posting: 140-175k plus bonus.",
         "Referred by a former colleague; mention her in the cover letter.")
_REASONS = ("The role was filled internally.", "They went with a more senior candidate.",
            "Position put on hold after a budget review.", "Not a fit for the team right now.")



def daytime(moment: datetime, rng: random.Random) -> datetime:
    """The same day at a plausible waking hour (people record facts between 8 and 22)."""
    return moment.replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59),
                          second=rng.randint(0, 59), microsecond=0)


Step = tuple[datetime, str, Any]


class Story:
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
            self._record(ev.NoteAdded(rng.choice(NOTES)))
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
            on = daytime(self.at + timedelta(days=rng.uniform(2, 7)), rng)
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
            self.steps.append((self.at, "close", (policies.REFLECT, TaskOutcome.DISMISSED)))

    def _offer(self, *, accept: bool) -> None:
        rng = self.rng
        self._after(2, 10)
        base = Decimal(rng.randrange(110_000, 210_000, 5_000))
        respond_by = self.at + timedelta(days=rng.uniform(3, 7)) if rng.random() < 0.5 else None
        self._record(ev.OfferReceived(_terms(base, rng), respond_by))
        if rng.random() < 0.4:
            self._after(0.2, 1)
            # Asking for time never shortens the deadline (that is refused): the company's,
            # else the decision task's, at most 2 business days (4 calendar days) away.
            later_of = max(self.at, respond_by) if respond_by is not None else (
                self.at + timedelta(days=4))
            self._record(ev.DecisionTimeRequested(later_of + timedelta(days=rng.uniform(3, 6))))
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
