"""The engine's entry points: each use case is load, decide, append. The CLI and the daemon
call these and nothing below them.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

import attrs

from afterview.engine.domain.state import (
    PROFILE_STREAM,
    Application,
    DomainError,
    Fact,
    InvalidValue,
    Listed,
    Summary,
    Task,
    rebuild,
    view,
)
from afterview.engine.runtime.clock import Clock, system_clock
from afterview.engine.service import projections
from afterview.engine.service.ids import ApplicationIds, check_chosen_id, slug
from afterview.engine.service.projections import replaying_everything as _replaying_everything
from afterview.engine.service.projections import to_fact
from afterview.engine.service.unit_of_work import (
    COMMAND_KEPT_CHANGING,
    Actor,
    Pending,
    UnitOfWork,
    as_actor,
)
from afterview.engine.store.base import EventStore, StoredEvent

if TYPE_CHECKING:
    # The event classes are loaded by what decides or replays, never by reading projections.
    # Deciding (commands, policies, settings parsing) is imported only by the methods that
    # decide: reading commands (status, list, show) start faster without it.
    from afterview.engine.domain import decide as commands
    from afterview.engine.domain import events as ev
    from afterview.engine.domain.calendar import WorkCalendar
    from afterview.engine.domain.settings import Settings
    from afterview.engine.views.digest import Digest


class DueTask(NamedTuple):
    """An open task as the daemon plans it: read from the open-task projection."""

    id: str
    application: str
    due_at: datetime
    fired: bool


class OpenTasks(NamedTuple):
    """The open tasks of the applications that changed after a log position."""

    position: int  # what they reflect: pass it to the next call
    applications: frozenset[str] | None  # the applications they cover (None: every one)
    tasks: list[DueTask]


class Result(NamedTuple):
    """What a command did: the application after it, the facts appended, any warnings, and
    the state the command was decided on (None where it was not about one application's
    state), so a confirmation can say what changed without reading the log again."""

    application: Application
    facts: list[Fact]
    warnings: list[str]
    state_before: str | None = None


@attrs.define
class Engine:
    """One person's job search, over one store."""

    store: EventStore
    clock: Clock | None = None
    actor: Actor = attrs.field(default=Actor.CLI, converter=as_actor)
    _settings: Settings | None = None
    warn: Callable[[str], None] | None = None
    """Told once about each problem found on read (a stored setting that cannot be used)."""
    _warned: set[str] = attrs.field(factory=set, init=False)
    progress: projections.ProgressFor | None = None
    """Given a rebuild's number of events, what to tell of its progress (a bar, or None)."""

    # -- context -------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from afterview.engine.domain.settings import Settings

            values: dict[str, str | None] = {}
            days_off: set[date] = set()
            for stored in self.store.read_stream(PROFILE_STREAM):
                if stored.type == "SettingChanged":
                    values[stored.data["key"]] = stored.data["value"]
                elif stored.type == "DaysOffRecorded":
                    days_off.update(_days_between(stored.data["from"], stored.data["to"]))
            problems: list[str] = []
            self._settings = attrs.evolve(Settings.from_values(values, problems),
                                          recorded_days_off=frozenset(days_off))
            for problem in problems:
                self._warn(problem)
        return self._settings

    def _warn(self, message: str) -> None:
        if message in self._warned:
            return
        self._warned.add(message)
        if self.warn is not None:
            self.warn(message)
        else:
            import sys

            print(f"warning: {message}", file=sys.stderr)

    @property
    def tz(self) -> ZoneInfo:
        name = self.settings.timezone
        if name:
            return ZoneInfo(name)
        from afterview.engine.domain.calendar import local_zone  # reads the machine

        return local_zone()

    def now(self) -> datetime:
        clock = self.clock or system_clock(self.tz)
        return clock()

    def calendar(self) -> WorkCalendar:
        from afterview.engine.domain.calendar import WorkCalendar
        from afterview.engine.domain.settings import usable_country

        settings = self.settings
        problems: list[str] = []
        country, subdivision = usable_country(settings.country, settings.subdivision, problems)
        for problem in problems:
            self._warn(problem)
        return WorkCalendar(self.tz, country, subdivision, settings.workday_start_time,
                            settings.all_days_off)

    def context(self, command_id: str | None = None) -> commands.Context:
        from afterview.engine.domain import decide as commands

        return commands.Context(self.now(), self.calendar(), self.settings,
                                command_id or str(uuid.uuid4()))

    def close(self) -> None:
        """Close the store; the engine is not used afterwards."""
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """The log's last position and its hash (0 and the genesis hash when empty)."""
        return self.store.head()

    def application_ids(self, prefix: str = "") -> list[str]:
        """The ids of the applications that start with ``prefix``."""
        return [s for s in self.store.stream_ids(prefix) if s != PROFILE_STREAM]

    def facts(self, application_id: str) -> list[Fact]:
        return [to_fact(stored) for stored in self.store.read_stream(application_id)]

    @property
    def read_model(self) -> projections.ReadModel:
        """The projections every present-time read comes from (rebuilt when stale)."""
        return projections.ReadModel(self.store, self.progress)

    def application(self, ref: str) -> Application:
        """One application as its projection holds it (replayed if the row is missing)."""
        application_id = self.resolve(ref)
        app = self.read_model.application(application_id)
        return app if app is not None else rebuild(application_id, self.facts(application_id))

    def summary(self, ref: str) -> Summary:
        """What the board shows of one application now (``status APP``), from its row."""
        application_id = self.resolve(ref)
        found = self.read_model.summary(application_id)
        return found if found is not None else self.application(application_id).summary()

    def rebuild_projections(self) -> int:
        """Rebuild every projection from the log; how many applications they hold."""
        return self.read_model.rebuild()

    def all_facts(self) -> dict[str, list[Fact]]:
        by_stream: dict[str, list[Fact]] = defaultdict(list)
        from afterview.engine.domain.events import from_data

        parse = datetime.fromisoformat
        # The events of one command are stored together with one recorded time and mostly
        # one occurred time: a time equal to the previous row's is not parsed again (the
        # datetime is immutable, so sharing it is safe).
        occurred_text = recorded_text = ""
        occurred = recorded = datetime.min
        with _replaying_everything():
            # The facts are built here from the store's narrow replay rows (the same fields
            # to_fact reads): this loop runs once per event in the log.
            for (stream_id, version, event_id, type_name, schema, data, occurred_at,
                 recorded_at) in self.store.read_for_replay():
                if stream_id == PROFILE_STREAM:
                    continue
                if occurred_at != occurred_text:
                    occurred_text, occurred = occurred_at, parse(occurred_at)
                if recorded_at != recorded_text:
                    recorded_text, recorded = recorded_at, parse(recorded_at)
                by_stream[stream_id].append(Fact(
                    stream_id, event_id, occurred, from_data(type_name, schema, data), recorded,
                    version))
        return by_stream

    def applications(
        self, *, as_of: datetime | None = None, known_at: datetime | None = None,
        include_discarded: bool = False,
    ) -> list[Application]:
        """Every application: now, as the projections hold it; as of / as known at a time,
        replayed from the log. The discarded ones (entered by mistake) only with
        ``include_discarded``."""
        if as_of is None and known_at is None:
            projected = self.read_model.applications()
            if projected is not None:
                return [app for app in projected if include_discarded or app.discarded is None]
        built = []
        with _replaying_everything():
            for stream_id, facts in self.all_facts().items():
                if as_of is None and known_at is None:
                    app = rebuild(stream_id, facts)
                else:
                    app = view(stream_id, facts, as_of=as_of, known_at=known_at)
                if app.exists and (include_discarded or app.discarded is None):
                    built.append(app)
        return built

    def summaries(self, *, include_discarded: bool = False) -> list[Summary]:
        """What the board shows of every application now, read from the projections without
        decoding the rest of each row; the discarded ones only with ``include_discarded``."""
        listed = self.read_model.summaries()
        if listed is None:  # a backend without projections: replay
            listed = [app.summary() for app in self.applications(include_discarded=True)]
        return [app for app in listed if include_discarded or app.discarded is None]

    def applications_of(self, application_ids: Iterable[str]) -> list[Application]:
        """These applications (whole ids, not prefixes) now, by id; the discarded ones and
        ids that name no application are left out."""
        wanted = set(application_ids)
        found = self.read_model.applications_of(sorted(wanted)) if wanted else []
        if found is None:  # a backend without projections, or rows that do not decode
            found = [app for app in self.applications() if app.id in wanted]
        return [app for app in found if app.discarded is None]

    def with_coming_interviews(self) -> set[str]:
        """The applications (not discarded) with an interview scheduled and not held yet."""
        if self.read_model.current():
            return {stream_id for stream_id, _, _ in self.store.read_interviews()}
        return {app.id for app in self.applications()
                if any(i.pending for i in app.interviews)}

    def open_tasks_since(self, position: int = -1) -> OpenTasks:
        """The open tasks of every application whose projection changed after ``position``
        (every open task when ``position`` is -1 or no longer means anything here), from
        the open-task projection: the daemon reconciles with what changed, not the whole
        set (docs/daemon.md)."""
        if not self.read_model.current():  # a backend without projections: replay
            tasks = [DueTask(t.id, t.application, t.due_at, t.fired)
                     for app in self.applications() for t in app.open_tasks()]
            return OpenTasks(-1, None, tasks)
        status = self.store.projection_status()
        head = -1 if status is None else status.position
        whole = not 0 <= position <= head
        after = -1 if whole else position
        tz, parse = self.tz, datetime.fromisoformat
        # Read the applications before their tasks: a row written in between is read
        # again next time (planning is idempotent), never missed.
        changed = None if whole else frozenset(self.store.projected_since(after))
        tasks = [DueTask(task_id, stream_id, parse(due_at).astimezone(tz), fired)
                 for task_id, stream_id, due_at, fired, _ in self.store.read_open_tasks(after)]
        return OpenTasks(head, changed, tasks)

    def status(self, ref: str, *, as_of: datetime | None = None,
               known_at: datetime | None = None) -> Application:
        """One application as it stood at ``as_of`` and/or as the log knew it at
        ``known_at``; refused when it did not exist yet then. Without either, it is now:
        the projection row, not a replay of the application's stream (which grows with its
        history)."""
        application_id = self.resolve(ref)
        if as_of is None and known_at is None:
            app = self.application(application_id)
        else:
            app = view(application_id, self.facts(application_id), as_of=as_of,
                       known_at=known_at)
        if not app.exists:
            raise DomainError(f"application {application_id!r} did not exist yet then")
        return app

    def with_others(self, ref: str) -> tuple[Application, list[Application]]:
        """One application and, once it is accepted, every application (its plan withdraws
        from the others); otherwise it is read without replaying the whole log."""
        application = self.application(ref)
        others = self.applications() if application.state == "accepted" else []
        return application, others

    def resolve(self, ref: str) -> str:
        """An application id from the id or a unique prefix of it, like git."""
        if not ref.strip():
            raise InvalidValue("the application id cannot be empty")
        if ref != PROFILE_STREAM and self.store.stream_version(ref) > 0:
            return ref  # a whole id: one index probe, not a walk over its stream's events
        candidates = self.application_ids(ref)
        if ref in candidates:
            return ref
        if not candidates:
            raise DomainError(f"unknown application {ref!r}: {_nearest_ids(ref, self.store)}")
        if len(candidates) > 1:
            shown = ", ".join(candidates[:10]) + (", ..." if len(candidates) > 10 else "")
            raise DomainError(f"ambiguous application {ref!r}: it could be {shown}")
        return candidates[0]

    def resolve_task(self, ref: str) -> tuple[Application, Task]:
        """An application and its task from its short reference (``acme-backend#3``, the
        application by any unique prefix: ``acme#3``), its full id, or a unique prefix of the
        id of an open task."""
        if not ref.strip():
            raise InvalidValue("the task id cannot be empty")
        app_ref, hash_sign, number = ref.rpartition("#")
        if hash_sign:
            return self._task_by_number(app_ref, number)
        owner = self._open_task_owner(ref)
        if owner is not None:  # the usual case, without decoding every application
            app = self.application(owner)
            if ref in app.tasks:
                return app, app.tasks[ref]
        every = [(app, task) for app in self.applications(include_discarded=True)
                 for task in app.tasks.values()]
        exact = [pair for pair in every if pair[1].id == ref]
        if exact:
            return exact[0]
        found = [pair for pair in every if pair[1].is_open and pair[1].id.startswith(ref)]
        if not found:
            raise DomainError(f"unknown task {ref!r} (a prefix matches open tasks only): "
                              "see 'afterview agenda --all'")
        if len(found) > 1:
            shown = ", ".join(f"{task.ref} ({task.id})" for _, task in found[:10])
            raise DomainError(f"ambiguous task {ref!r}: it could be {shown}")
        return found[0]

    def _open_task_owner(self, task_id: str) -> str | None:
        """The application of the open task whose id is exactly ``task_id``, from the
        open-task projection; None without projections, or when no open task has that id
        (then the caller looks at every task: a closed one, or a prefix)."""
        if not self.read_model.current():
            return None
        for found, stream_id, *_ in self.store.read_open_tasks():
            if found == task_id:
                return stream_id
        return None

    def _task_by_number(self, app_ref: str, number: str) -> tuple[Application, Task]:
        app = self.application(app_ref)
        for task in app.tasks.values():
            if number.strip().isdigit() and task.number == int(number):
                return app, task
        numbers = sorted(task.number for task in app.tasks.values())
        known = f"its tasks are #{numbers[0]} to #{numbers[-1]}" if numbers else "it has no tasks"
        raise DomainError(f"unknown task {app.id}#{number}: {known} (see 'afterview agenda')")

    def resolve_event(self, ref: str) -> StoredEvent:
        if not ref.strip():
            raise InvalidValue("the event id cannot be empty")
        candidates = self.store.event_ids(ref)
        if ref in candidates or len(candidates) == 1:
            stored = self.store.read_event(ref if ref in candidates else candidates[0])
            assert stored is not None
            return stored
        if not candidates:
            raise DomainError(f"unknown event {ref!r}: see 'afterview history APP' for event ids")
        raise DomainError(f"ambiguous event {ref!r}: it could be {', '.join(candidates[:10])}")

    # -- writing -------------------------------------------------------------

    @property
    def work(self) -> UnitOfWork:
        """The unit of work every write of this engine goes through."""
        return UnitOfWork(self.store, self.actor, self.progress)

    def _run(self, attempt: Callable[[commands.Context], tuple[commands.Decision,
                                                            dict[str, int | None]]]) -> commands.Decision:
        """Load and decide (``attempt``), append; on a concurrent write, load and decide again."""
        command_id = str(uuid.uuid4())
        work = self.work

        def once() -> tuple[commands.Decision, Pending]:
            context = self.context(command_id)
            decision, versions = attempt(context)
            return decision, Pending(work.new_events(decision.facts), versions, context.now)

        decision = work.run(once, gave_up=COMMAND_KEPT_CHANGING)
        self._settings = None
        return decision

    def apply(self, submitted: ev.ApplicationSubmitted, *, application_id: str | None = None,
              at: datetime | None = None, again: bool = False) -> Result:
        if application_id is not None:
            check_chosen_id(application_id)
        else:
            if not submitted.company.strip() or not submitted.role.strip():
                raise InvalidValue("the company and the role cannot be empty")
            taken = self.store.stream_ids(slug(submitted.company, submitted.role))
            application_id = ApplicationIds(taken).new(submitted.company, submitted.role)
        return self._record(application_id, submitted, at, again)

    def record(self, ref: str, event: ev.Event, *, at: datetime | None = None) -> Result:
        """Record a fact about an existing application."""
        return self._record(self.resolve(ref), event, at)

    def schedule_interview(self, ref: str, scheduled_for: datetime, *, round: int | None = None,
                           kind: str | None = None, interviewers: tuple[str, ...] = (),
                           by: str | None = None, at: datetime | None = None) -> Result:
        """Record that an interview was booked (round ``round``, else the next one), or that
        the round scheduled and not yet held moved to ``scheduled_for``."""
        from afterview.engine.domain import decide as commands

        application_id = self.resolve(ref)
        return self._decide_about(application_id, lambda when: commands.ScheduleInterview(
            application_id, scheduled_for, round, kind, interviewers, when, by), at)

    def cancel_interview(self, ref: str, *, round: int | None = None, by: str | None = None,
                         reason: str | None = None, at: datetime | None = None) -> Result:
        """Record that the round scheduled and not yet held was cancelled."""
        from afterview.engine.domain import decide as commands

        application_id = self.resolve(ref)
        return self._decide_about(application_id, lambda when: commands.CancelInterview(
            application_id, round, by, reason, when), at)

    def receive_offer(self, ref: str, terms: ev.OfferTerms | ev.JsonObject | None, *,
                      respond_by: datetime | None = None, whole_day: bool = False,
                      at: datetime | None = None) -> Result:
        """Record an offer (while offered or negotiating: the company's revised offer, which
        keeps the terms it does not repeat); ``terms`` None: terms not recorded."""
        from afterview.engine.domain import decide as commands

        application_id = self.resolve(ref)
        return self._decide_about(application_id, lambda when: commands.ReceiveOffer(
            application_id, terms, respond_by, when, whole_day), at)

    def _record(self, application_id: str, event: ev.Event, at: datetime | None,
                again: bool = False) -> Result:
        from afterview.engine.domain import decide as commands
        from afterview.engine.domain import events as ev

        # An acceptance writes tasks on the others; a submission is compared with them.
        looks_around = isinstance(event, ev.OfferAccepted) or (
            isinstance(event, ev.ApplicationSubmitted) and not again)
        return self._decide_about(
            application_id, lambda when: commands.Record(application_id, event, when, again), at,
            others=looks_around, guard_others=isinstance(event, ev.OfferAccepted))

    def _decide_about(self, application_id: str,
                      command_at: Callable[[datetime | None], commands.Command],
                      at: datetime | None, *, others: bool = False,
                      guard_others: bool = False) -> Result:
        """Decide the command about one application (the others loaded too when the
        command looks at them, and guarded when it writes on them: an acceptance) and append
        what it adds. Without ``at`` the domain picks when the fact happened."""
        from afterview.engine.domain import decide as commands

        decided_on: list[Application] = []  # the application the last attempt decided on

        def attempt(context: commands.Context) -> tuple[commands.Decision, dict[str, int | None]]:
            app = rebuild(application_id, self.facts(application_id))
            decided_on[:] = [app]
            loaded = [o for o in self.applications() if o.id != application_id] if others else []
            decision = commands.decide(command_at(at), app, context, others=loaded)
            versions: dict[str, int | None] = {app.id: app.version}
            if guard_others:
                versions.update({o.id: o.version for o in loaded})
            return decision, versions

        decision = self._run(attempt)
        before = decided_on[0].state if decided_on and decided_on[0].exists else None
        return Result(self.application(application_id), decision.facts, decision.warnings,
                      before)

    def void(self, event_ref: str, reason: str, *, at: datetime | None = None) -> Result:
        from afterview.engine.domain import decide as commands

        stored = self.resolve_event(event_ref)
        if stored.stream_id == PROFILE_STREAM:
            raise DomainError("settings are not voided: set the value again with 'config set'")

        def attempt(context: commands.Context) -> tuple[commands.Decision, dict[str, int | None]]:
            facts = self.facts(stored.stream_id)
            app = rebuild(stored.stream_id, facts)
            command = commands.VoidEvent(app.id, stored.event_id, reason, at or context.now)
            others = [o for o in self.applications(include_discarded=True) if o.id != app.id]
            decision = commands.decide(command, app, context, facts=facts, others=others)
            versions: dict[str, int | None] = {app.id: app.version}
            touched = {fact.stream_id for fact in decision.facts}
            versions.update({o.id: o.version for o in others if o.id in touched})
            return decision, versions

        decision = self._run(attempt)
        return Result(self.application(stored.stream_id), decision.facts, decision.warnings)

    def _task_command(self, task_ref: str,
                      build: Callable[[Application, Task, commands.Context], commands.Command]
                      ) -> Result:
        from afterview.engine.domain import decide as commands

        app, task = self.resolve_task(task_ref)

        def attempt(context: commands.Context) -> tuple[commands.Decision, dict[str, int | None]]:
            current = rebuild(app.id, self.facts(app.id))
            decision = commands.decide(build(current, task, context), current, context)
            return decision, {current.id: current.version}

        decision = self._run(attempt)
        return Result(self.application(app.id), decision.facts, decision.warnings)

    def close_task(self, task_ref: str, outcome: ev.TaskOutcome, note: str | None = None) -> Result:
        from afterview.engine.domain import decide as commands

        return self._task_command(
            task_ref,
            lambda app, task, ctx: commands.CloseTask(app.id, task.id, outcome, note, ctx.now),
        )

    def snooze_task(self, task_ref: str, until: datetime) -> Result:
        from afterview.engine.domain import decide as commands

        return self._task_command(
            task_ref, lambda app, task, ctx: commands.SnoozeTask(app.id, task.id, until, ctx.now)
        )

    def fire(self, application_id: str, task_id: str) -> Task | None:
        """Record that a due task fired; None when it is not due, closed or already fired
        (by this process or another: the firing's id is unique in the log)."""
        from afterview.engine.domain import decide as commands
        from afterview.engine.store.base import DuplicateEventError

        def attempt(context: commands.Context) -> tuple[commands.Decision, dict[str, int | None]]:
            app = rebuild(application_id, self.facts(application_id))
            decision = commands.decide(commands.FireTask(application_id, task_id), app, context)
            return decision, {application_id: None}  # the firing's own id keeps it unique

        try:
            decision = self._run(attempt)
        except DuplicateEventError:
            return None
        if not decision.facts:
            return None
        return self.application(application_id).tasks[task_id]

    def due_tasks(self) -> list[Task]:
        """Open tasks that fell due and have not fired at their current due time."""
        now = self.now()
        return sorted(
            (task for app in self.applications() for task in app.open_tasks()
             if not task.fired and task.due_at <= now),
            key=lambda task: task.due_at,
        )

    def tick(self) -> list[Task]:
        """Fire every task that is due now; what this pass fired."""
        fired = []
        for task in self.due_tasks():
            done = self.fire(task.application, task.id)
            if done is not None:
                fired.append(done)
        return fired

    def record_days_off(self, first: date, last: date, reason: str | None = None) -> list[Fact]:
        """Personal days off (a ``vacation``): not business days for later deadlines."""
        from afterview.engine.domain import decide as commands

        def attempt(context: commands.Context) -> tuple[commands.Decision, dict[str, int | None]]:
            return commands.decide(commands.RecordDaysOff(first, last, reason), None, context), {}

        return self._run(attempt).facts
    def digest(self) -> Digest:
        """Today's digest: overdue tasks, today's tasks, today's interviews."""
        from afterview.engine.views.digest import digest_of

        return digest_of(self.applications(), self.now(), self.tz)

    def send_digest(self) -> Digest | None:
        """Record that today's digest went out, when it is due (from workday_start on), the
        ``digest`` setting is on, and no daemon or tick sent it yet (its event id is the
        day's, unique in the log); the digest to send, or None."""
        from afterview.engine.domain import decide as commands
        from afterview.engine.store.base import DuplicateEventError
        from afterview.engine.views.digest import digest_due

        settings, context = self.settings, self.context()
        if not settings.digest or not digest_due(context.now, self.tz,
                                                 settings.workday_start_time):
            return None
        day = context.now.astimezone(self.tz).date()
        if self.store.read_event(commands.digest_event_id(day)) is not None:
            return None
        digest = self.digest()

        def attempt(context: commands.Context) -> tuple[commands.Decision, dict[str, int | None]]:
            decision = commands.decide(commands.SendDigest(day, digest.task_ids), None, context)
            return decision, {}  # the digest's own id (the day's) keeps it unique

        try:
            self._run(attempt)
        except DuplicateEventError:
            return None
        return digest

    def set_setting(self, key: str, value: str) -> Settings:
        from afterview.engine.domain import decide as commands

        def attempt(context: commands.Context) -> tuple[commands.Decision, dict[str, int | None]]:
            decision = commands.decide(commands.ChangeSetting(key, value), None, context)
            return decision, {}

        self._run(attempt)
        return self.settings

    def stored_events(self, application_id: str) -> list[StoredEvent]:
        return self.store.read_stream(application_id)


