"""Read models derived from the log: the audit history and the verification of the log."""

from __future__ import annotations

from collections.abc import Iterator

from afterview.engine.domain import events as ev
from afterview.engine.domain.events import JsonObject
from afterview.engine.domain.state import (
    PROFILE_STREAM,
    Application,
    effective,
    evolve,
)
from afterview.engine.service import projections
from afterview.engine.service.api import Engine
from afterview.engine.service.projections import to_fact
from afterview.engine.store.base import EventStore, ReplayRow, StoredEvent, StoreError


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


def _lifecycle_problems(store: EventStore, rows: Iterator[ReplayRow]
                        ) -> tuple[list[tuple[int, str]], dict[str, Application]]:
    """Replay every stream through the lifecycle table, in the one pass of a rebuild's fold
    (``projections.fold_log``) over ``rows``, the whole log; the position and description
    of every unreadable fact and of the first bad fact of each stream, and the fresh fold of
    every stream that replayed whole (what the projections are checked against)."""
    findings = projections.Findings()
    folded = projections.fold_log(store, findings=findings, rows=rows)
    found = [*findings.unreadable.items(), *findings.broken.values()]
    problems = []
    for event_id, text in found:  # a handful at most: their positions are looked up
        stored = store.read_event(event_id)
        position = 0 if stored is None else stored.position
        problems.append((position, f"position {position}: {text}"))
    if findings.unreadable:  # a stream missing an unreadable fact is not a fresh fold of the log
        folded.clear()
    return sorted(problems), folded


def verify_log(store: EventStore, *, expect_head: str | None = None,
               repair: bool = False) -> JsonObject:
    """Recompute the hash chain, replay the lifecycle and compare every projection row with
    the fresh fold: ``{ok, events, head, problems, projections}``. With ``repair``, the
    projections are rebuilt from the log afterwards (never the log), and what they held
    is reported without failing the check.

    The chain and the lifecycle are checked in one read of the log: the store hands every
    row it hashes to the fold (docs/performance.md, "verify")."""
    replayed: list[tuple[list[tuple[int, str]], dict[str, Application]]] = []
    try:
        chain = store.check_chain(lambda rows: replayed.append(_lifecycle_problems(store, rows)))
    except StoreError:  # a row whose data is not JSON: the chain alone names it
        chain = store.check_chain()
    problems = list(chain.problems)
    found, folded = replayed[0] if replayed else ([], {})
    if not replayed:
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
