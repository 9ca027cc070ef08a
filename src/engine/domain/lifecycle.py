"""The application lifecycle, defined once.

``STATES`` and ``TRANSITIONS`` are the single definition. ``machine()`` hands them to the
``transitions`` library, which validates commands and draws the diagram; ``TABLE`` is the
plain lookup derived once from the same definition, for replay (building a ``Machine`` per
event would cost far more than folding the event).
"""

from __future__ import annotations

from functools import cache
from typing import Any

NEW = "new"  # before the application exists; not one of the seven states a person sees

APPLIED = "applied"
INTERVIEWING = "interviewing"
OFFERED = "offered"
NEGOTIATING = "negotiating"
ACCEPTED = "accepted"
WITHDRAWN = "withdrawn"
DECLINED = "declined"

STATES: tuple[str, ...] = (
    APPLIED,
    INTERVIEWING,
    OFFERED,
    NEGOTIATING,
    ACCEPTED,
    WITHDRAWN,
    DECLINED,
)
OPEN_STATES: frozenset[str] = frozenset({APPLIED, INTERVIEWING, OFFERED, NEGOTIATING})
TERMINAL_STATES: frozenset[str] = frozenset({ACCEPTED, WITHDRAWN, DECLINED})
ANY_STATE: list[str] = list(STATES)
_OPEN: list[str] = [APPLIED, INTERVIEWING, OFFERED, NEGOTIATING]

# Each trigger is named after the fact it records. ``dest: None`` is a fact that is allowed
# in those states but leaves the state as it is.
TRANSITIONS: tuple[dict[str, Any], ...] = (
    {"trigger": "ApplicationSubmitted", "source": NEW, "dest": APPLIED},
    {"trigger": "InterviewScheduled", "source": [APPLIED, INTERVIEWING], "dest": INTERVIEWING},
    {"trigger": "InterviewHeld", "source": [APPLIED, INTERVIEWING], "dest": INTERVIEWING},
    {"trigger": "OfferReceived", "source": [APPLIED, INTERVIEWING, NEGOTIATING], "dest": OFFERED},
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
    {"trigger": "NoteAdded", "source": ANY_STATE, "dest": None},
    {"trigger": "ContactAdded", "source": ANY_STATE, "dest": None},
)

# What a person types for each trigger, for error messages that say what to do.
COMMAND_NAMES: dict[str, str] = {
    "ApplicationSubmitted": "apply",
    "InterviewScheduled": "interview",
    "InterviewHeld": "debrief",
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
}


def _derive_table() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for transition in TRANSITIONS:
        sources = transition["source"]
        for source in [sources] if isinstance(sources, str) else sources:
            table[(source, transition["trigger"])] = transition["dest"] or source
    return table


TABLE: dict[tuple[str, str], str] = _derive_table()
"""(state, fact type) -> state after it. A fact type absent from every key changes nothing."""

LIFECYCLE_TRIGGERS: frozenset[str] = frozenset(t["trigger"] for t in TRANSITIONS)


class _Model:
    """The object the ``transitions`` machine moves between states."""

    state: str


@cache
def _machine_definition() -> Any:
    from transitions import Machine  # deferred: only commands that change facts need it

    return Machine


def machine(initial: str = NEW) -> Any:
    """A ``transitions`` machine over the lifecycle, positioned at ``initial``."""
    machine_class = _machine_definition()
    model = _Model()
    return machine_class(
        model=model,
        states=[NEW, *STATES],
        transitions=[dict(t) for t in TRANSITIONS],
        initial=initial,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


def allowed(state: str, trigger: str) -> bool:
    """Whether the machine lets ``trigger`` happen in ``state`` (validated by ``transitions``)."""
    built = machine(state)
    return bool(built.get_triggers(state).count(trigger))


def sources_of(trigger: str) -> list[str]:
    """The states in which ``trigger`` may happen, in lifecycle order."""
    return [state for state in (NEW, *STATES) if (state, trigger) in TABLE]
