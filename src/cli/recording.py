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
    echo_recorded(session().engine.record(app, event, at=when(at)))


def echo_recorded(result: Result) -> None:
    """What a recorded fact changed: the state (the one it was decided on, then now), the
    fact in words with its time, the tasks it scheduled or closed here and elsewhere."""
    from afterview.cli.output.confirm import fact_lines

    s = session()
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if s.as_json:
        emit_json(views.application_detail_json(result.application, s.engine.now()))
        return
    click.echo("\n".join(fact_lines(result.application, result.state_before, result.facts)))
