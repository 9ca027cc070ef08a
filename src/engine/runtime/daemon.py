"""The daemon: fires tasks as they fall due, and tells the person.

APScheduler's jobs are a cache of the log, kept in memory only. They are reconciled from the
log at start and whenever another process commits (the store's change token, polled every
few seconds): one date job per open task that has not fired at its current due time, keyed by the
task id. A job opens its own connection in its worker thread, records ``TaskFired`` (whose
event id is derived from the task id and due time, under UNIQUE: a restart or a second daemon
cannot fire a task twice), commits, and only then notifies: one line on stdout, a desktop
notification and the ``--hook`` command. ``tick`` uses the same notifier for one pass.

This is the shell: it reads the clock (through the engine), the database and the PATH.
APScheduler is imported only when the daemon runs.
"""

from __future__ import annotations

import contextlib
import html
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

import attrs

from afterview.engine.domain.events import JsonObject
from afterview.engine.domain.state import Task
from afterview.engine.io.text import json_text, one_line

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from afterview.engine.service.api import Engine
    from afterview.engine.store.base import EventStore

HOOK_TIMEOUT_SECONDS = 30.0
DESKTOP_TIMEOUT_SECONDS = 5.0
RETRY_SECONDS = 30.0  # after a firing failed (database busy, disk full)
RESYNC_SECONDS = 300.0  # a full reconcile even when nothing changed, to retry what failed
WATCH_JOB_ID = "afterview:watch-log"
FIRE_WORKERS = 4

TaskJson = Callable[[Task, datetime], JsonObject]

_OUTPUT_LOCK = threading.Lock()


def say(line: str, stream: TextIO | None = None) -> None:
    """One whole, flushed line (journald reads a pipe, which Python would buffer); several
    worker threads write, so lines are never interleaved."""
    with _OUTPUT_LOCK:
        print(line, file=stream or sys.stdout, flush=True)


def log(line: str) -> None:
    """A diagnostic line on stderr (started, stopped, a failing hook)."""
    say(line, sys.stderr)


def firing_line(task: Task, fired_at: datetime) -> str:
    """``2026-11-20T10:00:00-05:00 fired thank-you-ab12cd34 acme-backend-engineer: Send ...``
    (typed text and ids on one line, control characters shown as their escapes)."""
    return (f"{fired_at.isoformat(timespec='seconds')} fired {one_line(task.id)} "
            f"{one_line(task.application)}: {one_line(task.title)}")


# ---------------------------------------------------------------------------
# Notifying


