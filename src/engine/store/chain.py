"""The hash chain: the canonical text of an event and the SHA-256 that links it to the one
before. Backend-neutral: every store writes and audits its rows with these, and an export
is checked with them too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from json.encoder import encode_basestring as _quote  # the escaper the encoder itself uses
from typing import Any

from afterview.engine.domain.values import JsonValue
from afterview.engine.store.base import (
    GENESIS_HASH,
    ChainReport,
    ConcurrencyError,
    DuplicateEventError,
    NewEvent,
    Replay,
    ReplayRow,
    StoredEvent,
    StoreError,
)

_MAX_PROBLEMS = 50

# Encoders built once: json.dumps with options builds a new encoder on every call.
encode_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_encode_row = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__


def decode_json(text: str) -> JsonValue:
    """``json.loads(text)``, faster for the text the store writes (no surrounding space).

    The decoder's scanner is called directly, which skips json.loads's checks and its two
    whitespace matches: about half the cost of decoding a row, and replay decodes every row.
    Text the scanner does not take whole (space around it, a byte-order mark, an error)
    goes to json.loads, so the result or the error is the same as before."""
    try:
        value, end = _scan_json(text, 0)
    except Exception:  # json.loads below raises its own, exact error
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def canonical_json(value: JsonValue) -> str:
    """The exact text stored (and hashed) for an event's data or metadata."""
    return encode_json(value)


def event_hash(prev_hash: str, row: Sequence[object]) -> str:
    """The chain hash of a row: position, stream_id, version, event_id, type,
    schema_version, data text, metadata text, occurred_at, recorded_at."""
    sha256 = _hashes.get("sha256") or _load_sha256()
    digest: str = sha256((prev_hash + row_text(row)).encode("utf-8")).hexdigest()
    return digest


def row_text(row: Sequence[Any]) -> str:
    """The JSON array of the ten hashed columns, exactly as ``_encode_row`` gives it.

    A row of the types the store writes (three integers, seven texts) is written out with
    the encoder's own string escaper, which costs about half of the encoder's walk over a
    list, and verify hashes every row. Anything else (a column tampered into a float, a
    NULL, bytes) goes through the encoder, so the text is the same either way."""
    (position, stream_id, version, event_id, type_name, schema, data, metadata, occurred_at,
     recorded_at) = row
    if type(position) is type(version) is type(schema) is int:
        try:
            return (f"[{position},{_quote(stream_id)},{version},{_quote(event_id)},"
                    f"{_quote(type_name)},{schema},{_quote(data)},{_quote(metadata)},"
                    f"{_quote(occurred_at)},{_quote(recorded_at)}]")
        except TypeError:  # a text column that holds something else
            pass
    return _encode_row(list(row))


_hashes: dict[str, Callable[[bytes], Any]] = {}


def _load_sha256() -> Callable[[bytes], Any]:
    # Imported on first use: loading OpenSSL's hashes is a few ms that reading commands
    # (status, list, show) never need.
    import hashlib

    _hashes["sha256"] = hashlib.sha256
    return hashlib.sha256


Row = tuple[Any, ...]
"""One event as every backend stores it: position, stream_id, version, event_id, type,
schema_version, data, metadata (both canonical JSON text), occurred_at, recorded_at,
prev_hash, hash (the columns of the SQLite table, in its order). Untyped, as a database
driver returns it: a boundary, like decoded JSON."""


def encode_batch(events: Sequence[NewEvent]) -> list[Row]:
    """Each event as (stream_id, event_id, type, schema_version, data text, metadata text,
    occurred_at), checked before a backend takes its write lock: an event id twice in the
    batch, or data that JSON cannot hold, is refused here."""
    seen: set[str] = set()
    encoded = []
    for event in events:
        if event.event_id in seen:
            raise DuplicateEventError(event.event_id)
        seen.add(event.event_id)
        try:
            data, metadata = encode_json(event.data), encode_json(event.metadata)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"event {event.event_id} cannot be stored as JSON: {exc}") from exc
        encoded.append((*event[:4], data, metadata, event.occurred_at))
    return encoded


def link(
    encoded: Sequence[Row],
    expected_versions: Mapping[str, int | None],
    recorded_at: str,
    *,
    head: tuple[int, str],
    version_of: Callable[[str], int],
) -> list[Row]:
    """The rows to store for an encoded batch, versioned and hashed onto ``head``; checks
    the expected versions first (ConcurrencyError). A backend calls it under its write
    lock, so that the head and the versions that ``version_of`` reads cannot move."""
    versions: dict[str, int] = {}
    for stream_id, expected in expected_versions.items():
        if expected is not None:
            versions[stream_id] = actual = version_of(stream_id)
            if actual != expected:
                raise ConcurrencyError(stream_id, expected, actual)
    position, prev_hash = head
    rows = []
    for stream_id, *fields in encoded:
        version = versions.get(stream_id)
        version = (version_of(stream_id) if version is None else version) + 1
        versions[stream_id] = version
        position += 1
        row = (position, stream_id, version, *fields, recorded_at)
        row_hash = event_hash(prev_hash, row)
        rows.append((*row, prev_hash, row_hash))
        prev_hash = row_hash
    return rows


