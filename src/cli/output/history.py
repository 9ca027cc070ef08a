"""``history``: the facts of one application as sentences, and as JSON rows."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from afterview.cli.output import render, times
from afterview.cli.output.sentences import sentence

if TYPE_CHECKING:
    from afterview.engine.domain.events import JsonObject

_SAME_MOMENT = timedelta(minutes=1)  # recorded within a minute of happening: one time shown


def people_of(rows: Sequence[JsonObject]) -> dict[str, str | None]:
    """Every person named in the facts, with their title when one was recorded."""
    people: dict[str, str | None] = {}
    for row in rows:
        if row["voided"]:
            continue
        if row["type"] == "ApplicationSubmitted":
            people.update({name: None for name in row["data"].get("contacts") or ()})
        elif row["type"] == "ContactAdded":
            people[row["data"]["name"]] = row["data"].get("title")
    return people


def history_text(rows: Sequence[JsonObject]) -> str:
    if not rows:
        return "Nothing recorded."
    people = people_of(rows)
    shown = [(row, times.when_text(datetime.fromisoformat(row["occurred_at"]), relative=False))
             for row in rows]
    number = max(len(str(row["position"])) for row in rows)
    moment = max(len(when) for _, when in shown)
    width = render.terminal_width()
    lines = []
    for row, when in shown:
        prefix = f"{row['position']:>{number}}  {row['event_id'][:8]}  {when:<{moment}}  "
        text = _fact_text(row, people)
        if width is not None and width > len(prefix) + 20:
            text = "\n".join(textwrap.wrap(text, width - len(prefix), break_on_hyphens=False)
                             ).replace("\n", "\n" + " " * len(prefix))
        if row["voided"]:
            text = render.paint(text, "bright_black")
        lines.append(prefix + text)
    return "\n".join(lines)


def _fact_text(row: JsonObject, people: dict[str, str | None]) -> str:
    text = sentence(row["type"], row["data"], people)
    if row["voided"]:
        text = f"VOIDED {text}"
    elif not row["type"].startswith("Task") and row.get("state_after"):
        text += f"; state {row['state_after']}"
    occurred = datetime.fromisoformat(row["occurred_at"])
    recorded = datetime.fromisoformat(row["recorded_at"])
    if abs(recorded - occurred) > _SAME_MOMENT:
        text += f" (recorded {times.when_text(recorded, relative=False)})"
    return text


def history_json(rows: Sequence[JsonObject]) -> list[JsonObject]:
    """The rows of docs/cli.md, each with its sentence. The times are the log's own text,
    with the offset they were recorded in (the audit shows what the hash chain covers);
    every other view gives times in the configured zone."""
    people = people_of(rows)
    return [{**row, "text": sentence(row["type"], row["data"], people)} for row in rows]
