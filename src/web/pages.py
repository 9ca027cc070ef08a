"""The pages where the job search is done: the board (with drag and drop, and a form to add
an application), one application (everything recorded, its history, a form for every fact)
and the agenda (done, snooze, dismiss). Each read replays the log; each write is one
Engine call, refused with the command line's words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from afterview.engine.domain import events as ev
from afterview.engine.domain.rules import AppliedRecently
from afterview.engine.domain.state import InvalidValue
from afterview.engine.service.api import Engine
from afterview.engine.views.board import agenda as agenda_view
from afterview.engine.views.board import board_columns
from afterview.web import forms, reports, settings
from afterview.web.forms import Refusal, values_of
from afterview.web.security import checked_form

if TYPE_CHECKING:
    from afterview.web.site import Endpoint, Handler, WebApp

def routes(web: WebApp) -> list[Route]:
    def bound(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return await handler(web, request)
        return endpoint

    return [
        Route("/applications", bound(add_application), methods=["POST"]),
        Route("/move", bound(move), methods=["POST"]),
        Route("/applications/{app_id}", bound(application)),
        Route("/applications/{app_id}/facts/{kind}", bound(record_fact), methods=["POST"]),
        Route("/applications/{app_id}/void", bound(void), methods=["POST"]),
        Route("/agenda", bound(agenda)),
        Route("/tasks/{task_id}/{action}", bound(task_action), methods=["POST"]),
        *reports.routes(web, bound),
        *settings.routes(web, bound),
    ]


# ---------------------------------------------------------------------------
# Board


async def board(web: WebApp, request: Request, error: str | None = None, status: int = 200,
                **kept: object) -> Response:
    def read(engine: Engine) -> dict[str, object]:
        now = engine.now()
        return {"columns": board_columns(engine.applications(), now), "now": now,
                "tz": engine.tz}

    data = await web.engine_do(read)
    return web.page(request, "board.html", status, title="Board", error=error,
                    moves={state: forms.move_fields(state) for state in forms.MOVES},
                    add_fields=ADD_FIELDS, **data, **kept)


ADD_FIELDS = (
    forms.Field("company", "Company", required=True),
    forms.Field("role", "Role", required=True),
    forms.Field("source", "Where you found it"),
    forms.Field("url", "Job posting address"),
    forms.Field("location", "Location"),
    forms.Field("contacts", "Contacts, comma-separated"),
    forms.AT,
    forms.Field("again", "Apply again", "checkbox",
                hint="needed for the same company and role applied for in the last 60 days"),
)
AGAIN_HINT = ("in this form: tick “Apply again” to add it a second time, or open the earlier "
              "one at /applications/{id}")


async def add_application(web: WebApp, request: Request) -> Response:
    values = values_of(await checked_form(request))

    def work(engine: Engine) -> str:
        submitted = ev.ApplicationSubmitted(
            forms.required(values, "company"), forms.required(values, "role"),
            forms.text(values, "source"), forms.text(values, "url"),
            forms.text(values, "location"), forms.names(values, "contacts"))
        try:
            result = engine.apply(submitted, at=forms.when(engine, values, "at"),
                                  again=forms.text(values, "again") is not None)
        except AppliedRecently as error:  # the CLI's words, and how to do it here
            raise Refusal(f"{error}; {AGAIN_HINT.format(id=error.earlier.id)}", 409) from None
        return result.application.id

    try:
        app_id = await web.engine_do(work)
    except Refusal as refused:
        return await web.refused_page(request, refused, board, "/", values=values,
                                      failed="apply")
    return web.done(request, f"/applications/{app_id}", f"added {app_id}")


async def move(web: WebApp, request: Request) -> Response:
    """A card dropped on another column: the fact that leads there, or the refusal."""
    values = values_of(await checked_form(request))

    def work(engine: Engine) -> tuple[str, list[str]]:
        app = engine.application(forms.required(values, "application"))
        form = forms.move_form(forms.required(values, "to"), app)
        result = forms.record(engine, app.id, form, values)
        return (f"{result.application.company}: {form.title.lower()}, now "
                f"{result.application.state}"), list(result.warnings)

    try:
        said, warnings = await web.engine_do(work)
    except Refusal as refused:
        return await web.refused_page(request, refused, board, "/")
    return web.done(request, "/", said, *(f"warning: {w}" for w in warnings))


# ---------------------------------------------------------------------------
# One application


async def application(web: WebApp, request: Request, error: str | None = None,
                      status: int = 200, **kept: object) -> Response:
    ref = request.path_params["app_id"]

    def read(engine: Engine) -> tuple[str, dict[str, object]]:
        from afterview.engine.domain.offers import (
            acceptance_plan,
            negotiation_aid,
            negotiation_rounds,
            total_compensation,
        )
        from afterview.engine.service.audit import history_rows

        app, others = engine.with_others(ref)
        rows = history_rows(engine.stored_events(app.id))
        return app.company, {
            "app": app, "now": engine.now(), "tz": engine.tz,
            "history": rows,
            "voidable": [r for r in rows if not r["voided"] and r["type"] not in _NOT_VOIDABLE],
            "rounds": [(pair, [(side, total_compensation(side.terms) if side.terms else None)
                               for side in (pair.offer, pair.ask) if side is not None])
                       for pair in negotiation_rounds(app.rounds)],
            "aid": negotiation_aid(app, engine.settings),
            "plan": acceptance_plan(app, others, engine.settings),
            "tasks": sorted(app.open_tasks(), key=lambda t: t.due_at),
            "discard": next((r for r in reversed(rows) if r["type"] == "ApplicationDiscarded"
                             and not r["voided"]), None) if app.discarded is not None else None,
        }

    try:
        title, data = await web.engine_do(read)
    except Refusal as refused:
        return web.page(request, "missing.html", 404, title="Not found", error=refused.args[0])
    return web.page(request, "application.html", status, title=title,
                    error=error, forms=forms.FORMS, void_fields=forms.VOID_FIELDS,
                    restore_reason=forms.RESTORE_REASON, **data, **kept)


_NOT_VOIDABLE = {"EventVoided", "TaskScheduled", "TaskSnoozed", "TaskClosed", "TaskFired"}


async def record_fact(web: WebApp, request: Request) -> Response:
    values = values_of(await checked_form(request))
    ref, kind = request.path_params["app_id"], request.path_params["kind"]
    form = forms.BY_KIND.get(kind)

    def work(engine: Engine) -> tuple[str, list[str]]:
        if form is None:
            raise InvalidValue(f"unknown fact {kind!r}")
        result = forms.record(engine, ref, form, values)
        return result.application.id, list(result.warnings)

    try:
        app_id, warnings = await web.engine_do(work)
    except Refusal as refused:
        return await web.refused_page(request, refused, application, f"/applications/{ref}",
                                      values=values, failed=kind)
    return web.done(request, f"/applications/{app_id}", f"recorded: {form.title.lower()}"
                    if form else "", *(f"warning: {w}" for w in warnings))


async def void(web: WebApp, request: Request) -> Response:
    values = values_of(await checked_form(request))

    def work(engine: Engine) -> str:
        result = engine.void(forms.required(values, "event"), forms.required(values, "reason"),
                             at=forms.when(engine, values, "at"))
        return f"voided that fact: now {result.application.state}"

    try:
        said = await web.engine_do(work)
    except Refusal as refused:
        return await web.refused_page(request, refused, application,
                                      f"/applications/{request.path_params['app_id']}",
                                      values=values, failed="void")
    return web.done(request, f"/applications/{request.path_params['app_id']}", said)


# ---------------------------------------------------------------------------
# Agenda


async def agenda(web: WebApp, request: Request, error: str | None = None, status: int = 200,
                 **kept: object) -> Response:
    def read(engine: Engine) -> dict[str, object]:
        apps = engine.applications()
        now = engine.now()
        return {"agenda": agenda_view(apps, now, engine.tz), "now": now, "tz": engine.tz,
                "companies": {a.id: a.company for a in apps}}

    data = await web.engine_do(read)
    return web.page(request, "agenda.html", status, title="Agenda", error=error, **data, **kept)


async def task_action(web: WebApp, request: Request) -> Response:
    values = values_of(await checked_form(request))
    task_id, action = request.path_params["task_id"], request.path_params["action"]

    def work(engine: Engine) -> str:
        if action == "done":
            result = engine.close_task(task_id, ev.TaskOutcome.DONE, forms.text(values, "note"))
        elif action == "dismiss":
            result = engine.close_task(task_id, ev.TaskOutcome.DISMISSED, forms.text(values, "note"))
        elif action == "snooze":
            until = forms.when(engine, values, "until")
            if until is None:
                raise InvalidValue("until is required: the new due time")
            result = engine.snooze_task(task_id, until)
        else:
            raise InvalidValue(f"unknown task action {action!r}: done, snooze or dismiss")
        event = result.facts[0].event
        assert isinstance(event, ev.TaskClosed | ev.TaskSnoozed)
        task = result.application.tasks[event.task_id]
        verb = {"done": "done", "dismiss": "dismissed", "snooze": "snoozed"}[action]
        return f"{verb}: {task.title}"

    try:
        said = await web.engine_do(work)
    except Refusal as refused:
        return await web.refused_page(request, refused, agenda, "/agenda")
    return web.done(request, "/agenda", said)
