"""Read models derived from the log: the audit history and the verification of the log."""

from __future__ import annotations

from collections import defaultdict

from afterview.engine.domain import events as ev
from afterview.engine.domain import lifecycle
from afterview.engine.domain.events import JsonObject
from afterview.engine.domain.state import (
    PROFILE_STREAM,
    Application,
    Fact,
    effective,
    evolve,
    rebuild,
)
from afterview.engine.service import projections
from afterview.engine.service.api import Engine
from afterview.engine.service.projections import to_fact
from afterview.engine.store.base import EventStore, StoredEvent, StoreError


def history_rows(stored: list[StoredEvent]) -> list[JsonObject]:
    """Every event of one stream in order, with the state after it; voided events marked
    (their state_after is the state they left unchanged)."""
    facts = [to_fact(s) for s in stored]
    kept = {f.event_id for f in effective(facts)}
    app = Application(stored[0].stream_id if stored else "")
    profile = app.id == PROFILE_STREAM  # settings and days off: no application state
    rows = []
    for row, fact in zip(stored, facts, strict=True):
        voided = fact.event_id not in kept
        if not voided and not profile:
            evolve(app, fact)
        rows.append({
            "position": row.position,
            "event_id": row.event_id,
            "type": row.type,
            "occurred_at": row.occurred_at,
            "recorded_at": row.recorded_at,
            "data": ev.to_data(fact.event),
            "state_after": None if profile else app.state,
            "voided": voided,
            "actor": row.metadata.get("actor"),
        })
    return rows


def _lifecycle_problems(store: EventStore) -> tuple[list[tuple[int, str]], dict[str, Application]]:
    """Replay every stream through the lifecycle table; the position and description of
    the first bad fact of each, and the fresh fold of every stream that replayed whole
    (what the projections are checked against)."""
    problems: list[tuple[int, str]] = []
    folded: dict[str, Application] = {}
    by_stream: dict[str, list[Fact]] = defaultdict(list)
    positions: dict[str, int] = {}
    for stored in store.read_all():
        if stored.stream_id == PROFILE_STREAM:
            continue
        try:
            fact = to_fact(stored)
        except (ev.UnknownEventType, TypeError, ValueError, KeyError, AttributeError) as error:
            problems.append((stored.position,
                             f"position {stored.position}: unreadable {stored.type} ({error})"))
            continue
        by_stream[stored.stream_id].append(fact)
        positions[fact.event_id] = stored.position
    unreadable = bool(problems)
    for stream_id, facts in by_stream.items():
        app = Application(stream_id)
        kept = effective(facts)
        for fact in kept:
            type_name = fact.event.TYPE
            if type_name in lifecycle.LIFECYCLE_TRIGGERS and (
                app.state, type_name) not in lifecycle.TABLE:
                position = positions[fact.event_id]
                problems.append((position, f"position {position}: {type_name} is not allowed "
                                           f"when {stream_id} is {app.state}"))
                break
            try:
                evolve(app, fact)
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                # A fact that cannot be folded here (a setting moved into an application,
                # data edited into another shape) is a finding, not a reason to stop.
                position = positions[fact.event_id]
                problems.append((position, f"position {position}: {type_name} cannot be "
                                           f"replayed in {stream_id} ({type(error).__name__})"))
                break
        else:
            # The fold above is state.rebuild's when nothing was voided; with a void, rebuild
            # also renumbers the tasks, so it is asked for the fresh fold itself.
            folded[stream_id] = app if len(kept) == len(facts) else rebuild(stream_id, facts)
            folded[stream_id].version = facts[-1].version
    if unreadable:  # a stream missing an unreadable fact is not a fresh fold of the log
        folded.clear()
    return problems, folded


def verify_log(store: EventStore, *, expect_head: str | None = None,
               repair: bool = False) -> JsonObject:
    """Recompute the hash chain, replay the lifecycle and compare every projection row with
    the fresh fold: ``{ok, events, head, problems, projections}``. With ``repair``, the
    projections are rebuilt from the log afterwards (never the log), and what they held
    is reported without failing the check."""
    chain = store.check_chain()
    problems = list(chain.problems)
    replayed = True
    folded: dict[str, Application] = {}
    try:
        with projections.replaying_everything():  # as a replay: no cycles, a growing heap
            found, folded = _lifecycle_problems(store)
    except StoreError:  # a row whose data is not JSON; the chain names it unless re-hashed
        found, replayed = [], False
        problems.append("the lifecycle was not replayed: an event's data is not JSON")
    problems += [text for _, text in found]
    # Projection rows are compared with the fold of a sound log (a broken one is the finding
    # then); rows behind the log are not a fault (the next command rebuilds them), rows that
    # differ from it are.
    current, stale = (projections.check(store, folded) if replayed and not problems
                      else (None, []))
    rebuilt = projections.rebuild_projections(store) if repair else None
    if not repair:
        problems += stale
    first_bad = min((p for p in (chain.first_bad_position, *(p for p, _ in found)) if p is not None),
                    default=None)
    if expect_head is not None and expect_head.strip().lower() != chain.head:
        problems.append(
            f"head is {chain.head}, expected {expect_head.strip().lower()}: "
            "events were removed or changed since that head was taken"
        )
    return {
        "ok": not problems,
        "events": chain.events,
        "head": chain.head,
        "problems": problems,
        "first_bad_position": first_bad,
        "projections": {"current": current, "problems": list(stale), "rebuilt": rebuilt},
    }


def history(engine: Engine, ref: str) -> list[JsonObject]:
    """The audit history of the application ``ref`` names (an id or a unique prefix), or
    of the profile (settings and days off) for ``profile``."""
    stream = PROFILE_STREAM if ref == PROFILE_STREAM else engine.resolve(ref)
    return history_rows(engine.stored_events(stream))


def verify(engine: Engine, *, expect_head: str | None = None, repair: bool = False) -> JsonObject:
    """``verify_log`` over the engine's log (``repair``: then rebuild its projections)."""
    return verify_log(engine.store, expect_head=expect_head, repair=repair)