def open_engine(location: str | os.PathLike[str], *, tenant: str | None = None,
                actor: Actor | str = Actor.CLI, clock: Clock | None = None,
                warn: Callable[[str], None] | None = None,
                progress: projections.ProgressFor | None = None) -> Engine:
    """An engine over the log ``location`` names: a database file or a store URL such as
    ``sqlite:///path``, ``memory:`` or ``postgresql://...`` with the ``tenant`` whose log it
    is (docs/store.md). ``progress``: what shows a rebuild of the projections (a bar on a
    terminal)."""
    from afterview.engine.store import open_store

    return Engine(open_store(location, tenant=tenant), clock=clock, actor=actor, warn=warn,
                  progress=progress)


def is_store_url(text: str) -> bool:
    """Whether ``text`` is a store URL (``sqlite:///...``, ``memory:``) rather than a path."""
    from afterview.engine.store.open import url_scheme

    return url_scheme(text) is not None


def database_file(location: str | os.PathLike[str]) -> Path | None:
    """The database file ``location`` opens, when it names one (a SQLite store)."""
    from afterview.engine.store.open import sqlite_path

    return sqlite_path(location)


def keeps_its_log(location: str | os.PathLike[str]) -> bool:
    """Whether the log at ``location`` outlives the process (``memory:`` does not)."""
    from afterview.engine.store.open import locate

    return locate(location).backend != "memory"


