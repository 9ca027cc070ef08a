"""Recording one fact from the command line and saying what changed: shared by every
fact-entering command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from afterview.cli.context import emit_json, session, when
from afterview.cli.output import views

if TYPE_CHECKING:
    from afterview.engine.domain.events import Event
    from afterview.engine.service.api import Result


def record_fact(app: str, event: Event, at: str | None) -> None:
    """Record one fact and print what changed: shared by every fact-entering command."""
    s = session()
    before = s.engine.application(app).state if not s.as_json else None
    echo_recorded(s.engine.record(app, event, at=when(at)), before)


def echo_recorded(result: Result, before: str | None = None) -> None:
    """What a recorded fact changed: the state (from ``before``), the fact in words with its
    time, the tasks it scheduled or closed here and elsewhere."""
    from afterview.cli.output.confirm import fact_lines

    s = session()
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if s.as_json:
        emit_json(views.application_json(result.application, s.engine.now(), detail=True))
        return
    click.echo("\n".join(fact_lines(result.application, before, result.facts)))
