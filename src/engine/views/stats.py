"""Statistics of the job search, derived from the applications rebuilt from the log: the
funnel (how many reached each state), the response rate, the median days between stages,
the offers and what became of them; and the funnel as a Sankey diagram, in SankeyMATIC's
text format or as a self-drawn SVG (no plotting library: a Sankey of a few states is a
handful of rectangles and Bézier bands).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Literal

from afterview.engine.domain.events import JsonObject
from afterview.engine.domain.lifecycle import (
    ACCEPTED,
    APPLIED,
    DECLINED,
    INTERVIEWING,
    NEGOTIATING,
    OFFERED,
    OPEN_STATES,
    STATES,
    WITHDRAWN,
    State,
)
from afterview.engine.domain.state import Application

RESPONSE_STATES = (INTERVIEWING, OFFERED, DECLINED)
"""Reaching any of these means the company answered (an interview, an offer or a no)."""

RESPONSE: Literal["response"] = "response"  # the pseudo-stage "first answer from the company"

Stage = State | Literal["response"]

STAGE_PAIRS: tuple[tuple[Stage, Stage], ...] = (
    (APPLIED, RESPONSE),
    (APPLIED, INTERVIEWING),
    (INTERVIEWING, OFFERED),
    (APPLIED, OFFERED),
    (OFFERED, NEGOTIATING),
    (OFFERED, ACCEPTED),
    (APPLIED, DECLINED),
)

NO_RESPONSE = "No response yet"
IN_PROGRESS = "In progress"
NODE_ORDER = [state.capitalize() for state in STATES] + [IN_PROGRESS, NO_RESPONSE]
"""Sankey nodes top to bottom; flows only ever go down this list (it is topological)."""


def _stage_time(app: Application, stage: Stage) -> datetime | None:
    if isinstance(stage, State):
        return app.stage_times.get(stage)
    reached = [app.stage_times[s] for s in RESPONSE_STATES if s in app.stage_times]
    return min(reached) if reached else None


def median_days(apps: Iterable[Application], start: Stage, end: Stage) -> JsonObject:
    """Median days from first reaching ``start`` to first reaching ``end``, over the
    applications that reached both; and how many those were."""
    spans = []
    for app in apps:
        began, reached = _stage_time(app, start), _stage_time(app, end)
        if began is not None and reached is not None and reached >= began:
            spans.append((reached - began).total_seconds() / 86400)
    return {"days": round(statistics.median(spans), 1) if spans else None, "applications": len(spans)}


def _offer_summary(apps: Sequence[Application]) -> JsonObject:
    with_offer = [a for a in apps if OFFERED in a.stage_times]
    outcomes = Counter("open" if a.state in OPEN_STATES else a.state for a in with_offer)
    listed = []
    for app in sorted(with_offer, key=lambda a: a.stage_times[OFFERED]):
        terms = app.offer.terms if app.offer else None
        listed.append({
            "application": app.id, "company": app.company, "role": app.role,
            "currency": terms.currency if terms else None,
            "base": str(terms.base) if terms else None,
            "received_at": app.stage_times[OFFERED].isoformat(),
            "negotiated": NEGOTIATING in app.stage_times,
            "outcome": "open" if app.state in OPEN_STATES else app.state,
        })
    return {
        "received": len(with_offer),
        "negotiated": sum(1 for a in with_offer if NEGOTIATING in a.stage_times),
        "outcomes": {key: outcomes.get(key, 0) for key in ("open", ACCEPTED, WITHDRAWN, DECLINED)},
        "offers": listed,
    }


def funnel(apps: Sequence[Application]) -> JsonObject:
    """The ``stats`` numbers (the JSON shape of ``afterview --json stats``)."""
    total = len(apps)
    responded = sum(1 for a in apps if any(s in a.stage_times for s in RESPONSE_STATES))
    return {
        "applications": total,
        "by_state": {state: sum(1 for a in apps if a.state == state) for state in STATES},
        "reached": {state: sum(1 for a in apps if state in a.stage_times) for state in STATES},
        "responded": responded,
        "response_rate": round(responded / total, 4) if total else None,
        "median_days": {f"{start}->{end}": median_days(apps, start, end)
                        for start, end in STAGE_PAIRS},
        "offers": _offer_summary(apps),
    }


# ---------------------------------------------------------------------------
# Sankey: how the applications flowed from state to state


def label(state: str) -> str:
    return state.capitalize()


def flows(apps: Iterable[Application]) -> dict[tuple[str, str], int]:
    """(from, to) -> how many applications went that way. Each application's path is the
    order in which it first reached each state (so a revised offer after a counter-offer
    does not loop back); an open application ends in "No response yet" if it never got
    past applied, else "In progress"."""
    counted: Counter[tuple[str, str]] = Counter()
    for app in apps:
        path = [label(state) for state in app.stage_times]
        if app.state in OPEN_STATES:
            path.append(NO_RESPONSE if len(path) == 1 else IN_PROGRESS)
        counted.update(pairwise(path))
    return dict(sorted(counted.items(), key=lambda kv: (NODE_ORDER.index(kv[0][0]),
                                                        NODE_ORDER.index(kv[0][1]))))


def sankeymatic(apps: Iterable[Application]) -> str:
    """The funnel in SankeyMATIC's input format: one ``Source [amount] Target`` per flow."""
    lines = [f"{source} [{amount}] {target}" for (source, target), amount in flows(apps).items()]
    if not lines:
        return "// no applications yet\n"
    return "\n".join(lines) + "\n"


