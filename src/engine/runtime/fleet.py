"""Daemons over many people's logs in one PostgreSQL database (``daemon --all-tenants``).

Tenants hash to 64 shards. Each daemon claims shards with session advisory locks, sharing
them evenly with the other live daemons; when one dies, PostgreSQL drops its locks with its
connection and the others claim its shards at their next pass, within two poll intervals.
A pass (every ``poll`` seconds, and at once when LISTEN hears a commit in one of its shards)
reads the head of every tenant it serves in one query and reconciles those whose head
moved: one APScheduler date job per open task that has not fired, keyed ``tenant/task``;
APScheduler stays a cache of the logs. A job fires as the single-log daemon does
(``Engine.fire``): the TaskFired event id is derived from the task and unique per tenant,
so a shard handed over mid-firing never fires a task twice, and only the daemon whose
append succeeded notifies.

``daemon --tenant NAME`` on PostgreSQL runs the same loop for that one tenant, outside the
shards (it claims none and is not counted among the daemons that share them).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from afterview.engine.io.text import one_line
from afterview.engine.runtime.daemon import RESYNC_SECONDS, RETRY_SECONDS, PlannedTasks
from afterview.engine.runtime.hooks import Notifier, log

# Firings of different tenants never wait for each other (each tenant has its own lock).
FIRE_WORKERS = 4

DIGEST_CHECK_SECONDS = 60.0
"""How often a tenant's log is asked whether its digest is due (not every poll)."""

if TYPE_CHECKING:
    from types import FrameType

    from apscheduler.schedulers.background import BackgroundScheduler

    from afterview.engine.service.api import DueTask
    from afterview.engine.store.base import ShardClaims, SharedLogs


