"""What happens after a firing is committed: a line on stdout, a desktop notification and
the ``--hook`` command.

The line is printed by the firing itself (it is quick). The desktop notification and the
hook run on a bounded executor of their own (HOOK_WORKERS threads), so a slow hook never
delays another firing: at worst, later notifications wait for a free worker. A hook runs
in a process group of its own; when its time is up (``hook_timeout``), the whole group is
killed, children included. Its output is read in chunks and only the last OUTPUT_CAP bytes
of each stream are kept (for the last line of its stderr in a failure report): a hook that
prints a gigabyte costs a gigabyte of reading, never of memory.
"""

from __future__ import annotations

import contextlib
import html
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import IO, TYPE_CHECKING, TextIO

import attrs

from afterview.engine.domain.events import JsonObject
from afterview.engine.domain.state import Task
from afterview.engine.io.text import json_text, one_line

if TYPE_CHECKING:
    from afterview.engine.views.digest import Digest

HOOK_TIMEOUT_SECONDS = 30.0
DESKTOP_TIMEOUT_SECONDS = 5.0
HOOK_WORKERS = 4
OUTPUT_CAP = 64 * 1024
_CHUNK = 8192

TaskJson = Callable[[Task, datetime], JsonObject]
DigestJson = Callable[["Digest", datetime], JsonObject]

_OUTPUT_LOCK = threading.Lock()


def say(line: str, stream: TextIO | None = None) -> None:
    """One whole, flushed line (journald reads a pipe, which Python would buffer); several
    worker threads write, so lines are never interleaved."""
    with _OUTPUT_LOCK:
        print(line, file=stream or sys.stdout, flush=True)


def log(line: str) -> None:
    """A diagnostic line on stderr (started, stopped, a failing hook)."""
    say(line, sys.stderr)


def digest_line(digest: Digest) -> str:
    """``digest 2026-11-20: 2 overdue, 1 due today, 1 interview``"""
    interviews = len(digest.interviews)
    return (f"digest {digest.day.isoformat()}: {len(digest.overdue)} overdue, "
            f"{len(digest.today)} due today, {interviews} interview{'' if interviews == 1 else 's'}")


def digest_items(digest: Digest) -> list[str]:
    """One line per item, for the desktop notification."""
    return ([f"overdue: {t.title} ({t.id})" for t in digest.overdue]
            + [f"today {t.due_at:%H:%M}: {t.title} ({t.id})" for t in digest.today]
            + [f"interview {i.at:%H:%M}: {i.company}, round {i.round}" for i in digest.interviews])


def firing_line(task: Task, fired_at: datetime) -> str:
    """``2026-11-20T10:00:00-05:00 fired thank-you-ab12cd34 acme-backend-engineer: Send ...``
    (typed text and ids on one line, control characters shown as their escapes)."""
    return (f"{fired_at.isoformat(timespec='seconds')} fired {one_line(task.id)} "
            f"{one_line(task.application)}: {one_line(task.title)}")


def parse_hook(command: str | None) -> tuple[str, ...]:
    """``--hook CMD`` split as a shell would split it, to be run without a shell.
    Raises ValueError with a message for a person."""
    if command is None:
        return ()
    import shlex

    try:
        argv = tuple(shlex.split(command))
    except ValueError as error:
        raise ValueError(f"--hook {command!r} cannot be split into words: {error}") from None
    if not argv:
        raise ValueError("--hook is empty: give the command to run, such as 'notify.sh'")
    return argv


# ---------------------------------------------------------------------------
# Running one hook


