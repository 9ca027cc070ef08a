"""Core commands: apply, note, list/board, show, status, history, verify, config."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from afterview.cli.context import (
    Refused,
    complete_application,
    complete_setting,
    emit_json,
    keywords,
    session,
    when,
)
from afterview.cli.job_details import detail_options, details
from afterview.cli.output import render, views
from afterview.cli.recording import record_fact

if TYPE_CHECKING:
    from collections.abc import Sequence

    from afterview.engine.domain.events import JsonValue
    from afterview.engine.domain.settings import SettingValue
    from afterview.engine.domain.state import Listed

# The orders of list --sort (engine/views/search.py SORT_KEYS; named here so that building
# the command line imports no engine module).
SORTS = ("id", "company", "applied", "updated", "priority", "state")

_WIDE = click.option("--wide", is_flag=True, help="Every column whole, whatever the terminal's width.")


@click.command()
@click.argument("company")
@click.argument("role")
@click.option("--id", "application_id", metavar="ID", help="Choose the id (default: from company and role).")
@click.option("--source", help="Where you found the job (referral, job board, ...).")
@click.option("--url", help="The job posting.")
@click.option("--location", help="Where the job is.")
@click.option("--contact", "contacts", multiple=True, metavar="NAME", help="A person there (repeatable).")
@detail_options()
@click.option("--at", "at", metavar="WHEN", help="When you applied (default: now).")
@click.option("--again", is_flag=True,
              help="Apply again to a company and role you applied for in the last 60 days.")
def apply(company: str, role: str, application_id: str | None, source: str | None,
          url: str | None, location: str | None, contacts: tuple[str, ...],
          tags: tuple[str, ...], priority: int | None, jd: str | None,
          salary_range: str | None, referred_by: str | None, at: str | None,
          again: bool) -> None:
    """Record that you applied for ROLE at COMPANY; prints the new application's id (on a
    terminal, also the follow-up it scheduled)."""
    from afterview.engine.domain.events import ApplicationSubmitted

    s = session()
    result = s.engine.apply(
        ApplicationSubmitted(company.strip(), role.strip(), source, url, location, contacts,
                             **details(tags, priority, jd, salary_range, referred_by)),
        application_id=application_id, at=when(at), again=again,
    )
    if s.as_json:
        emit_json(views.application_json(result.application))
        return
    click.echo(result.application.id)
    if sys.stdout.isatty():  # in a pipe, the id alone: id=$(afterview apply ...)
        from afterview.cli.output.confirm import fact_lines

        click.echo("\n".join(fact_lines(result.application, None, result.facts)[1:]))


@click.command()
@click.argument("app", metavar="APP", shell_complete=complete_application)
@click.argument("text")
@click.option("--at", metavar="WHEN", help="When (default: now).")
def note(app: str, text: str, at: str | None) -> None:
    """Add a note to an application."""
    from afterview.engine.domain.events import NoteAdded

    record_fact(app, NoteAdded(text), at)


@click.command("list")
@click.option("--state", "state", type=keywords(render.STATE_ORDER), help="Only this state.")
@click.option("--all", "show_all", is_flag=True, help="Also the discarded applications.")
@click.option("--company", metavar="C", help="Only companies whose name contains C (any case).")
@click.option("--tag", "tags", multiple=True, metavar="T",
              help="Only those with this tag (repeatable: all of them).")
@click.option("--since", metavar="WHEN", help="Only those you applied for since then.")
@click.option("--sort", type=keywords(SORTS),
              help="Order within each state (JSON: the order).")
@_WIDE
def list_(state: str | None, show_all: bool, company: str | None, tags: tuple[str, ...],
          since: str | None, sort: str | None, wide: bool) -> None:
    """Applications grouped by state: the next step and when it is due, the days in the
    state, the last contact; an application that went quiet after your follow-ups is marked,
    with a suggestion to withdraw (alias: board)."""
    from afterview.engine.views.search import SORT_KEYS, filtered

    s = session()
    render.use_wide(wide)
    apps = filtered(s.engine.summaries(include_discarded=show_all), state=state,
                    company=company, tags=tags, since=when(since, "--since"))
    ordered = sorted(apps, key=SORT_KEYS[sort or "id"])
    now = s.engine.now()
    if s.as_json:
        emit_json([views.application_json(a, now) for a in ordered])
    else:
        click.echo(render.board(ordered, now, keep_order=sort is not None))


board = click.Command("board", callback=list_.callback, params=list_.params,
                      help="Applications grouped by state (same as list).")


@click.command()
@click.argument("app", metavar="APP", shell_complete=complete_application)
def show(app: str) -> None:
    """One application: facts so far, offer terms, open tasks."""
    from afterview.cli.output.show import show_text

    s = session()
    application, others = s.engine.with_others(app)
    now = s.engine.now()
    settings = s.engine.settings
    # The plan's last working day skips holidays: the calendar (and its holiday table) is
    # loaded only for an accepted application with a start date.
    planned = application.state == "accepted" and application.start_date is not None
    calendar = s.engine.calendar() if planned else None
    if s.as_json:
        emit_json(views.application_detail_json(application, now, settings=settings,
                                          others=others, calendar=calendar))
    else:
        click.echo(show_text(application, now, settings, others, calendar))


@click.command()
@click.argument("app", metavar="APP", required=False, shell_complete=complete_application)
@click.option("--as-of", metavar="WHEN", help="State as of when things happened.")
@click.option("--known-at", metavar="WHEN", help="State as the log knew it then.")
@_WIDE
def status(app: str | None, as_of: str | None, known_at: str | None, wide: bool) -> None:
    """State of one or all applications, now or as of a past time."""
    s = session()
    render.use_wide(wide)
    as_of_time, known_time = when(as_of, "--as-of"), when(known_at, "--known-at")
    if app is not None:
        application: Listed = (
            s.engine.summary(app) if as_of_time is None and known_time is None
            else s.engine.status(app, as_of=as_of_time, known_at=known_time))
        if s.as_json:
            emit_json(views.application_json(application))
        else:
            click.echo(render.table(("id", "company", "role", "state", "since"),
                                    [(application.id, application.company, application.role,
                                      application.state, application.updated_at)]))
        return
    apps: Sequence[Listed] = (
        s.engine.summaries() if as_of_time is None and known_time is None
        else s.engine.applications(as_of=as_of_time, known_at=known_time))
    if s.as_json:
        emit_json([views.application_json(a) for a in sorted(apps, key=lambda a: a.id)])
    else:
        click.echo(render.board(apps))


@click.command()
@click.argument("app", metavar="APP", shell_complete=complete_application)
@_WIDE
def history(app: str, wide: bool) -> None:
    """Every fact of an application in order, one sentence each, with the state after it;
    voided facts marked, and when it was recorded if that differs from when it happened.
    APP "profile" lists the settings and days off recorded."""
    from afterview.cli.output.history import history_json, history_text
    from afterview.cli.output.terminal import page
    from afterview.engine.service.audit import history as history_of

    s = session()
    render.use_wide(wide)
    rows = history_of(s.engine, app)
    if s.as_json:
        emit_json(history_json(rows))
    else:
        page(history_text(rows))


@click.command()
@click.option("--expect", metavar="HEX", help="Also check that the head hash is this one.")
@click.option("--all-tenants", is_flag=True,
              help="PostgreSQL: verify every tenant's log, each its own chain.")
@click.option("--repair", is_flag=True,
              help="Then rebuild the projections (the read model) from the log; never the log.")
def verify(expect: str | None, all_tenants: bool, repair: bool) -> None:
    """Replay the whole log, check the hash chain, the lifecycle and the projections; print
    the head hash."""
    import re

    from afterview.engine.service.audit import verify as verify_log

    if expect is not None and not re.fullmatch(r"\s*[0-9a-fA-F]{64}\s*", expect):
        raise Refused(f"--expect {expect!r} is not a head hash: give the 64 hexadecimal digits "
                      "that 'afterview verify' printed")
    s = session()
    if all_tenants:
        _verify_all_tenants(expect)
        return
    report = verify_log(s.engine, expect_head=expect, repair=repair)
    if s.as_json:
        emit_json(report)
    else:
        verdict = "ok" if report["ok"] else "BROKEN"
        click.echo(f"{verdict}: {report['events']} events, head {report['head']}")
        for problem in report["problems"]:
            click.echo(f"  {problem}")
        _echo_projections(report["projections"])
    if not report["ok"]:
        raise Refused(f"the log does not verify: {report['problems'][0]}", 1)


def _verify_all_tenants(expect: str | None) -> None:
    """Every tenant's log of a shared database, one line each; refused if any is broken."""
    from afterview.engine.service.shared import verify_all_tenants

    s = session()
    if expect is not None or s.tenant is not None:
        raise Refused("--all-tenants verifies every tenant: leave out "
                      + ("--expect" if expect is not None else "--tenant (and AFTERVIEW_TENANT)"))
    reports = verify_all_tenants(s.shared_url("--all-tenants"))
    broken = [tenant for tenant, report in reports.items() if not report["ok"]]
    if s.as_json:
        emit_json({"ok": not broken, "tenants": reports})
    else:
        for tenant, report in reports.items():
            verdict = "ok" if report["ok"] else "BROKEN"
            click.echo(f"{verdict}: {tenant}: {report['events']} events, head {report['head']}")
            for problem in report["problems"]:
                click.echo(f"  {problem}")
        click.echo(f"{len(reports) - len(broken)} of {len(reports)} tenants verify")
    if broken:
        first = reports[broken[0]]["problems"][0]
        raise Refused(f"{len(broken)} tenant logs do not verify, first {broken[0]}: {first}", 1)


