"""Tables for people: columns that fit the terminal (left out, wrapped or cut, the least
important first), colour only on a terminal and never with ``NO_COLOR``, typed text shown
and never obeyed. Written here rather than with ``rich``, which costs more start-up than
the budget allows (docs/cli.md, Decisions)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

import click

from afterview.cli.output import times

Row = Sequence[object]


def colour_enabled() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


class Styled(str):
    """Text coloured by ``paint``; ``plain`` is what shows, for widths in tables."""

    plain: str

    def __new__(cls, styled: str, plain: str) -> Styled:
        made = super().__new__(cls, styled)
        made.plain = plain
        return made


def paint(text: str, colour: str | None = None, *, bold: bool = False) -> str:
    if not colour_enabled() or (colour is None and not bold):
        return text
    return Styled(click.style(text, fg=colour, bold=bold), text)


_CELL_CAP = 40  # a cell longer than this is cut (or wrapped at _WRAP_CAP), unless --wide
_WRAP_CAP = 60
_IDS = frozenset({"id", "task", "application"})  # columns of ids, cut only to fit a terminal
_MIN_CUT = 16  # a column is never narrowed below this (or its heading)
_wide = False


def use_wide(wide: bool) -> None:
    """--wide: tables show every cell whole, whatever the terminal's width."""
    global _wide
    _wide = wide


def terminal_width() -> int | None:
    """The width tables must fit: $COLUMNS, else the terminal's; None in a pipe or --wide."""
    if _wide:
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


def table(headers: Sequence[str], rows: Iterable[Row], *, cut_first: Sequence[str] = (),
          wrap: Sequence[str] = (), optional: Sequence[str] = ()) -> str:
    """Left-aligned columns separated by two spaces, fitting the terminal. When too wide,
    the ``optional`` columns are left out (the least important first); then the columns
    named in ``cut_first``, then those in ``wrap``, then the widest, are narrowed: a
    ``wrap`` column's text goes on over more lines, any other is cut with an ellipsis.
    ``--wide`` shows every cell whole."""
    return grouped_table(headers, [(None, rows)], cut_first=cut_first, wrap=wrap,
                         optional=optional)


def grouped_table(headers: Sequence[str], groups: Sequence[tuple[str | None, Iterable[Row]]],
                  *, cut_first: Sequence[str] = (), wrap: Sequence[str] = (),
                  optional: Sequence[str] = ()) -> str:
    """Several tables with the same columns, one under each heading, sharing their widths."""
    cell = _cells()
    sections = [(heading, [[cell(v) for v in row] for row in rows]) for heading, rows in groups]
    every_row = [row for _, cells in sections for row in cells]
    kept = _kept_columns(list(headers), every_row, optional, cut_first)
    headers = [headers[i] for i in kept]
    sections = [(heading, [[row[i] for i in kept] for row in cells]) for heading, cells in sections]
    widths = [len(h) for h in headers]
    for row in (row for _, cells in sections for row in cells):
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _visible(value))
    if not _wide:  # ids are never cut in a pipe: a script may read them
        widths = [w if h in _IDS else min(w, max(_WRAP_CAP if h in wrap else _CELL_CAP, len(h)))
                  for w, h in zip(widths, headers, strict=True)]
    available = terminal_width()
    if available is not None:
        widths = _fit_widths(headers, widths, available, [*cut_first, *wrap])
    head = paint("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)
                           ).rstrip(), bold=True)
    # In a pipe, one line per row (for grep); on a terminal, long text goes on below.
    wrapped = {headers.index(n) for n in wrap if n in headers} if available is not None else set()
    blocks = []
    for heading, cells in sections:
        lines = ([] if heading is None else [heading]) + [head]
        for row in cells:
            lines += _row_lines(row, widths, wrapped)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _kept_columns(headers: list[str], cells: list[list[str]], optional: Sequence[str],
                  cut_first: Sequence[str]) -> list[int]:
    """The columns shown: the optional ones left out, in order, until the table fits once
    the ``cut_first`` columns are narrowed as far as they may be."""
    kept = list(range(len(headers)))
    available = terminal_width()
    for name in optional:
        if available is None or _narrowest_width(headers, cells, kept, cut_first) <= available:
            break
        kept.remove(headers.index(name))
    return kept


def _narrowest_width(headers: Sequence[str], cells: list[list[str]], kept: list[int],
                     cut_first: Sequence[str]) -> int:
    total = 2 * (len(kept) - 1)
    for i in kept:
        width = min(max([len(headers[i]), *(_visible(row[i]) for row in cells)]),
                    max(_CELL_CAP, len(headers[i])))
        if headers[i] in cut_first:
            width = min(width, max(_MIN_CUT, len(headers[i])))
        total += width
    return total


def _row_lines(row: list[str], widths: list[int], wrapped: set[int]) -> list[str]:
    """One row: one line, or more when a wrapped cell is longer than its column."""
    parts: list[list[str]] = []
    for index, (value, width) in enumerate(zip(row, widths, strict=True)):
        if index in wrapped and _visible(value) > width and not isinstance(value, Styled):
            import textwrap  # only on a terminal, for a long cell

            parts.append(textwrap.wrap(value, width, break_on_hyphens=False) or [""])
        else:
            parts.append([value])
    height = max(len(p) for p in parts)
    return ["  ".join(_fit(p[line] if line < len(p) else "", w)
                      for p, w in zip(parts, widths, strict=True)).rstrip()
            for line in range(height)]


def _fit_widths(headers: Sequence[str], widths: list[int], available: int,
                narrow_first: Sequence[str]) -> list[int]:
    fitted = list(widths)
    order = [headers.index(name) for name in narrow_first if name in headers]
    order += sorted((i for i in range(len(headers)) if i not in order), key=lambda i: -widths[i])
    excess = sum(fitted) + 2 * (len(fitted) - 1) - available
    for index in order:
        if excess <= 0:
            break
        floor = min(fitted[index], max(_MIN_CUT, len(headers[index])))
        taken = min(excess, fitted[index] - floor)
        fitted[index] -= taken
        excess -= taken
    return fitted


def _cells() -> Callable[[object], str]:
    """``_cell`` for one table: a day or a time repeats down a long table, and is written
    once (the words for it depend on today, so nothing is kept beyond the table)."""
    written: dict[date, str] = {}

    def cell(value: object) -> str:
        if isinstance(value, date):  # a datetime too
            found = written.get(value)
            if found is None:
                found = written[value] = _cell(value)
            return found
        return _cell(value)

    return cell


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return times.when_text(value, relative=False)
    if isinstance(value, date):
        return times.day_text(value)
    if isinstance(value, Styled) and _printable(value.plain) == value.plain:
        return value  # our own colour codes: kept, while any typed in are neutralised
    return _printable(str(value.plain if isinstance(value, Styled) else value))


def _printable(text: str) -> str:
    # Control characters in typed text (escape sequences) must not reach the terminal: a
    # cell shows each as its escape, and a line break too (a cell is one line).
    if text.isprintable():  # nearly every cell: shown() would return it as it is
        return text
    from afterview.engine.io.text import shown

    return shown(text)


def _visible(text: str) -> int:
    return len(text.plain) if isinstance(text, Styled) else len(text)


def _fit(text: str, width: int) -> str:
    if _visible(text) > width:
        plain = text.plain if isinstance(text, Styled) else text
        return plain[: max(width - 1, 0)] + "…"
    return text + " " * (width - _visible(text))