def prefix_bounds(prefix: str) -> tuple[str, str | None]:
    """[low, high) bounds of the strings that start with ``prefix``, for a backend whose
    text order is code point order (SQLite's BINARY, PostgreSQL's COLLATE "C": UTF-8 bytes
    sort as code points do) and which, unlike LIKE, is case-sensitive."""
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return prefix, None
    following = ord(stem[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000  # surrogates cannot be stored; skip past them
    return prefix, stem[:-1] + chr(following)


_new_tuple = tuple.__new__


def stored_event(row: Row) -> StoredEvent:
    """A stored row as the StoredEvent that reads return, its data decoded."""
    # Unpacking into tuple.__new__ costs about half of StoredEvent._make((*row[:6], ...)) with
    # its slices, and replay calls this once per event (see docs/performance.md).
    (position, stream_id, version, event_id, type_name, schema, data, metadata,
     occurred_at, recorded_at, prev_hash, row_hash) = row
    return _new_tuple(StoredEvent, (position, stream_id, version, event_id, type_name, schema,
                                    decode_json(data), metadata, occurred_at, recorded_at,
                                    prev_hash, row_hash))


class ChainAudit:
    """Walks the rows in position order and notes every break in the chain."""

    def __init__(self) -> None:
        self.events = 0
        self.head = GENESIS_HASH
        self.problems: list[str] = []
        self.first_bad: int | None = None
        self._next_position = 1
        self._versions: dict[object, int] = {}

    def check(self, row: Row) -> None:
        position, stream_id, version, prev_hash, stored_hash = (
            row[0], row[1], row[2], row[10], row[11])
        if position == self._next_position:
            self._next_position += 1
        else:
            self._check_position(position)
        if prev_hash != self.head:
            self._note(position, "it does not link to the event before it (removed or inserted?)")
        if hash_or_none(row) != stored_hash:
            self._note(position, "hash does not match its content (edited?)")
        last = self._versions.get(stream_id, 0)
        if version != last + 1:
            self._note(position, f"{stream_id!r} version {version!r} does not follow {last}")
        self._versions[stream_id] = version if isinstance(version, int) else last + 1
        self.head = stored_hash
        self.events += 1

    def _check_position(self, position: int) -> None:
        expected = self._next_position
        if position > expected + 1:
            self._note(expected, f"positions {expected} to {position - 1} are missing (deleted?)")
        elif position == expected + 1:
            self._note(expected, f"position {expected} is missing (deleted?)")
        elif position < expected:
            self._note(position, "it is out of sequence (inserted?)")
        self._next_position = max(expected, position + 1)

    def _note(self, position: int, text: str) -> None:
        if self.first_bad is None or position < self.first_bad:
            self.first_bad = position
        self.problems.append(f"position {position}: {text}")

    def report(self, schema_problems: list[str]) -> ChainReport:
        problems = self.problems[:_MAX_PROBLEMS]
        if len(self.problems) > _MAX_PROBLEMS:
            problems.append(f"... and {len(self.problems) - _MAX_PROBLEMS} more problems")
        problems += schema_problems
        return ChainReport(not problems, self.events, self.head, problems, self.first_bad)


def audit_rows(rows: Iterable[Row], replay: Replay | None = None) -> ChainAudit:
    """Check every row of the log into a ChainAudit and, with ``replay``, hand each one to
    it as well, its data decoded (one read of the log for both; see EventStore.check_chain).
    Rows the replay leaves unread are still checked."""
    audit = ChainAudit()
    rows = iter(rows)
    if replay is not None:
        replay(_audited(rows, audit))
    for row in rows:
        audit.check(row)
    return audit


def _audited(rows: Iterator[Row], audit: ChainAudit) -> Iterator[ReplayRow]:
    for row in rows:
        audit.check(row)
        yield (row[1], row[2], row[3], row[4], row[5], decode_json(row[6]), row[8], row[9])


def hash_or_none(row: Row) -> str | None:
    """The hash a row should carry given its stored prev_hash (None if a column was
    tampered into a type JSON cannot hold, such as a BLOB)."""
    try:
        return event_hash(row[10], row[:10])
    except (TypeError, ValueError):
        return None