def _echo_projections(found: JsonValue) -> None:
    assert isinstance(found, dict)
    problems, rebuilt = found["problems"], found["rebuilt"]
    if rebuilt is not None and isinstance(problems, list):
        for problem in problems:
            click.echo(f"  repaired: {problem}")
        click.echo(f"projections rebuilt from the log: {rebuilt} applications")
    elif found["current"] is False:
        click.echo("projections are behind the log: the next command rebuilds them")


@click.command()
def rebuild() -> None:
    """Rebuild the projections (the read model every view reads) from the log."""
    s = session()
    count = s.engine.rebuild_projections()
    position = s.engine.head()[0]
    if s.as_json:
        emit_json({"applications": count, "position": position})
    else:
        click.echo(f"rebuilt the projections of {count} applications from {position} events")


@click.group()
def config() -> None:
    """Settings: deadlines, time zone, holidays (see docs/policies.md)."""


@config.command("set", context_settings={"ignore_unknown_options": True})  # VALUE may be -1
@click.argument("key", shell_complete=complete_setting)
@click.argument("value")
def config_set(key: str, value: str) -> None:
    """Set KEY to VALUE (an empty VALUE unsets a key that has no default, e.g. country)."""
    s = session()
    settings = s.engine.set_setting(key, value)
    shown = _shown(settings.shown()[key])
    if s.as_json:
        emit_json({"key": key, "value": shown})
    else:
        click.echo(f"{key} = {shown}")


@config.command("get")
@click.argument("key", shell_complete=complete_setting)
def config_get(key: str) -> None:
    """Show the value of KEY in force."""
    from afterview.engine.domain.settings import KEYS

    if key not in KEYS:
        raise Refused(f"unknown setting {key!r}: use one of {', '.join(KEYS)}")
    s = session()
    value = _shown(s.engine.settings.shown()[key])
    if s.as_json:
        emit_json({"key": key, "value": value})
    else:
        click.echo("" if value is None else value)


@config.command("list")
def config_list() -> None:
    """Every setting with the value in force."""
    from afterview.engine.domain.settings import describe

    s = session()
    values = {k: _shown(v) for k, v in s.engine.settings.shown().items()}
    if s.as_json:
        emit_json(values)
    else:
        click.echo(render.table(("key", "value", "meaning"),
                                [(k, v, describe(k)) for k, v in values.items()]))


def _shown(value: SettingValue) -> SettingValue | int | float:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return render.plain_number(value)
    return value


COMMANDS = [apply, note, list_, board, show, status, history, verify, rebuild, config]
