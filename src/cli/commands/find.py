"""Finding things: ``search`` across everything recorded, and ``contacts``, every person
met across applications."""

from __future__ import annotations

import click

from afterview.cli.context import emit_json, session
from afterview.cli.output import render


@click.command()
@click.argument("text")
@click.option("--wide", is_flag=True, help="Every column whole, whatever the terminal's width.")
def search(text: str, wide: bool) -> None:
    """Find TEXT (any case) in companies, roles, tags, notes, questions, answers, contacts,
    feedback, reflections and job descriptions; each hit says where it is."""
    from afterview.engine.views.search import search as find

    s = session()
    render.use_wide(wide)
    hits = find(s.engine.applications(), text)
    if s.as_json:
        emit_json([{"application": h.application, "company": h.company, "role": h.role,
                    "where": h.where, "text": h.text, "at": render.iso(h.at)} for h in hits])
    elif not hits:
        click.echo(f"Nothing recorded mentions {text!r}.")
    else:
        click.echo(render.table(("application", "where", "when", "text"),
                                [(h.application, h.where, h.at, h.text) for h in hits],
                                optional=("when",), wrap=("text",), cut_first=("application",)))


@click.command()
@click.option("--wide", is_flag=True, help="Every column whole, whatever the terminal's width.")
def contacts(wide: bool) -> None:
    """Every person across applications: who they are, where you met them, and when you
    last wrote (a thank-you to them, or a follow-up to their company)."""
    from afterview.engine.views.search import people

    s = session()
    render.use_wide(wide)
    found = people(s.engine.applications())
    if s.as_json:
        emit_json([{"name": p.name, "title": p.title, "email": p.email,
                    "application": p.application, "company": p.company,
                    "met_at": render.iso(p.met_at), "last_written_at": render.iso(p.last_written_at)}
                   for p in found])
    elif not found:
        click.echo("No people recorded yet: afterview contact APP NAME --title T --email E")
    else:
        click.echo(render.table(
            ("name", "title", "company", "met", "last wrote", "email", "application"),
            [(p.name, p.title, p.company, p.met_at.date() if p.met_at else None,
              p.last_written_at.date() if p.last_written_at else None, p.email, p.application)
             for p in found],
            optional=("application", "email", "title"), cut_first=("company",)))


COMMANDS = [search, contacts]
