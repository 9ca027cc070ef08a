"""Every file a command writes (``-o/--output``, ``stats --svg``) goes through here.

- The database and its journals (``-wal``, ``-shm``, ``-journal``) are never a valid
  output: compared by resolved path and by (device, inode), so a symlink or a hard link
  to them is refused too.
- A regular file is written to a temporary file in the same folder, synced, and renamed
  into place: an existing file is replaced only by a complete new one, and on any failure
  (a full disk) the old file is untouched and the temporary file removed.
- A file the command creates is made private (0600); nothing else is ever chmodded. An
  existing file keeps its mode; a device or a pipe (``/dev/null``, ``/dev/stdout``) is
  written as it is, never replaced.
- ``-`` means stdout.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from afterview.engine.domain.state import InvalidValue

STDOUT = "-"
JOURNALS = ("", "-wal", "-shm", "-journal")

FORMAT_BY_SUFFIX = {".json": "json", ".csv": "csv", ".ics": "ics", ".md": "md", ".svg": "svg"}


class OutputError(InvalidValue):
    """The output file could not be written; the old one, if any, is untouched."""


def is_stdout(path: str | os.PathLike[str] | None) -> bool:
    return path is None or os.fspath(path) == STDOUT


def format_for(path: str | os.PathLike[str] | None, given: str | None, allowed: Iterable[str],
               default: str, option: str = "--format") -> str:
    """The format to write: ``given``, else the one the file's extension names, else
    ``default``. An extension naming another known format than ``given`` is refused."""
    allowed = tuple(allowed)
    name = "" if is_stdout(path) else Path(os.fspath(path or "")).name
    named = FORMAT_BY_SUFFIX.get(Path(name).suffix.lower())
    if given is None:
        return named if named in allowed else default
    if named is not None and named != given:
        raise InvalidValue(f"{option} {given} contradicts the file name {name!r}, which says "
                           f"{named}: name the file .{given}, or leave {option} out")
    return given


def refuse_protected(path: Path, protected: Iterable[Path]) -> None:
    """Refuse ``path`` if it is (by path or by inode) one of ``protected`` or its journals."""
    target = path.resolve()
    try:
        found = os.stat(target)
        identity: tuple[int, int] | None = (found.st_dev, found.st_ino)
    except OSError:
        identity = None
    for base in protected:
        for suffix in JOURNALS:
            guarded = Path(f"{base}{suffix}")
            same = target == guarded.resolve()
            if not same and identity is not None:
                with contextlib.suppress(OSError):
                    other = os.stat(guarded)
                    same = (other.st_dev, other.st_ino) == identity
            if same:
                what = "the database" if not suffix else f"the database's {suffix[1:]} file"
                raise InvalidValue(f"{path} is {what} ({base}): writing there would destroy "
                                   "the log; choose another file")


@contextlib.contextmanager
def written(path: str | os.PathLike[str] | None, *,
            protected: Iterable[Path] = ()) -> Iterator[TextIO]:
    """A text stream to write the output to; on a clean exit it is in place."""
    if is_stdout(path):
        yield sys.stdout
        return
    assert path is not None
    target = Path(os.fspath(path))
    refuse_protected(target, protected)
    real = target.resolve()
    try:
        existing: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror}") from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise InvalidValue(f"{target} is a folder: give a file name")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with _opened_as_is(target) as out:  # a device or a pipe: written, never replaced
            yield out
        return
    if existing is not None and not os.access(real, os.W_OK):
        # A rename would replace a file you made read-only: honour its mode instead.
        raise OutputError(f"cannot write {target}: it is read-only (mode "
                          f"{stat.S_IMODE(existing.st_mode):04o}); choose another file")
    with _replacing(target, real, existing) as out:
        yield out


@contextlib.contextmanager
def _opened_as_is(target: Path) -> Iterator[TextIO]:
    try:
        out = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror}") from None
    with out:
        yield out


@contextlib.contextmanager
def _replacing(target: Path, real: Path, existing: os.stat_result | None) -> Iterator[TextIO]:
    try:
        # mkstemp creates the file 0600 whatever the umask.
        fd, temp_name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror}") from None
    temp = Path(temp_name)
    try:
        with open(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
            if existing is not None:  # the new file keeps the old one's mode and owner
                os.fchmod(out.fileno(), stat.S_IMODE(existing.st_mode))
                if (existing.st_uid, existing.st_gid) != (os.getuid(), os.getgid()):
                    with contextlib.suppress(OSError):
                        os.fchown(out.fileno(), existing.st_uid, existing.st_gid)
        os.replace(temp, real)
    except OSError as error:
        temp.unlink(missing_ok=True)
        kept = " (the old file is untouched)" if existing is not None else ""
        raise OutputError(f"cannot write {target}: {error.strerror or error}{kept}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_folder(real.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; a folder that cannot be synced is left as is."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
