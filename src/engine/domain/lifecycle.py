"""The application lifecycle, defined once.

``STATES`` and ``TRANSITIONS`` are the single definition. ``machine()`` hands them to the
``transitions`` library, which validates commands and draws the diagram; ``TABLE`` is the
plain lookup derived once from the same definition, for replay (building a ``Machine`` per
event would cost far more than folding the event).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from transitions import Machine


class State(StrEnum):
    """Where an application stands; the value is what the log, JSON and the board show."""

    NEW = "new"  # before the application exists; not one of the seven states a person sees
    APPLIED = "applied"
    INTERVIEWING = "interviewing"
    OFFERED = "offered"
    NEGOTIATING = "negotiating"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"


NEW = State.NEW
APPLIED = State.APPLIED
INTERVIEWING = State.INTERVIEWING
OFFERED = State.OFFERED
NEGOTIATING = State.NEGOTIATING
ACCEPTED = State.ACCEPTED
WITHDRAWN = State.WITHDRAWN
DECLINED = State.DECLINED

STATES: tuple[State, ...] = (
    APPLIED,
    INTERVIEWING,
    OFFERED,
    NEGOTIATING,
    ACCEPTED,
    WITHDRAWN,
    DECLINED,
)
OPEN_STATES: frozenset[State] = frozenset({APPLIED, INTERVIEWING, OFFERED, NEGOTIATING})
TERMINAL_STATES: frozenset[State] = frozenset({ACCEPTED, WITHDRAWN, DECLINED})
NEGOTIABLE_STATES: frozenset[State] = frozenset({OFFERED, NEGOTIATING})
"""An offer is on the table: it may be negotiated, accepted or declined."""
ANY_STATE: list[State] = list(STATES)
_OPEN: list[State] = [APPLIED, INTERVIEWING, OFFERED, NEGOTIATING]


class Transition(TypedDict):
    """One trigger: the fact it records, the states it may happen in, the state after it."""

    trigger: str
    source: State | list[State]
    dest: State | None


# Each trigger is named after the fact it records. ``dest: None`` is a fact that is allowed
# in those states but leaves the state as it is.
TRANSITIONS: tuple[Transition, ...] = (
    {"trigger": "ApplicationSubmitted", "source": NEW, "dest": APPLIED},
    {"trigger": "InterviewScheduled", "source": [APPLIED, INTERVIEWING], "dest": INTERVIEWING},
    {"trigger": "InterviewHeld", "source": [APPLIED, INTERVIEWING], "dest": INTERVIEWING},
    {"trigger": "InterviewRescheduled", "source": _OPEN, "dest": None},
    {"trigger": "InterviewCancelled", "source": _OPEN, "dest": None},
    # A new offer while offered or negotiating is the company's revised offer.
    {"trigger": "OfferReceived", "source": [APPLIED, INTERVIEWING, OFFERED, NEGOTIATING],
     "dest": OFFERED},
    {"trigger": "CounterOfferMade", "source": [OFFERED, NEGOTIATING], "dest": NEGOTIATING},
    {"trigger": "OfferAccepted", "source": [OFFERED, NEGOTIATING], "dest": ACCEPTED},
    {"trigger": "ApplicationWithdrawn", "source": _OPEN, "dest": WITHDRAWN},
    {"trigger": "ApplicationDeclined", "source": _OPEN, "dest": DECLINED},
    {"trigger": "DecisionTimeRequested", "source": [OFFERED, NEGOTIATING], "dest": None},
    {"trigger": "ThankYouSent", "source": ANY_STATE, "dest": None},
    {"trigger": "FollowUpSent", "source": ANY_STATE, "dest": None},
    {"trigger": "FeedbackRequested", "source": ANY_STATE, "dest": None},
    {"trigger": "FeedbackReceived", "source": ANY_STATE, "dest": None},
    {"trigger": "ReflectionRecorded", "source": ANY_STATE, "dest": None},
    {"trigger": "NoticeGiven", "source": [ACCEPTED], "dest": None},
    {"trigger": "StartDateRecorded", "source": [ACCEPTED], "dest": None},
    # A correction, not a state: the application keeps its state and leaves the views.
    {"trigger": "ApplicationDiscarded", "source": ANY_STATE, "dest": None},
    {"trigger": "NoteAdded", "source": ANY_STATE, "dest": None},
    {"trigger": "ContactAdded", "source": ANY_STATE, "dest": None},
    {"trigger": "ApplicationDetailsChanged", "source": ANY_STATE, "dest": None},
)

# What a person types for each trigger, for error messages that say what to do.
COMMAND_NAMES: dict[str, str] = {
    "ApplicationSubmitted": "apply",
    "InterviewScheduled": "interview",
    "InterviewHeld": "debrief",
    "InterviewRescheduled": "interview",
    "InterviewCancelled": "interview --cancel",
    "StartDateRecorded": "start-date",
    "ApplicationDiscarded": "discard",
    "OfferReceived": "offer",
    "CounterOfferMade": "counter",
    "OfferAccepted": "accept",
    "ApplicationWithdrawn": "withdraw",
    "ApplicationDeclined": "declined",
    "DecisionTimeRequested": "ask-time",
    "ThankYouSent": "thanks",
    "FollowUpSent": "follow-up",
    "FeedbackRequested": "feedback --requested",
    "FeedbackReceived": "feedback --received",
    "ReflectionRecorded": "reflect",
    "NoticeGiven": "notice",
    "NoteAdded": "note",
    "ContactAdded": "contact",
    "ApplicationDetailsChanged": "edit",
}


def _sources(transition: Transition) -> list[State]:
    sources = transition["source"]
    return [sources] if isinstance(sources, State) else sources


def _derive_table() -> dict[tuple[State, str], State]:
    table: dict[tuple[State, str], State] = {}
    for transition in TRANSITIONS:
        for source in _sources(transition):
            table[(source, transition["trigger"])] = transition["dest"] or source
    return table


TABLE: dict[tuple[State, str], State] = _derive_table()
"""(state, fact type) -> state after it. A fact type absent from every key changes nothing."""

LIFECYCLE_TRIGGERS: frozenset[str] = frozenset(t["trigger"] for t in TRANSITIONS)


class _Model:
    """The object the ``transitions`` machine moves between states."""

    state: str


PlainTransition = dict[str, str | list[str] | None]


def plain_transitions() -> list[PlainTransition]:
    """The transitions as ``transitions`` takes them: states by their plain values
    (``transitions`` names an Enum state by its member name, ``APPLIED``; the diagram and
    the messages show the values)."""
    return [{"trigger": t["trigger"], "source": [str(s) for s in _sources(t)],
             "dest": None if t["dest"] is None else str(t["dest"])} for t in TRANSITIONS]


@cache
def _machine_definition() -> type[Machine]:
    from transitions import Machine  # deferred: only commands that change facts need it

    return Machine


def machine(initial: State = NEW) -> Machine:
    """A ``transitions`` machine over the lifecycle, positioned at ``initial``."""
    machine_class = _machine_definition()
    model = _Model()
    return machine_class(
        model=model,
        states=[str(state) for state in (NEW, *STATES)],
        transitions=plain_transitions(),
        initial=str(initial),
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


def allowed(state: State, trigger: str) -> bool:
    """Whether the machine lets ``trigger`` happen in ``state`` (validated by ``transitions``)."""
    built = machine(state)
    return bool(built.get_triggers(str(state)).count(trigger))


def sources_of(trigger: str) -> list[State]:
    """The states in which ``trigger`` may happen, in lifecycle order."""
    return [state for state in (NEW, *STATES) if (state, trigger) in TABLE]