_COLOURS = {"Applied": "#4e79a7", "Interviewing": "#59a14f", "Offered": "#f28e2b",
            "Negotiating": "#edc948", "Accepted": "#2ca02c", "Withdrawn": "#9c9c9c",
            "Declined": "#e15759", NO_RESPONSE: "#bab0ac", IN_PROGRESS: "#76b7b2"}
_WIDTH, _HEIGHT, _NODE, _GAP, _PAD, _MARGIN = 960, 520, 14, 24, 16, 150


def _columns(flowed: dict[tuple[str, str], int]) -> dict[str, int]:
    """Each node's column: one more than its furthest source; nodes nothing leaves (where
    applications ended up) all go in the last column."""
    column: dict[str, int] = {}
    for source, target in flowed:  # flows come in topological order
        column.setdefault(source, 0)
        column[target] = max(column.get(target, 0), column[source] + 1)
    last = max(column.values(), default=0)
    sources = {source for source, _ in flowed}
    return {node: (last if node not in sources else col) for node, col in column.items()}


def _layout(flowed: dict[tuple[str, str], int]) -> tuple[dict[str, tuple[float, float, float]], float]:
    """node -> (x, y, height) and the pixels per application."""
    column = _columns(flowed)
    value: Counter[str] = Counter()
    inflow: Counter[str] = Counter()
    for (source, target), amount in flowed.items():
        value[source] += amount
        inflow[target] += amount
    for node in column:
        value[node] = max(value[node], inflow[node])
    columns = max(column.values()) + 1
    usable = _HEIGHT - 2 * _PAD
    scale = min((usable - _GAP * (sum(1 for n in column if column[n] == c) - 1))
                / sum(value[n] for n in column if column[n] == c) for c in range(columns))
    step = (_WIDTH - 2 * _MARGIN - _NODE) / max(columns - 1, 1)
    placed: dict[str, tuple[float, float, float]] = {}
    tops = [float(_PAD)] * columns
    for node in sorted(column, key=NODE_ORDER.index):
        col = column[node]
        height = value[node] * scale
        placed[node] = (_MARGIN + col * step, tops[col], height)
        tops[col] += height + _GAP
    return placed, scale


def _band(x0: float, y0: float, x1: float, y1: float, thick: float) -> str:
    mid = (x0 + x1) / 2
    return (f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
            f"L{x1:.1f},{y1 + thick:.1f} C{mid:.1f},{y1 + thick:.1f} {mid:.1f},{y0 + thick:.1f} "
            f"{x0:.1f},{y0 + thick:.1f} Z")


def sankey_svg(apps: Sequence[Application]) -> str:
    """The funnel as a standalone SVG document a browser opens."""
    from xml.sax.saxutils import escape

    flowed = flows(apps)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
            f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif" font-size="13">\n'
            f"<title>afterview: where {len(apps)} applications went</title>\n")
    if not flowed:
        return head + f'<text x="{_PAD}" y="{_PAD * 2}">No applications yet.</text>\n</svg>\n'
    placed, scale = _layout(flowed)
    out_used: dict[str, float] = defaultdict(float)  # how much of each node's side is taken
    in_used: dict[str, float] = defaultdict(float)
    parts = [head]
    for (source, target), amount in flowed.items():
        sx, sy, _ = placed[source]
        tx, ty, _ = placed[target]
        thick = amount * scale
        path = _band(sx + _NODE, sy + out_used[source], tx, ty + in_used[target], thick)
        out_used[source] += thick
        in_used[target] += thick
        parts.append(f'<path d="{path}" fill="{_COLOURS[source]}" fill-opacity="0.35">'
                     f"<title>{escape(source)} → {escape(target)}: {amount}</title></path>\n")
    for node, (x, y, height) in placed.items():
        total = max(sum(a for (s, _), a in flowed.items() if s == node),
                    sum(a for (_, t), a in flowed.items() if t == node))
        # The first column is labelled on its left, the others on their right (the margins
        # on both sides leave room for the longest label).
        anchor, text_x = ("end", x - 6) if x == _MARGIN else ("start", x + _NODE + 6)
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{_NODE}" height="{max(height, 1):.1f}" '
                     f'fill="{_COLOURS[node]}"><title>{escape(node)}: {total}</title></rect>\n')
        parts.append(f'<text x="{text_x:.1f}" y="{y + height / 2 + 4:.1f}" text-anchor="{anchor}">'
                     f"{escape(node)} ({total})</text>\n")
    parts.append("</svg>\n")
    return "".join(parts)
