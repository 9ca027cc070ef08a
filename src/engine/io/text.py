"""Text from the log made safe to show: on a terminal, in a log line, in JSON.

A company name, a note or an id imported from a crafted file may hold escape sequences
(clear the screen, set the window title, write the clipboard), a carriage return that
overwrites what was shown, a bell, C1 controls or bidi overrides that reorder a line. Shown,
each becomes its escape (``\\x1b``, ``\\r``, ``\\u202e``): visible, never obeyed. JSON
escapes them the way JSON does (``\\u001b``), so the decoded value is still the stored text.
"""

from __future__ import annotations

import json
import re

KEPT = frozenset("\u200c\u200d")
"""Zero-width (non-)joiners: not printable to Python, but they build emoji and scripts."""


def _is_clean(text: str, kept: str) -> bool:
    """The fast path: every line printable (str.isprintable runs in C)."""
    if text.isprintable():
        return True
    lines = text.split("\n") if "\n" in kept else [text]
    return all(line.isprintable() for line in lines)


def escape(ch: str) -> str:
    """One character as Python would write it in a string: ``\\x1b``, ``\\r``, ``\\u202e``."""
    return ch.encode("unicode_escape", "backslashreplace").decode("ascii")


def shown(text: str, *, kept: str = "") -> str:
    """``text`` with every character that is not printable (but those in ``kept`` and the
    zero-width joiners) written as its escape."""
    if _is_clean(text, kept):
        return text
    return "".join(ch if ch.isprintable() or ch in kept or ch in KEPT else escape(ch)
                   for ch in text)


_BREAKS = re.compile(r" *(?:\r\n|\n) *| {2,}")


def one_line(text: str) -> str:
    """Text for a single log or error line: its own line breaks (LF, CRLF) and runs of
    spaces become one space; any other control character (a lone CR too) its escape."""
    return shown(_BREAKS.sub(" ", text).strip())


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes a character beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(value: object, *, indent: int | None = None) -> str:
    """``value`` as JSON, non-ASCII text kept readable, but every character that is not
    printable escaped as ``\\uXXXX`` (json.dumps already does so below U+0020; this adds
    DEL, the C1 controls, bidi overrides and the like)."""
    text = json.dumps(value, indent=indent, ensure_ascii=False, default=str)
    if _is_clean(text, "\n"):
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else _json_escape(ch) for ch in text)
