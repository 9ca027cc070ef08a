"""The settings page: every setting with the value in force (``config list``), a form to set
each one (``config set``, refused in its words), and personal days off (``vacation``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from afterview.engine.domain.state import InvalidValue
from afterview.engine.service.api import Engine
from afterview.web import forms
from afterview.web.forms import Refusal, values_of
from afterview.web.security import checked_form

if TYPE_CHECKING:
    from afterview.web.site import Endpoint, Handler, WebApp

VACATION_FIELDS = (
    forms.Field("from", "First day off", "date", required=True),
    forms.Field("to", "Last day off", "date", required=True),
    forms.Field("reason", "Reason", hint="for your records"),
)


def routes(web: WebApp, bound: Callable[[Handler], Endpoint]) -> list[Route]:
    return [
        Route("/settings", bound(settings_page)),
        Route("/settings", bound(set_setting), methods=["POST"]),
        Route("/settings/vacation", bound(vacation), methods=["POST"]),
    ]


async def settings_page(web: WebApp, request: Request, error: str | None = None,
                        status: int = 200, **kept: object) -> Response:
    def read(engine: Engine) -> dict[str, object]:
        from afterview.engine.domain.settings import describe

        settings = engine.settings
        return {"settings": [(key, "" if value is None else str(value), describe(key))
                             for key, value in settings.shown().items()],
                "vacation": sorted(settings.recorded_days_off)}

    data = await web.engine_do(read)
    kept.setdefault("values", {})
    return web.page(request, "settings.html", status, title="Settings", error=error,
                    vacation_fields=VACATION_FIELDS, **data, **kept)


async def set_setting(web: WebApp, request: Request) -> Response:
    values = values_of(await checked_form(request))

    def work(engine: Engine) -> str:
        key = forms.required(values, "key")
        value = values.get("value")
        settings = engine.set_setting(key, value.strip() if isinstance(value, str) else "")
        shown = settings.shown()[key]
        return f"{key} = {'-' if shown is None else shown}"

    try:
        said = await web.engine_do(work)
    except Refusal as refused:
        return await web.refused_page(request, refused, settings_page, "/settings",
                                      values=values, failed=f"set-{values.get('key')}")
    return web.done(request, "/settings", said)


async def vacation(web: WebApp, request: Request) -> Response:
    values = values_of(await checked_form(request))

    def work(engine: Engine) -> str:
        first, last = forms.when(engine, values, "from"), forms.when(engine, values, "to")
        if first is None or last is None:
            raise InvalidValue("first day off and last day off are required")
        engine.record_days_off(first.date(), last.date(), forms.text(values, "reason"))
        return (f"days off {first:%a} {first.date().isoformat()} to {last:%a} "
                f"{last.date().isoformat()}: not business days for deadlines from now on")

    try:
        said = await web.engine_do(work)
    except Refusal as refused:
        return await web.refused_page(request, refused, settings_page, "/settings",
                                      values=values, failed="vacation")
    return web.done(request, "/settings", said)
