"""The pages for looking back and looking around: compare (offers side by side, with the
negotiation aid), stats (the funnel and the Sankey), the board as of a date, the activity
report (a page to print and a CSV to download), the calendar feed and the help."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from afterview.engine.service.api import Engine
from afterview.engine.views.board import board_columns
from afterview.web import forms
from afterview.web.forms import Refusal
from afterview.web.security import checked_form

if TYPE_CHECKING:
    from afterview.engine.io.report import Report
    from afterview.web.site import Endpoint, Handler, WebApp


def routes(web: WebApp, bound: Callable[[Handler], Endpoint]) -> list[Route]:
    return [
        Route("/compare", bound(compare)),
        Route("/stats", bound(stats)),
        Route("/stats.svg", bound(stats_svg)),
        Route("/as-of", bound(as_of)),
        Route("/report", bound(report)),
        Route("/report.csv", bound(report_csv)),
        Route("/calendar", bound(calendar)),
        Route("/calendar/revoke", bound(revoke_feed), methods=["POST"]),
        Route("/calendar.ics", bound(calendar_feed)),
        Route("/help", bound(help_page)),
    ]


async def compare(web: WebApp, request: Request) -> Response:
    show_all = request.query_params.get("all") == "1"

    def read(engine: Engine) -> dict[str, object]:
        from afterview.engine.domain.offers import compare_offers, negotiation_aid

        apps = engine.applications()
        return {"groups": compare_offers(apps, home_currency=engine.settings.currency,
                                         include_closed=show_all),
                "aids": {a.id: aid for a in apps
                         if (aid := negotiation_aid(a, engine.settings)) is not None},
                "tz": engine.tz}

    data = await web.engine_do(read)
    return web.page(request, "compare.html", title="Compare offers", show_all=show_all, **data)


async def stats(web: WebApp, request: Request) -> Response:
    def read(engine: Engine) -> dict[str, object]:
        from afterview.engine.views.stats import funnel

        return {"numbers": funnel(engine.applications())}

    data = await web.engine_do(read)
    return web.page(request, "stats.html", title="Stats", **data)


async def stats_svg(web: WebApp, request: Request) -> Response:
    def read(engine: Engine) -> str:
        from afterview.engine.views.stats import sankey_svg

        return sankey_svg(engine.applications())

    return Response(await web.engine_do(read), media_type="image/svg+xml")


async def as_of(web: WebApp, request: Request) -> Response:
    """The board as it stood at a date (occurred) or as the log knew it then (known at)."""
    values = dict(request.query_params)
    mode = "known_at" if values.get("mode") == "known_at" else "as_of"

    def read(engine: Engine) -> dict[str, object]:
        moment = forms.when(engine, values, "date")
        now = engine.now()
        if moment is None:
            return {"moment": None, "columns": [], "tz": engine.tz}
        apps = (engine.applications(as_of=moment) if mode == "as_of"
                else engine.applications(known_at=moment))
        return {"moment": moment, "tz": engine.tz,
                "columns": board_columns(apps, moment if mode == "as_of" else now)}

    try:
        data = await web.engine_do(read)
    except Refusal as refused:
        return web.page(request, "as_of.html", refused.status, title="As of", values=values,
                        mode=mode, error=refused.args[0], moment=None, columns=[])
    return web.page(request, "as_of.html", title="As of", values=values, mode=mode, **data)


def _report_period(engine: Engine, values: dict[str, str]) -> Report:
    from afterview.engine.io import report as activity

    tz = engine.tz
    first, last = forms.when(engine, values, "from"), forms.when(engine, values, "to")
    return activity.build(engine, first.astimezone(tz).date() if first else None,
                          last.astimezone(tz).date() if last else None)


async def report(web: WebApp, request: Request) -> Response:
    values = dict(request.query_params)

    def read(engine: Engine) -> dict[str, object]:
        from afterview.engine.io.report import weeks

        built = _report_period(engine, values)
        return {"report": built, "weeks": weeks(built.activities, built.tz), "tz": built.tz}

    try:
        data = await web.engine_do(read)
    except Refusal as refused:
        return web.page(request, "report.html", refused.status, title="Activity report",
                        values=values, error=refused.args[0], report=None, weeks=[])
    return web.page(request, "report.html", title="Activity report", values=values, **data)


async def report_csv(web: WebApp, request: Request) -> Response:
    values = dict(request.query_params)

    def read(engine: Engine) -> tuple[str, str]:
        from afterview.engine.io.report import as_csv

        built = _report_period(engine, values)
        return as_csv(built), f"afterview-activity-{built.end.isoformat()}.csv"

    try:
        text, name = await web.engine_do(read)
    except Refusal as refused:
        return PlainTextResponse(f"error: {refused.args[0]}\n", status_code=refused.status)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


async def calendar(web: WebApp, request: Request) -> Response:
    secret = web.feed.current()
    host = request.headers.get("host", "")
    return web.page(request, "calendar.html", title="Calendar feed",
                    feed_url=f"http://{host}/calendar.ics?feed={secret}")


async def revoke_feed(web: WebApp, request: Request) -> Response:
    await checked_form(request)
    web.feed.revoke()
    return web.done(request, "/calendar", "a new feed address was made: the old one no longer "
                    "works; subscribe again with the new one")


async def calendar_feed(web: WebApp, request: Request) -> Response:
    """The live ICS feed: no session (a calendar application has none), its own secret."""
    if not web.feed.matches(request.query_params.get("feed")):
        return PlainTextResponse("error: this calendar address is not valid (it may have been "
                                 "revoked): copy the current one from the Calendar page\n",
                                 status_code=403)

    def read(engine: Engine) -> str:
        from afterview.engine.io.ics import export_ics

        return export_ics(engine)

    return Response(await web.engine_do(read), media_type="text/calendar; charset=utf-8")


async def help_page(web: WebApp, request: Request) -> Response:
    return web.page(request, "help.html", title="Help")
