"""What reaches a person's terminal: text typed into afterview is shown, never obeyed.

A company name or a note may hold escape sequences (clear the screen, set the window title,
write the clipboard, make a fake link), bidi overrides that reorder what is shown, or plain
control characters. Each is shown as its escape (``\\x1b``, ``\\r``, ``\\u202e``; see
engine/io/text.py). Tables escape their cells; this guard catches every other view
(``show``, ``compare``, ``practice``, ``draft``, ``history``, the lines a fact command
prints, warnings on stderr) in one place: while stdout or stderr is a terminal, each write
passes through ``terminal_safe``. ``error:`` lines are escaped wherever they go, and JSON
escapes these characters as JSON does (``\\u001b``), so it stays valid on a terminal.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import click

# The only escape sequences afterview writes itself: colour, bold and reset (click.style).
_OWN_STYLES = re.compile(r"\x1b\[(?:0|1|3[0-7]|9[0-7])m")


def _printable(text: str) -> str:
    from afterview.engine.io.text import shown

    return shown(text, kept="\n\t")


def terminal_safe(text: str, *, colour: bool = False) -> str:
    """``text`` with every control character, escape sequence and bidi override shown as
    its escape; with ``colour``, afterview's own colour codes are kept."""
    if not colour:
        return _printable(text)
    kept, start = [], 0
    for match in _OWN_STYLES.finditer(text):
        kept += [_printable(text[start:match.start()]), match.group()]
        start = match.end()
    kept.append(_printable(text[start:]))
    return "".join(kept)


class _GuardedTerminal:
    """stdout, with every write made safe for the terminal. It has no ``buffer``, so click
    cannot write bytes around it."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        from afterview.cli.output.tables import colour_enabled

        if not isinstance(text, str):
            raise TypeError("write() argument must be str")
        self._inner.write(terminal_safe(text, colour=colour_enabled()))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return int(self._inner.fileno())

    @property
    def encoding(self) -> str:
        return str(getattr(self._inner, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str:
        return str(getattr(self._inner, "errors", None) or "strict")


def _guarded(stream: TextIO | None) -> bool:
    return stream is None or isinstance(stream, _GuardedTerminal) or not stream.isatty()


@contextmanager
def guarded_stdout() -> Iterator[None]:
    """While it lasts, stdout and stderr (each when it is a terminal) show typed text
    without obeying it."""
    out, err = sys.stdout, sys.stderr
    if not _guarded(out):
        sys.stdout = _GuardedTerminal(out)  # a TextIO stand-in: write, flush, isatty
    if not _guarded(err):
        sys.stderr = _GuardedTerminal(err)
    try:
        yield
    finally:
        if isinstance(sys.stdout, _GuardedTerminal):
            sys.stdout = out
        if isinstance(sys.stderr, _GuardedTerminal):
            sys.stderr = err


def page(text: str) -> None:
    """Long output through the pager ($PAGER, as click's) on a terminal; never into a pipe."""
    from afterview.cli.output.tables import colour_enabled

    rows = None
    if sys.stdout.isatty() and sys.stdin.isatty():
        import shutil

        rows = shutil.get_terminal_size().lines
    if rows is None or text.count("\n") < rows - 1:
        click.echo(text)
        return
    # The pager is another process: the text is made safe here, not by the guarded stdout.
    click.echo_via_pager(terminal_safe(text, colour=colour_enabled()))