def _days_between(first: str, last: str) -> Iterator[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def _nearest_ids(ref: str, store: EventStore) -> str:
    """The candidates for an id that matches nothing: ids containing it or starting with
    something spelled like it, else every id (up to ten)."""
    import difflib

    known = [s for s in store.stream_ids() if s != PROFILE_STREAM]
    if not known:
        return "there are no applications yet; start with 'afterview apply COMPANY ROLE'"
    wanted = ref.strip().lower()
    near = [s for s in known if wanted in s]
    # A mistyped prefix is compared with the ids' prefixes of the same length.
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for stream_id in known:
        by_prefix[stream_id[: len(wanted)]].append(stream_id)
    for prefix in difflib.get_close_matches(wanted, list(by_prefix), n=10, cutoff=0.6):
        near += [s for s in by_prefix[prefix] if s not in near]
    shown = near or known
    listed = ", ".join(shown[:10]) + (", ..." if len(shown) > 10 else "")
    return f"did you mean {listed}?" if near else f"the applications are {listed}"


def tasks_of(applications: Iterable[Listed], *, include_closed: bool = False) -> list[Task]:
    """Tasks of these applications, soonest first (closed ones too, of whole applications:
    a summary holds only the open ones)."""
    tasks = [
        task for app in applications for task in app.tasks.values()
        if include_closed or task.is_open
    ]
    return sorted(tasks, key=lambda task: task.due_at)


def agenda(applications: Iterable[Listed], now: datetime, *, include_closed: bool = False,
           until: datetime | None = None) -> list[Task]:
    """The tasks of these applications due by ``until`` (when given): open ones already
    due first, then soonest first."""
    tasks = [t for t in tasks_of(applications, include_closed=include_closed)
             if until is None or t.due_at <= until]
    tasks.sort(key=lambda t: (not (t.is_open and t.due_at <= now), t.due_at))
    return tasks
