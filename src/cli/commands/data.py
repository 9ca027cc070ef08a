"""Data in and out: export, import, stats, report, diagram."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from afterview.cli.context import Refused, emit_json, keywords, session, when

if TYPE_CHECKING:
    from afterview.engine.domain.events import JsonObject

PROGRESS_THRESHOLD = 500
"""Below this many events or rows an import or export is quick: no progress bar."""
_LISTED = 8  # application ids named in an import's summary; --json lists them all


@contextlib.contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for a large job, and only when stderr is a terminal."""
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield lambda _count: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """The file to write (-o FILE; ``-`` or none is stdout), through engine.io.output: never
    the database or its journals, replaced only by a complete file, created private."""
    from afterview.engine.io.output import written

    with written(path, protected=_protected()) as out:
        yield out


def _protected() -> list[Path]:
    """The database file an output must never be (none for a store that is not a file)."""
    file = session().db_file
    return [] if file is None else [file]


_OUTPUT = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                       metavar="FILE", help="Write to FILE (created private, 0600; - is stdout) "
                       "instead of stdout.")


def _format(output: Path | None, given: str | None, allowed: tuple[str, ...], default: str) -> str:
    """The format to write; the database named as the output is refused first."""
    from afterview.engine.io.output import format_for, is_stdout, refuse_protected

    if not is_stdout(output):
        assert output is not None
        refuse_protected(output, _protected())
    return format_for(output, given, allowed, default)


@click.command()
@click.option("--format", "fmt", type=keywords(["json", "csv", "ics"]),
              help="json: the whole log; csv: one row per application; ics: interviews and "
              "open tasks for a calendar. Default: from -o FILE's extension, else json.")
@_OUTPUT
def export(fmt: str | None, output: Path | None) -> None:
    """Export the log (json, lossless), the applications (csv) or a calendar (ics)."""
    from afterview.engine.io.output import is_stdout
    from afterview.engine.service import exchange

    fmt = _format(output, fmt, ("json", "csv", "ics"), "json")
    s = session()
    engine = s.engine
    with _output(output) as out:
        if fmt == "json":
            with _progress(engine.head()[0], "exporting") as progress:
                count = exchange.export_json(engine, out, progress=progress)
            what = "events"
        elif fmt == "csv":
            count, what = exchange.export_csv(engine, out), "applications"
        else:
            from afterview.engine.io.ics import export_ics

            text = export_ics(engine)
            out.write(text)
            count, what = text.count("BEGIN:VEVENT") + text.count("BEGIN:VTODO"), "calendar entries"
    if not is_stdout(output):
        if s.as_json:
            emit_json({"format": fmt, "output": str(output), "count": count})
        else:
            click.echo(f"exported {count} {what} to {output}")


def _guess_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "json" if text.lstrip().startswith("{") else "csv"


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=keywords(["json", "csv"]),
              help="Default: from the file name's extension, else from its content.")
@click.option("--day-first", is_flag=True,
              help="csv: read dates like 02/11/2026 as day/month/year (default month/day/year).")
@click.option("--keep-overdue", is_flag=True,
              help="csv: keep open the tasks that fell due before the import on applications "
              "that have ended (default: dismiss those).")
