"""``edit``: change what you keep about an application (ApplicationDetailsChanged)."""

from __future__ import annotations

import click

from afterview.cli.context import Refused, complete_application, session
from afterview.cli.job_details import detail_options, details


@click.command()
@click.argument("app", metavar="APP", shell_complete=complete_application)
@click.option("--role", metavar="R", help="The role's title.")
@click.option("--url", metavar="U", help="The job posting (empty: remove it).")
@click.option("--location", metavar="L", help="Where the job is (empty: remove it).")
@click.option("--source", metavar="S", help="Where you found it (empty: remove it).")
@click.option("--untag", "untags", multiple=True, metavar="T", help="Remove a tag (repeatable).")
@detail_options(editing=True)
@click.option("--at", "at", metavar="WHEN", help="When it changed (default: now).")
def edit(app: str, role: str | None, url: str | None, location: str | None,
         source: str | None, untags: tuple[str, ...], tags: tuple[str, ...],
         priority: int | None, jd: str | None, salary_range: str | None,
         referred_by: str | None, at: str | None) -> None:
    """Change what you keep about an application: role, url, location, tags, priority,
    job description, salary range, referral. Recorded as one fact, shown in history."""
    from afterview.cli.recording import record_fact
    from afterview.engine.domain.events import ApplicationDetailsChanged

    fields = details(tags, priority, jd, salary_range, referred_by)
    if tags or untags:
        current = session().engine.application(app).tags
        removed = {t.strip().lower() for t in untags}
        fields["tags"] = tuple(t for t in dict.fromkeys((*current, *(fields["tags"] or ())))
                               if t not in removed)
    else:
        fields["tags"] = None
    if all(value is None for value in (role, url, location, source, *fields.values())):
        raise Refused("nothing to change: give at least one option, e.g. --priority 1 or --tag remote")
    record_fact(app, ApplicationDetailsChanged(role=role, url=url, location=location,
                                               source=source, **fields), at)


COMMANDS = [edit]