@attrs.frozen
class Notifier:
    """What happens after a firing is committed.

    ``lines`` is ``"text"`` (one line per firing), ``"json"`` (one JSON object per line) or
    ``"none"`` (the caller prints, as ``tick --json`` does).
    """

    to_json: TaskJson
    hook: tuple[str, ...] = ()
    desktop: bool = True
    lines: str = "text"
    hook_timeout: float = HOOK_TIMEOUT_SECONDS

    def notify(self, task: Task, fired_at: datetime) -> None:
        """Tell the person; never raises: a failure is one line on stderr."""
        if self.lines == "text":
            say(firing_line(task, fired_at))
        elif self.lines == "json":
            say(json_text(self.to_json(task, fired_at)))
        if self.desktop:
            self._desktop(task)
        if self.hook:
            self._run_hook(task, fired_at)

    def _desktop(self, task: Task) -> None:
        program = shutil.which("notify-send")
        if program is None:
            return
        # Separate argv items and no shell: a title is text, never a command. "--" ends the
        # options, so a title starting with "-" is still a title. The body is markup.
        body = html.escape(f"{task.application}: due {task.due_at:%Y-%m-%d %H:%M} ({task.id})",
                           quote=False)
        argv = [program, "--app-name=afterview", "--", one_line(task.title), body]
        try:
            done = subprocess.run(argv, capture_output=True, text=True,
                                  timeout=DESKTOP_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.SubprocessError) as error:
            log(f"desktop notification failed for {task.id}: {one_line(str(error))}")
            return
        if done.returncode != 0:
            log(f"desktop notification failed for {task.id}: notify-send exited with "
                f"status {done.returncode}{_last_line(done.stderr)}")

    def _run_hook(self, task: Task, fired_at: datetime) -> None:
        payload = json_text(self.to_json(task, fired_at))
        where = f"hook {self.hook[0]!r} failed for {task.id}"
        try:
            done = subprocess.run(list(self.hook), input=payload + "\n", capture_output=True,
                                  text=True, timeout=self.hook_timeout, check=False)
        except subprocess.TimeoutExpired:
            log(f"{where}: still running after {self.hook_timeout:g} s, stopped")
            return
        except (OSError, subprocess.SubprocessError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            log(f"{where}: it could not be started ({one_line(reason)})")
            return
        if done.returncode != 0:
            log(f"{where}: exited with status {done.returncode}{_last_line(done.stderr)}")


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return f": {one_line(lines[-1].strip())[:200]}" if lines else ""


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
# The daemon


def _engine(store: EventStore) -> Engine:
    """A fresh engine per pass: an Engine caches the settings, which may have changed."""
    from afterview.engine.service.api import Engine
    from afterview.engine.service.unit_of_work import Actor

    return Engine(store, actor=Actor.DAEMON)


def _open_store(db: str | Path) -> EventStore:
    """The daemon's stores come from open_store, like every other command's: ``db`` is a path
    or a store URL."""
    from afterview.engine.store import open_store

    return open_store(db)


class Daemon:
    """Runs in the foreground until SIGTERM or SIGINT; see the module docstring."""

    def __init__(self, db_path: str | Path, notifier: Notifier, poll: float) -> None:
        self.db_path = db_path
        self.notifier = notifier
        self.poll = poll
        self._scheduler: BlockingScheduler | None = None
        self._stopping = threading.Event()
        # Touched only by the watch job, which always runs on the same single thread.
        self._watch_store: EventStore | None = None
        self._seen_token: object = None
        self._last_reconcile = 0.0
        self._planned: dict[str, datetime] = {}  # task id -> the due time its job was made for

    def run(self) -> int:
        """Block until stopped; the exit status (0: stopped by a signal)."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler

        _plain_scheduler_logs()
        scheduler = BlockingScheduler(
            timezone=UTC,
            # The watch job gets a single thread of its own: its connection stays on it.
            executors={"default": ThreadPoolExecutor(FIRE_WORKERS),
                       "watch": ThreadPoolExecutor(1)},
            job_defaults={"misfire_grace_time": None, "coalesce": True},
        )
        self._scheduler = scheduler
        scheduler.add_job(self._watch, "interval", seconds=self.poll, id=WATCH_JOB_ID,
                          executor="watch", max_instances=1, next_run_time=datetime.now(UTC))
        self._install_signal_handlers()
        log(f"afterview daemon started: database {self.db_path}, checking for changes every "
            f"{self.poll:g} s")
        if not self._stopping.is_set():
            scheduler.start()  # returns once shut down
        log("afterview daemon stopped")
        return 0

    # -- stopping -------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            if self._stopping.is_set():
                return
            self._stopping.set()
            # Not from inside the handler: the main thread may hold the scheduler's locks
            # (or the output lock).
            threading.Thread(target=self._on_signal, args=(signum,), daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def _on_signal(self, signum: int) -> None:
        log(f"afterview daemon: {signal.Signals(signum).name} received, stopping")
        self._shutdown()

    def _shutdown(self) -> None:
        from apscheduler.schedulers import SchedulerNotRunningError

        assert self._scheduler is not None
        # wait=False: the scheduler would hold its job-store lock while waiting, and a
        # running reconcile needs that lock. Running firings still finish: the worker threads
        # are joined when the interpreter exits. Not started yet: the watch job stops it.
        with contextlib.suppress(SchedulerNotRunningError):
            self._scheduler.shutdown(wait=False)

    # -- reconciling ----------------------------------------------------------

    def _watch(self) -> None:
        """Reconcile when another connection has committed (or every RESYNC_SECONDS)."""
        import time

        if self._stopping.is_set():
            self._shutdown()
            return
        try:
            if self._watch_store is None:
                self._watch_store = _open_store(self.db_path)
            token = self._watch_store.change_token()
            stale = time.monotonic() - self._last_reconcile > RESYNC_SECONDS
            if token == self._seen_token and not stale:
                return
            first = self._seen_token is None and self._last_reconcile == 0.0
            self._seen_token = token  # read before reconciling: a later commit is seen
            self._reconcile(self._watch_store, announce=first)
            self._last_reconcile = time.monotonic()
        except Exception as error:  # a daemon keeps going; the next poll tries again
            self._seen_token = None
            log(f"could not read the log: {one_line(str(error))}; trying again in {self.poll:g} s")

    def _reconcile(self, store: EventStore, *, announce: bool) -> None:
        engine = _engine(store)
        now = engine.now()
        wanted = {
            task.id: task for app in engine.applications() for task in app.open_tasks()
            if not task.fired
        }
        for task_id in [t for t in self._planned if t not in wanted]:
            self._unplan(task_id)
        changed = [task for task in wanted.values() if self._needs_job(task)]
        for task in sorted(changed, key=lambda t: t.due_at):
            self._plan(task, now)
            if not announce:
                log(f"scheduled {task.id} ({task.application}) for {task.due_at.isoformat()}")
        if announce:
            due = sum(1 for task in wanted.values() if task.due_at <= now)
            log(f"{len(wanted)} open tasks scheduled, {due} due now")

    def _needs_job(self, task: Task) -> bool:
        assert self._scheduler is not None
        return self._planned.get(task.id) != task.due_at or self._scheduler.get_job(task.id) is None

    def _plan(self, task: Task, now: datetime) -> None:
        assert self._scheduler is not None
        # Due by the engine's clock (AFTERVIEW_NOW may differ from the wall clock): run now.
        run_at = task.due_at if task.due_at > now else datetime.now(UTC)
        self._scheduler.add_job(
            self._fire, "date", run_date=run_at, args=(task.application, task.id), id=task.id,
            name=task.id, replace_existing=True, misfire_grace_time=None, coalesce=True,
            max_instances=FIRE_WORKERS,
        )
        self._planned[task.id] = task.due_at

    def _unplan(self, task_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        assert self._scheduler is not None
        self._planned.pop(task_id, None)
        with contextlib.suppress(JobLookupError):  # it already ran
            self._scheduler.remove_job(task_id)

    # -- firing ---------------------------------------------------------------

    def _fire(self, application_id: str, task_id: str) -> None:
        """In a worker thread: record the firing on a connection of its own, commit, then
        notify. Firing is idempotent, so a job run twice (or by two daemons) notifies once."""
        if self._stopping.is_set():
            return  # it stays unfired in the log and fires at the next start
        try:
            fired, fired_at = fire_once(self.db_path, application_id, task_id)
        except Exception as error:
            log(f"could not fire {task_id}: {one_line(str(error))}; trying again in "
                f"{RETRY_SECONDS:g} s")
            self._retry(application_id, task_id)
            return
        if fired is not None:
            self.notifier.notify(fired, fired_at)

    def _retry(self, application_id: str, task_id: str) -> None:
        if self._scheduler is None or self._stopping.is_set():
            return
        run_at = datetime.now(UTC) + timedelta(seconds=RETRY_SECONDS)
        self._scheduler.add_job(self._fire, "date", run_date=run_at,
                                args=(application_id, task_id), id=task_id, name=task_id,
                                replace_existing=True, misfire_grace_time=None, coalesce=True)


def fire_once(db_path: str | Path, application_id: str, task_id: str) -> tuple[Task | None, datetime]:
    """Open the log, fire the task if it is still due and unfired, close; the task as fired
    (None when it was not fired by this call) and the time of firing."""
    store = _open_store(db_path)
    try:
        engine = _engine(store)
        fired = engine.fire(application_id, task_id)
        return fired, engine.now()
    finally:
        store.close()


def tick(engine: Engine, notifier: Notifier) -> tuple[list[Task], datetime]:
    """One pass as of now: fire every open task that is due, then notify for each."""
    fired = engine.tick()
    now = engine.now()
    for task in fired:
        notifier.notify(task, now)
    return fired, now


def _plain_scheduler_logs() -> None:
    """APScheduler's own messages as one plain line each on stderr, errors only (our jobs
    report their failures themselves)."""
    import logging

    class OneLine(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += f": {record.exc_info[1]!r}"
            return f"scheduler: {one_line(message)}"

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    logger = logging.getLogger("apscheduler")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.ERROR)
    logger.propagate = False