def import_(file: Path, fmt: str | None, day_first: bool, keep_overdue: bool) -> None:
    """Import an afterview export (json) or a spreadsheet of applications (csv).

    json: appended with its ids kept; importing it again adds nothing. csv: each row
    becomes the facts that lead to its status; a bad row is reported with its line number
    and nothing is imported.
    """
    from afterview.engine.service import exchange

    if not file.is_file():  # /dev/zero or a pipe would be read without end
        raise Refused(f"{file} is not a regular file: give the path of an export or a spreadsheet")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Refused(f"{file} is not UTF-8 text: save the spreadsheet as CSV UTF-8") from None
    fmt = fmt or _guess_format(file, text)
    s = session()
    if fmt == "json":
        with _progress(text.count('"event_id"'), "importing") as progress:
            result = exchange.import_json(s.engine, text, str(file), progress=progress)
    else:
        with _progress(text.count("\n"), "importing") as progress:
            result = exchange.import_csv(s.engine, text, str(file), day_first=day_first,
                                keep_overdue=keep_overdue, progress=progress)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if s.as_json:
        emit_json(result._asdict())
        return
    unit = "events" if fmt == "json" else "rows"
    if not result.added:
        found = (f"{_count(result.skipped, unit[:-1])} already here" if result.skipped
                 else f"{file.name} holds no {unit}")
        click.echo(f"nothing to import: {found}")
        return
    shown = result.applications[:_LISTED]
    more = len(result.applications) - len(shown)
    apps = (f" ({', '.join(shown)}" + (f", and {more} more" if more else "") + ")"
            if shown else "")
    click.echo(f"imported {_count(result.added, 'event')} into "
               f"{_count(len(result.applications), 'application')}{apps}"
               + (f"; {_count(result.skipped, unit[:-1])} already here" if result.skipped else ""))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _stats_text(numbers: JsonObject) -> str:
    from afterview.cli.output import render

    total = numbers["applications"]
    if not total:
        return "No applications yet. Start with: afterview apply COMPANY ROLE"
    lines = [_count(total, "application"), "",
             render.table(("state", "reached", "now"),
                          [(state, numbers["reached"][state], numbers["by_state"][state])
                           for state in numbers["by_state"]]), ""]
    rate = numbers["response_rate"]
    lines.append(f"response rate: {rate:.0%} ({numbers['responded']} of {total} heard back)")
    lines.append("median days:")
    for pair, found in numbers["median_days"].items():
        if found["days"] is not None:
            lines.append(f"  {pair.replace('->', ' -> '):28} {found['days']:>6} "
                         f"({_count(found['applications'], 'application')})")
    offers = numbers["offers"]
    outcome = ", ".join(f"{count} {name}" for name, count in offers["outcomes"].items() if count)
    lines.append(f"offers: {offers['received']} received" + (f": {outcome}" if outcome else "")
                 + (f"; {offers['negotiated']} negotiated" if offers["negotiated"] else ""))
    return "\n".join(lines)


@click.command()
@click.option("--sankey", is_flag=True, help="Print the funnel in SankeyMATIC's text format.")
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Write the funnel as a Sankey diagram (SVG) to FILE.")
def stats(sankey: bool, svg_path: Path | None) -> None:
    """The funnel: how many reached each state, response rate, median days between stages."""
    from afterview.engine.views import stats as numbers

    s = session()
    apps = s.engine.applications()
    if svg_path is not None:
        with _output(svg_path) as out:
            out.write(numbers.sankey_svg(apps))
        if str(svg_path) != "-":
            click.echo(f"wrote {svg_path}", err=True)
    if sankey:
        click.echo(numbers.sankeymatic(apps), nl=False)
    elif s.as_json:
        emit_json(numbers.funnel(apps))
    else:
        click.echo(_stats_text(numbers.funnel(apps)))


@click.command()
@click.option("--from", "start", metavar="WHEN", help="First day (default: the first activity).")
@click.option("--to", "end", metavar="WHEN", help="Last day, included (default: today).")
@click.option("--format", "fmt", type=keywords(["md", "csv"]),
              help="Default: from -o FILE's extension, else md.")
@_OUTPUT
def report(start: str | None, end: str | None, fmt: str | None, output: Path | None) -> None:
    """A dated log of job-search activities, the kind a benefits office asks for."""
    from afterview.engine.io import report as activity
    from afterview.engine.io.output import is_stdout

    fmt = _format(output, fmt, ("md", "csv"), "md")
    s = session()
    tz = s.engine.tz
    first, last = when(start, "--from"), when(end, "--to")
    built = activity.build(s.engine, first.astimezone(tz).date() if first else None,
                           last.astimezone(tz).date() if last else None)
    if is_stdout(output):
        if s.as_json:
            emit_json(built.as_json())
        elif fmt == "csv":
            click.echo(activity.as_csv(built), nl=False)
        else:
            click.echo(activity.markdown(built), nl=False)
        return
    with _output(output) as out:
        out.write(activity.as_csv(built) if fmt == "csv" else activity.markdown(built))
    if s.as_json:
        emit_json({"format": fmt, "output": str(output)})
    else:
        click.echo(f"wrote the report to {output}", err=True)


@click.command()
def diagram() -> None:
    """The lifecycle as a Mermaid state diagram, drawn from the machine definition."""
    from afterview.engine.views.diagram import mermaid

    text = mermaid()
    if session().as_json:
        emit_json({"mermaid": text})
    else:
        click.echo(text, nl=False)


COMMANDS = [export, import_, stats, report, diagram]
