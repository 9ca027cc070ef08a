"""The daemon: fires tasks as they fall due, and tells the person.

APScheduler's jobs are a cache of the log, kept in memory only. They are reconciled from the
log at start and whenever another process commits (the store's change token, polled every
few seconds): one date job per open task that has not fired at its current due time, keyed by the
task id. A task planned for a due time is never planned again for that due time, so a job
waiting in the executor's queue is not added twice however often the log changes. A job
opens its own connection in its worker thread, records ``TaskFired`` (whose event id is
derived from the task id and due time, under UNIQUE: a restart or a second daemon cannot
fire a task twice), commits, and only then notifies (runtime/hooks.py). ``tick`` uses the
same notifier for one pass.

Each poll also checks that the database file is the one it opened: a file replaced under it
is re-opened, a file deleted stops it with exit status 1 (never an empty log made in its
place). An error (the log cannot be read, a firing fails) is logged once and retried less
and less often, never in a tight loop.

This is the shell: it reads the clock (through the engine), the database and the PATH.
APScheduler is imported only when the daemon runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NamedTuple

from afterview.engine.domain.state import Task
from afterview.engine.io.text import one_line
from afterview.engine.runtime.hooks import (
    HOOK_TIMEOUT_SECONDS,
    Notifier,
    firing_line,
    log,
    parse_hook,
    say,
)

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from afterview.engine.service.api import DueTask, Engine, OpenTasks
    from afterview.engine.store.base import EventStore
    from afterview.engine.views.digest import Digest

__all__ = ["HOOK_TIMEOUT_SECONDS", "Daemon", "Notifier", "fire_once", "firing_line",
           "parse_hook", "say", "tick"]

RETRY_SECONDS = 30.0  # after a firing failed (database busy, disk full); doubles each time
MAX_BACKOFF_SECONDS = 3600.0  # the longest wait between two attempts after an error
RESYNC_SECONDS = 300.0  # a full reconcile even when nothing changed, to retry what failed
WATCH_JOB_ID = "afterview:watch-log"
FIRE_WORKERS = 1  # a firing is a short write: more threads would only wait on the write lock
EXIT_DATABASE_GONE = 1


def _engine(store: EventStore) -> Engine:
    """A fresh engine per pass: an Engine caches the settings, which may have changed."""
    from afterview.engine.service.api import Engine
    from afterview.engine.service.unit_of_work import Actor

    return Engine(store, actor=Actor.DAEMON)


def _open_store(db: str | Path) -> EventStore:
    """The daemon's stores come from open_store, like every other command's: ``db`` is a path
    or a store URL. A database file must exist: the daemon never creates an empty one."""
    from afterview.engine.store import open_store
    from afterview.engine.store.base import StoreError
    from afterview.engine.store.open import sqlite_path

    path = sqlite_path(db)
    if path is not None and not path.exists():
        raise StoreError(f"the database {path} is missing")
    return open_store(db)


def _identity(path: Path | None) -> tuple[int, int] | None:
    """Which file ``path`` names (device and inode), or None when there is none."""
    if path is None:
        return None
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


class _Backoff:
    """An error is logged once and retried after a wait that doubles, up to an hour."""

    def __init__(self, first: float) -> None:
        self.first = first
        self.wait = 0.0
        self.failing: str | None = None
        self.resume_at = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self.resume_at

    def failed(self, what: str, message: str) -> None:
        self.wait = min(max(self.wait * 2, self.first), MAX_BACKOFF_SECONDS)
        self.resume_at = time.monotonic() + self.wait
        if message != self.failing:
            log(f"{what}: {message}; trying again in {self.wait:g} s, then less often "
                "(said once)")
        self.failing = message

    def succeeded(self, what: str) -> None:
        if self.failing is not None:
            log(what)
        self.wait, self.failing, self.resume_at = 0.0, None, 0.0


class Changes(NamedTuple):
    """What one reconcile asks of the jobs (``PlannedTasks.compare``)."""

    wanted: dict[str, DueTask]  # the open, unfired tasks read, by id
    gone: list[str]  # planned tasks no longer wanted (closed, fired, gone)
    moved: list[DueTask]  # wanted tasks planned for another due time, or not at all


class PlannedTasks:
    """The tasks a daemon made jobs for, with the due time each job was made for, kept by
    application too: a change is compared with its own application's jobs only, so it
    costs the same with 10 or 100,000 tasks planned. The caller holds its own lock."""

    def __init__(self) -> None:
        self.due: dict[str, datetime] = {}  # task id -> the due time its job was made for
        self._application: dict[str, str] = {}  # task id -> its application
        self._of: dict[str, list[str]] = {}  # application -> its task ids (a list: most have
        # one task, and a set costs three times the memory)

    def add(self, task: DueTask) -> None:
        self.due[task.id] = task.due_at
        self._application[task.id] = task.application
        tasks = self._of.setdefault(task.application, [])
        if task.id not in tasks:
            tasks.append(task.id)

    def forget(self, task_id: str) -> None:
        self.due.pop(task_id, None)
        application = self._application.pop(task_id, None)
        if application is None:
            return
        tasks = self._of.get(application, [])
        if task_id in tasks:
            tasks.remove(task_id)
        if not tasks:
            self._of.pop(application, None)

    def compare(self, read: OpenTasks) -> Changes:
        """What ``read`` (``Engine.open_tasks_since``) changes: only the applications it
        covers are looked at (every one when it covers all)."""
        wanted = {task.id: task for task in read.tasks if not task.fired}
        covered = read.applications
        candidates = self.due if covered is None else [
            task_id for application in covered for task_id in self._of.get(application, ())]
        gone = [task_id for task_id in candidates
                if task_id not in wanted and task_id in self.due]
        moved = [task for task in wanted.values() if self.due.get(task.id) != task.due_at]
        return Changes(wanted, gone, moved)


class Daemon:
    """Runs in the foreground until SIGTERM or SIGINT; see the module docstring."""

    def __init__(self, db_path: str | Path, notifier: Notifier, poll: float) -> None:
        from afterview.engine.store.open import sqlite_path

        self.db_path = db_path
        self._db_file = sqlite_path(db_path)  # None: a backend without a file
        self.notifier = notifier
        self.poll = poll
        self._scheduler: BlockingScheduler | None = None
        self._stopping = threading.Event()
        self._exit_status = 0
        # Touched only by the watch job, which always runs on the same single thread.
        self._watch_store: EventStore | None = None
        self._seen_token: object = None
        self._last_reconcile = 0.0
        self._reconciled_position = 0
        self._file: tuple[int, int] | None = _identity(self._db_file)
        self._missing_polls = 0
        self._reading = _Backoff(poll)
        # task id -> the due time its job was made for; firing threads drop an entry.
        self._planned = PlannedTasks()
        self._planned_lock = threading.Lock()
        # The open-task projection's position at the last reconcile (-1: reconcile in full).
        self._seen_position = -1
        self._firing_failures: dict[str, _Backoff] = {}
        # The firing thread's own connection, kept between firings; the watch job closes it
        # when the file is replaced.
        self._firing_lock = threading.Lock()
        self._firing_store: EventStore | None = None
        self._firing_file: tuple[int, int] | None = None
        self._firing_engine: Engine | None = None
        self._firing_generation = self._generation = 0  # the latter moves at each reconcile
        self._digest_day: date | None = None  # the day this daemon sent the digest of

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
        self.notifier.close(drop_waiting=True)
        log("afterview daemon stopped")
        return self._exit_status

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

    # -- watching the file and the log ----------------------------------------

    def _watch(self) -> None:
        """Reconcile when another connection has committed (or every RESYNC_SECONDS)."""
        if self._stopping.is_set():
            self._shutdown()
            return
        if not self._same_file() or not self._reading.ready():
            return
        try:
            if self._watch_store is None:
                self._watch_store = _open_store(self.db_path)
            store = self._watch_store
            self._send_digest(store)
            token = store.change_token()
            stale = time.monotonic() - self._last_reconcile > RESYNC_SECONDS
            if token == self._seen_token and not stale:
                return
            first = self._last_reconcile == 0.0
            self._seen_token = token  # read before reconciling: a later commit is seen
            if first or stale:
                self._seen_position = -1  # at start and every RESYNC_SECONDS: in full
            if first or stale or not self._only_firings_since_reconcile(store):
                self._reconciled_position = store.head()[0]
                self._reconcile(store, announce=first)
                self._last_reconcile = time.monotonic()
        except Exception as error:  # a daemon keeps going, backing off
            self._seen_token = None
            self._reading.failed("could not read the log", one_line(str(error)))
            return
        self._reading.succeeded("the log can be read again")

    def _send_digest(self, store: EventStore) -> None:
        """Today's digest, once, from workday_start on: the log says whether any daemon or
        tick sent it already (its event id is the day's)."""
        engine = _engine(store)
        if self._digest_day == engine.now().astimezone(engine.tz).date():
            return
        digest = engine.send_digest()
        if digest is not None:
            self.notifier.notify_digest(digest, engine.now())
            self._digest_day = digest.day

    def _only_firings_since_reconcile(self, store: EventStore) -> bool:
        """Whether every event since the last reconcile is a firing (ours, or another
        daemon's): the jobs need no change then, and 5,000 firings do not replay the log
        once per poll."""
        position = self._reconciled_position
        for stored in store.read_all(position):
            if stored.type != "TaskFired":
                return False
            position = stored.position
        self._reconciled_position = position
        return True

    def _same_file(self) -> bool:
        """False (and stopping after two polls) while the database file is missing; a file
        replaced under the daemon (a restored backup, a synced copy) is re-opened."""
        if self._db_file is None:
            return True
        found = _identity(self._db_file)
        if found is None:
            self._missing_polls += 1
            if self._missing_polls == 1:
                log(f"the database {self.db_path} is missing (deleted or moved); stopping "
                    "unless it is back at the next check")
            else:
                log(f"the database {self.db_path} is still missing; stopping (exit status "
                    f"{EXIT_DATABASE_GONE})")
                self._exit_status = EXIT_DATABASE_GONE
                self._stopping.set()
                self._shutdown()
            return False
        self._missing_polls = 0
        if found != self._file:
            log(f"the database {self.db_path} was replaced by another file; reading it now")
            self._file = found
            # Every connection to the old file is closed before the new one is opened: the
            # last to close takes the old file's -wal with it, which the new file must not
            # read as its own.
            with self._firing_lock:
                self._close_firing_store()
            if self._watch_store is not None:
                with contextlib.suppress(Exception):
                    self._watch_store.close()
            self._watch_store, self._seen_token = None, None
            self._last_reconcile = 0.0  # announce the new file in one line, not a line a task
            self._reading.resume_at = 0.0  # a new file is read at once, whatever failed before
        return True

    def _reconcile(self, store: EventStore, *, announce: bool) -> None:
        self._generation += 1
        engine = _engine(store)
        now = engine.now()
        # Only what changed since the last reconcile: the open tasks of the applications
        # whose projection moved past the position seen then (all of them when it is -1).
        read = engine.open_tasks_since(self._seen_position)
        with self._planned_lock:
            changes = self._planned.compare(read)
        for task_id in changes.gone:
            self._unplan(task_id)
        for task in sorted(changes.moved, key=lambda t: t.due_at):
            self._plan(task, now)
            if not announce:
                log(f"scheduled {one_line(task.id)} ({one_line(task.application)}) for "
                    f"{task.due_at.isoformat()}")
        if announce:
            due = sum(1 for task in changes.wanted.values() if task.due_at <= now)
            tasks = "open task" if len(changes.wanted) == 1 else "open tasks"
            log(f"{len(changes.wanted)} {tasks} scheduled, {due} due now")
        self._seen_position = read.position

    def _plan(self, task: DueTask, now: datetime) -> None:
        assert self._scheduler is not None
        # Due by the engine's clock (AFTERVIEW_NOW may differ from the wall clock): run now.
        run_at = task.due_at if task.due_at > now else datetime.now(UTC)
        with self._planned_lock:
            self._planned.add(task)
        self._scheduler.add_job(
            self._fire, "date", run_date=run_at, args=(task.application, task.id), id=task.id,
            name=task.id, replace_existing=True, misfire_grace_time=None, coalesce=True,
            max_instances=FIRE_WORKERS,
        )

    def _unplan(self, task_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        assert self._scheduler is not None
        self._forget(task_id)
        with contextlib.suppress(JobLookupError):  # it already ran
            self._scheduler.remove_job(task_id)

    def _forget(self, task_id: str) -> None:
        """The task is planned no more (its job removed, or run)."""
        with self._planned_lock:
            self._planned.forget(task_id)

    # -- firing ---------------------------------------------------------------

    def _fire(self, application_id: str, task_id: str) -> None:
        """In a worker thread: record the firing on a connection of its own, commit, then
        notify. Firing is idempotent, so a job run twice (or by two daemons) notifies once."""
        if self._stopping.is_set():
            return  # it stays unfired in the log and fires at the next start
        try:
            fired, fired_at = self._fire_on_this_thread(application_id, task_id)
        except Exception as error:
            backoff = self._firing_failures.setdefault(task_id, _Backoff(RETRY_SECONDS))
            backoff.failed(f"could not fire {one_line(task_id)}", one_line(str(error)))
            self._retry(application_id, task_id, backoff.wait)
            return
        failed_before = self._firing_failures.pop(task_id, None)
        if failed_before is not None:
            failed_before.succeeded(f"fired {one_line(task_id)} after all")
        if fired is None:
            # Not fired by this call: fired elsewhere or closed (the next reconcile drops it),
            # or not due by the engine's clock: then the next reconcile plans it again.
            self._forget(task_id)
            self._seen_position = -1  # its application may not change again: look at all
            return
        self.notifier.notify(fired, fired_at)

    def _fire_on_this_thread(self, application_id: str,
                             task_id: str) -> tuple[Task | None, datetime]:
        """Fire on the firing thread's own connection, opened on its first firing and kept
        (opening and closing one per firing cost more than the firing); re-opened when the
        database file was replaced, closed after an error."""
        with self._firing_lock:
            current = _identity(self._db_file)  # a stat: cheap beside the firing's fsync
            if self._firing_store is None or self._firing_file != current:
                self._close_firing_store()
                self._firing_store, self._firing_file = _open_store(self.db_path), current
            # An engine caches the settings: a new one after each reconcile (a setting may
            # have changed), the same one while only firings happen.
            if self._firing_engine is None or self._firing_generation != self._generation:
                self._firing_engine = _engine(self._firing_store)
                self._firing_generation = self._generation
            try:
                engine = self._firing_engine
                return engine.fire(application_id, task_id), engine.now()
            except Exception:
                self._close_firing_store()
                raise

    def _close_firing_store(self) -> None:
        """Close the firing connection (the caller holds the firing lock)."""
        store, self._firing_store, self._firing_engine = self._firing_store, None, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()

    def _retry(self, application_id: str, task_id: str, after: float) -> None:
        if self._scheduler is None or self._stopping.is_set():
            return
        run_at = datetime.now(UTC) + timedelta(seconds=after)
        self._scheduler.add_job(self._fire, "date", run_date=run_at,
                                args=(application_id, task_id), id=task_id, name=task_id,
                                replace_existing=True, misfire_grace_time=None, coalesce=True)


def fire_once(db_path: str | Path, application_id: str,
              task_id: str) -> tuple[Task | None, datetime]:
    """Open the log, fire the task if it is still due and unfired, close; the task as fired
    (None when it was not fired by this call) and the time of firing."""
    store = _open_store(db_path)
    try:
        engine = _engine(store)
        fired = engine.fire(application_id, task_id)
        return fired, engine.now()
    finally:
        store.close()


def tick(engine: Engine, notifier: Notifier) -> tuple[list[Task], Digest | None, datetime]:
    """One pass as of now: fire every open task that is due and notify for each; send
    today's digest if it is due and not sent yet (so cron users get it too); wait for the
    notifications to finish."""
    fired = engine.tick()
    now = engine.now()
    try:
        for task in fired:
            notifier.notify(task, now)
        digest = engine.send_digest()
        if digest is not None:
            notifier.notify_digest(digest, now)
    finally:
        notifier.close()
    return fired, digest, now


def _plain_scheduler_logs() -> None:
    """APScheduler's own messages as one plain line each on stderr, errors only (our jobs
    report their failures themselves)."""
    import logging
    import sys

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