class _Tail:
    """Reads a pipe to its end in chunks, keeping only the last ``cap`` bytes."""

    def __init__(self, stream: IO[bytes], cap: int = OUTPUT_CAP) -> None:
        self.kept = bytearray()
        self.total = 0
        self._cap = cap
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            fd = stream.fileno()
            while chunk := os.read(fd, _CHUNK):
                self.total += len(chunk)
                self.kept += chunk
                if len(self.kept) > self._cap:
                    del self.kept[: len(self.kept) - self._cap]
        with contextlib.suppress(OSError):
            stream.close()

    def done(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for the end of the output (every writer closed it)."""
        self._thread.join(max(timeout, 0.0))
        return not self._thread.is_alive()

    def last_line(self) -> str:
        text = bytes(self.kept).decode("utf-8", "replace")
        lines = [line for line in text.splitlines() if line.strip()]
        return f": {one_line(lines[-1].strip())[:200]}" if lines else ""


@attrs.frozen
class HookRun:
    """How a hook ended: its exit status (None when it was stopped), whether its time ran
    out, and the last line of its stderr."""

    status: int | None
    timed_out: bool
    stderr_tail: str
    output_bytes: int


def _feed(stream: IO[bytes] | None, payload: bytes) -> None:
    if stream is None:
        return
    with contextlib.suppress(OSError):  # a hook need not read its input
        stream.write(payload)
    with contextlib.suppress(OSError):
        stream.close()


def run_hook(argv: tuple[str, ...], payload: str, timeout: float) -> HookRun:
    """Run ``argv`` with ``payload`` on its stdin, in a new session (its own process group);
    at ``timeout`` seconds, kill the group if the hook, or a child still holding its output,
    is running. Raises OSError when it cannot be started."""
    deadline = time.monotonic() + timeout
    process = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    out, err = _Tail(process.stdout), _Tail(process.stderr)  # type: ignore[arg-type]
    threading.Thread(target=_feed, args=(process.stdin, (payload + "\n").encode()),
                     daemon=True).start()
    status: int | None
    try:
        status = process.wait(max(deadline - time.monotonic(), 0.0))
    except subprocess.TimeoutExpired:
        status = None
    # A child that inherited the output keeps it open: it is part of the hook's work.
    finished = all(tail.done(deadline - time.monotonic()) for tail in (out, err))
    timed_out = status is None or not finished
    if timed_out:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        status = process.wait() if status is None else status
        for tail in (out, err):
            tail.done(1.0)
    return HookRun(None if timed_out else status, timed_out, err.last_line(),
                   out.total + err.total)


# ---------------------------------------------------------------------------
# Notifying


@attrs.define
class Notifier:
    """What happens after a firing is committed.

    ``lines`` is ``"text"`` (one line per firing), ``"json"`` (one JSON object per line) or
    ``"none"`` (the caller prints, as ``tick --json`` does). Call ``close`` when done: it
    waits for the notifications still running.
    """

    to_json: TaskJson
    hook: tuple[str, ...] = ()
    desktop: bool = True
    lines: str = "text"
    hook_timeout: float = HOOK_TIMEOUT_SECONDS
    digest_json: DigestJson | None = None
    _executor: ThreadPoolExecutor | None = attrs.field(default=None, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def notify(self, task: Task, fired_at: datetime, tenant: str | None = None) -> None:
        """Tell the person; never raises: a failure is one line on stderr. The line is
        printed now; the desktop notification and the hook are queued. ``tenant``: whose
        log it fired in, in a database shared by many (the line starts with it, the JSON
        has it)."""
        if self.lines == "text":
            line = firing_line(task, fired_at)
            say(line if tenant is None else f"{one_line(tenant)} {line}")
        elif self.lines == "json":
            say(json_text(self._json(task, fired_at, tenant)))
        if self.desktop or self.hook:
            self._submit(self._side_effects, task, fired_at, tenant)

    def notify_digest(self, digest: Digest, sent_at: datetime, tenant: str | None = None) -> None:
        """Today's digest: one line now; one desktop notification and the hook (``"kind":
        "digest"``) queued; nothing for an empty digest. Never raises. ``tenant``: whose log
        it is, in a database shared by many (the line starts with it, the JSON has it)."""
        if digest.empty:
            return
        payload = (self.digest_json(digest, sent_at) if self.digest_json is not None else
                   {"kind": "digest", "date": digest.day.isoformat(),
                    "overdue": [t.id for t in digest.overdue],
                    "today": [t.id for t in digest.today]})
        if tenant is not None:
            payload = {"tenant": tenant, **payload}
        if self.lines == "text":
            line = f"{sent_at.isoformat(timespec='seconds')} {digest_line(digest)}"
            say(line if tenant is None else f"{one_line(tenant)} {line}")
        elif self.lines == "json":
            say(json_text(payload))
        if self.desktop or self.hook:
            self._submit(self._digest_side_effects, digest, payload)

    def _digest_side_effects(self, digest: Digest, payload: JsonObject) -> None:
        what = f"the {digest.day.isoformat()} digest"
        try:
            if self.desktop:
                self._send_desktop("afterview: " + digest_line(digest),
                                   "\n".join(one_line(i) for i in digest_items(digest)), what)
            if self.hook:
                self._run_hook_payload(json_text(payload), what)
        except Exception as error:  # a notification never stops the daemon
            log(f"notifying {what} failed: {one_line(str(error))}")

    def _submit(self, work: Callable[..., None], *args: object) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(HOOK_WORKERS,
                                                    thread_name_prefix="afterview-hook")
            executor = self._executor
        with contextlib.suppress(RuntimeError):  # closed: the daemon is stopping
            executor.submit(work, *args)

    def close(self, *, drop_waiting: bool = False) -> None:
        """Wait for the running notifications (and the queued ones, unless
        ``drop_waiting``: a stopping daemon does not start new hooks)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=drop_waiting)

    def _json(self, task: Task, fired_at: datetime, tenant: str | None) -> JsonObject:
        found = self.to_json(task, fired_at)
        return found if tenant is None else {"tenant": tenant, **found}

    def _side_effects(self, task: Task, fired_at: datetime, tenant: str | None) -> None:
        try:
            if self.desktop:
                self._desktop(task)
            if self.hook:
                self._run_hook(task, fired_at, tenant)
        except Exception as error:  # a notification never stops the daemon
            log(f"notifying {one_line(task.id)} failed: {one_line(str(error))}")

    def _desktop(self, task: Task) -> None:
        self._send_desktop(
            one_line(task.title),
            f"{task.application}: due {task.due_at:%Y-%m-%d %H:%M} ({task.id})", task.id)

    def _send_desktop(self, title: str, text: str, what: str) -> None:
        program = shutil.which("notify-send")
        if program is None:
            return
        # Separate argv items and no shell: a title is text, never a command. "--" ends the
        # options, so a title starting with "-" is still a title. The body is markup.
        argv = [program, "--app-name=afterview", "--", title, html.escape(text, quote=False)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True,
                                  timeout=DESKTOP_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.SubprocessError) as error:
            log(f"desktop notification failed for {one_line(what)}: {one_line(str(error))}")
            return
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            last = f": {one_line(lines[-1])[:200]}" if lines else ""
            log(f"desktop notification failed for {one_line(what)}: notify-send exited "
                f"with status {done.returncode}{last}")

    def _run_hook(self, task: Task, fired_at: datetime, tenant: str | None) -> None:
        self._run_hook_payload(json_text(self._json(task, fired_at, tenant)), task.id)

    def _run_hook_payload(self, payload: str, what: str) -> None:
        where = f"hook {one_line(self.hook[0])!r} failed for {one_line(what)}"
        try:
            ran = run_hook(self.hook, payload, self.hook_timeout)
        except OSError as error:
            log(f"{where}: it could not be started ({one_line(error.strerror or str(error))})")
            return
        if ran.timed_out:
            log(f"{where}: still running after {self.hook_timeout:g} s, stopped (with every "
                f"process it started){ran.stderr_tail}")
        elif ran.status:
            log(f"{where}: exited with status {ran.status}{ran.stderr_tail}")