class Fleet:
    """One of the daemons sharing a PostgreSQL database; see the module docstring."""

    def __init__(self, url: str, notifier: Notifier, poll: float, tenant: str | None = None) -> None:
        """``tenant``: serve that tenant only (``daemon --tenant``), outside the shards."""
        self.url = url
        self.tenant = tenant
        self.notifier = notifier
        self.poll = poll
        self._stopping = threading.Event()
        self._held: frozenset[int] = frozenset()  # replaced whole: worker threads read it
        self._heads: dict[str, int] = {}  # tenant -> the head its jobs were planned from
        self._planned: dict[str, PlannedTasks] = defaultdict(PlannedTasks)  # by tenant
        # tenant -> the projection position its last reconcile read up to (-1: read all)
        self._seen: dict[str, int] = {}
        self._last_full = 0.0
        self._digest_days: dict[str, date] = {}  # tenant -> the day its digest went out
        self._digest_checked: dict[str, float] = {}  # tenant -> when it was last looked at
        self._scheduler: BackgroundScheduler | None = None
        self._logs: SharedLogs | None = None

    def run(self) -> int:
        """Serve shards until SIGTERM or SIGINT; the exit status."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        from afterview.engine.runtime.daemon import _plain_scheduler_logs
        from afterview.engine.store.open import open_shared_logs

        _plain_scheduler_logs()
        self._logs = open_shared_logs(self.url, FIRE_WORKERS + 1)
        self._scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(FIRE_WORKERS)},
            job_defaults={"misfire_grace_time": None, "coalesce": True})
        self._install_signal_handlers()
        self._scheduler.start()
        serving = (f"tenant {self.tenant}" if self.tenant else "every tenant, sharing the "
                   "shards with the other daemons")
        log(f"afterview daemon started: {self._logs.where}, {serving}, checking every "
            f"{self.poll:g} s")
        try:
            self._serve()
        finally:
            self._scheduler.shutdown(wait=True)  # running firings finish and notify
            self.notifier.close(drop_waiting=True)
            self._logs.close()
        log("afterview daemon stopped")
        return 0

    def _install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            if not self._stopping.is_set():
                log(f"afterview daemon: {signal.Signals(signum).name} received, stopping")
            self._stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def _serve(self) -> None:
        from afterview.engine.store.base import StoreError
        from afterview.engine.store.open import open_shard_claims

        coordinator: ShardClaims | None = None
        while not self._stopping.is_set():
            try:
                if coordinator is None:
                    coordinator = open_shard_claims(self.url, member=self.tenant is None)
                self._pass(coordinator)
                self._wait(coordinator)
            except StoreError as error:  # the database went away: the locks went with it
                log(f"lost the database: {one_line(str(error))}; trying again in {self.poll:g} s")
                self._let_go_of_everything()
                if coordinator is not None:
                    coordinator.close()
                    coordinator = None
                self._stopping.wait(self.poll)
        if coordinator is not None:
            coordinator.close()

    def _wait(self, coordinator: ShardClaims) -> None:
        """Until the next pass: ``poll`` seconds, or a commit to a log this daemon serves."""
        deadline = time.monotonic() + self.poll
        while not self._stopping.is_set() and (left := deadline - time.monotonic()) > 0:
            # Short waits, so a signal is acted on within half a second.
            committed = coordinator.wait(min(left, 0.5))
            if any(self._serves(tenant) for tenant in committed):
                return

    def _serves(self, tenant: str) -> bool:
        from afterview.engine.store.base import shard_of

        return tenant == self.tenant if self.tenant else shard_of(tenant) in self._held

    # -- shards -----------------------------------------------------------------

    def _pass(self, coordinator: ShardClaims) -> None:
        if self.tenant is None:
            self._balance(coordinator)
        heads = coordinator.heads(sorted(self._held), self.tenant)
        for tenant in [t for t in self._planned if t not in heads]:
            self._drop_tenant(tenant)
        full = time.monotonic() - self._last_full > RESYNC_SECONDS
        for tenant, head in sorted(heads.items()):
            if full or self._heads.get(tenant) != head:
                self._reconcile(tenant, head, full)
        if full:
            self._last_full = time.monotonic()
        for tenant in sorted(heads):
            self._send_digest(tenant)

    def _balance(self, coordinator: ShardClaims) -> None:
        """Hold an even share of the shards: give back what is over it, claim free ones."""
        from afterview.engine.store.base import SHARDS

        share = -(-SHARDS // coordinator.members())
        held = set(self._held)
        over = sorted(held, reverse=True)[: max(0, len(held) - share)]
        for shard in over:
            coordinator.release(shard)
            held.discard(shard)
        claimed = []
        for shard in range(SHARDS):
            if len(held) >= share:
                break
            if shard not in held and coordinator.claim(shard):
                held.add(shard)
                claimed.append(shard)
        self._held = frozenset(held)
        if over or claimed:
            log(f"shards: claimed {_ranges(claimed)}, gave back {_ranges(over)}; "
                f"holding {len(held)} of {SHARDS}")

    def _let_go_of_everything(self) -> None:
        self._held = frozenset()
        for tenant in list(self._planned):
            self._drop_tenant(tenant)

    # -- one tenant ----------------------------------------------------------------

    def _reconcile(self, tenant: str, head: int, full: bool) -> None:
        """Only what changed in the tenant's log since its last reconcile (the open-task
        projection past the position read then), everything when ``full``."""
        from afterview.engine.service.api import Engine

        assert self._logs is not None
        try:
            engine = Engine(self._logs.store(tenant), actor="daemon")
            now = engine.now()
            read = engine.open_tasks_since(-1 if full else self._seen.get(tenant, -1))
        except Exception as error:  # one tenant's trouble never stops the others
            log(f"{tenant}: could not read the log: {one_line(str(error))}")
            return
        changes = self._planned[tenant].compare(read)
        moved = {task.id for task in changes.moved}
        for task_id in changes.gone:
            self._unplan(tenant, task_id)
        for task in changes.wanted.values():
            if task.id in moved or self._job_missing(tenant, task.id):
                self._plan(tenant, task, now)
        self._heads[tenant], self._seen[tenant] = head, read.position

    def _send_digest(self, tenant: str) -> None:
        """The tenant's digest of the day, once, from its workday_start on: its event id is
        the day's, unique in the tenant's log, so a daemon that took the shard over, or a
        tick, never sends it twice."""
        from afterview.engine.service.api import Engine

        assert self._logs is not None
        # Looked at once a minute at most: thousands of tenants are not read every poll.
        if time.monotonic() - self._digest_checked.get(tenant, -DIGEST_CHECK_SECONDS) < (
                DIGEST_CHECK_SECONDS):
            return
        self._digest_checked[tenant] = time.monotonic()
        try:
            engine = Engine(self._logs.store(tenant), actor="daemon")
            now = engine.now()
            if self._digest_days.get(tenant) == now.astimezone(engine.tz).date():
                return
            digest = engine.send_digest()
        except Exception as error:  # one tenant's trouble never stops the others
            log(f"{tenant}: could not send the digest: {one_line(str(error))}")
            return
        if digest is not None:
            self.notifier.notify_digest(digest, now, tenant)
            self._digest_days[tenant] = digest.day

    def _job_missing(self, tenant: str, task_id: str) -> bool:
        assert self._scheduler is not None
        return self._scheduler.get_job(f"{tenant}/{task_id}") is None

    def _plan(self, tenant: str, task: DueTask, now: datetime) -> None:
        assert self._scheduler is not None
        run_at = task.due_at if task.due_at > now else datetime.now(UTC)
        self._schedule(tenant, task.application, task.id, run_at)
        self._planned[tenant].add(task)

    def _schedule(self, tenant: str, application_id: str, task_id: str, run_at: datetime) -> None:
        assert self._scheduler is not None
        self._scheduler.add_job(
            self._fire, "date", run_date=run_at, args=(tenant, application_id, task_id),
            id=f"{tenant}/{task_id}", replace_existing=True, misfire_grace_time=None,
            coalesce=True, max_instances=FIRE_WORKERS)

    def _unplan(self, tenant: str, task_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        assert self._scheduler is not None
        self._planned[tenant].forget(task_id)
        with contextlib.suppress(JobLookupError):  # it already ran
            self._scheduler.remove_job(f"{tenant}/{task_id}")

    def _drop_tenant(self, tenant: str) -> None:
        """Its shard went to another daemon: its jobs are that daemon's now."""
        for task_id in list(self._planned[tenant].due):
            self._unplan(tenant, task_id)
        self._planned.pop(tenant, None)
        self._heads.pop(tenant, None)
        self._seen.pop(tenant, None)

    def _fire(self, tenant: str, application_id: str, task_id: str) -> None:
        """In a worker thread: record the firing, then notify (once: see the docstring)."""
        from afterview.engine.service.api import Engine

        if self._stopping.is_set() or not self._serves(tenant) or self._logs is None:
            return  # left unfired in the log: whoever holds the shard fires it
        try:
            engine = Engine(self._logs.store(tenant), actor="daemon")
            fired, fired_at = engine.fire(application_id, task_id), engine.now()
        except Exception as error:
            log(f"{tenant}: could not fire {task_id}: {one_line(str(error))}; trying again in "
                f"{RETRY_SECONDS:g} s")
            if not self._stopping.is_set():
                self._schedule(tenant, application_id, task_id,
                               datetime.now(UTC) + timedelta(seconds=RETRY_SECONDS))
            return
        if fired is not None:
            self.notifier.notify(fired, fired_at, tenant)
        else:  # fired elsewhere, closed, or not due by the engine's clock: read it all again
            self._seen[tenant] = -1


def _ranges(shards: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``0-2, 5`` (``none`` for no shard)."""
    if not shards:
        return "none"
    parts: list[list[int]] = []
    for shard in sorted(shards):
        if parts and shard == parts[-1][-1] + 1:
            parts[-1].append(shard)
        else:
            parts.append([shard])
    return ", ".join(f"{p[0]}-{p[-1]}" if len(p) > 1 else str(p[0]) for p in parts)
