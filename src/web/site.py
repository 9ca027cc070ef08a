"""What every page handler shares: the engine (opened per request, in a worker thread), the
templates, the session's flash messages, and how a refusal is shown on the page it came
from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeAlias, TypeVar
from urllib.parse import quote

import attrs
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from afterview.engine.service.api import Engine, open_engine
from afterview.engine.service.errors import message_of
from afterview.engine.service.unit_of_work import Actor
from afterview.web import feed
from afterview.web.forms import Refusal
from afterview.web.render import Renderer
from afterview.web.security import Gate, HostRule, session_of

T = TypeVar("T")

Handler: TypeAlias = "Callable[[WebApp, Request], Awaitable[Response]]"
"""A page or a form's POST: what the app shares, and the request."""
Endpoint: TypeAlias = Callable[[Request], Awaitable[Response]]
"""A handler bound to the app, as Starlette's Route calls it."""


@attrs.frozen
class LogPlace:
    """Whose log the app serves: a database file, or a tenant of a shared PostgreSQL
    database; and where its calendar feed's secret is kept."""

    location: str | Path
    tenant: str | None
    feed_file: Path


class WebApp:
    """One person's job search in a browser: the database, the gate and the templates."""

    def __init__(self, log: LogPlace, gate: Gate, hosts: HostRule) -> None:
        self.log, self.gate, self.hosts = log, gate, hosts
        self.renderer = Renderer()
        self.feed = feed.FeedSecret(log.feed_file)

    # -- the engine, one per request, in a worker thread -------------------------

    async def engine_do(self, work: Callable[[Engine], T]) -> T:
        from starlette.concurrency import run_in_threadpool

        def run() -> T:
            engine = open_engine(self.log.location, tenant=self.log.tenant, actor=Actor.WEB)
            try:
                return work(engine)
            except Exception as error:
                found = message_of(error)
                if found is None:
                    raise
                message, code = found
                raise Refusal(message, 400 if code == 2 else 409) from None
            finally:
                engine.close()

        return await run_in_threadpool(run)

    # -- responses ------------------------------------------------------------

    def page(self, request: Request, template: str, status: int = 200, /,
             **context: object) -> Response:
        session = session_of(request)
        flash, session.flash = session.flash, []
        html = self.renderer.render(template, csrf=session.csrf, flash=flash,
                                    path=request.url.path, **context)
        return HTMLResponse(html, status_code=status)

    def done(self, request: Request, to: str, *messages: str) -> Response:
        """After a POST that worked: say what happened on the next page (Post/Redirect/Get)."""
        session_of(request).flash.extend(messages)
        return RedirectResponse(to, status_code=303)

    async def refused_page(self, request: Request, refused: Refusal, show: Callable[..., Awaitable[Response]],
                           at: str, **context: object) -> Response:
        """The page the form was on (at the address ``at``), with the refusal at the top in
        the command line's words and the values typed kept."""
        response = await show(self, request, error=refused.args[0],
                                        status=refused.status, **context)
        response.headers["HX-Push-Url"] = quote(at, safe="/")  # else htmx shows the POST's
        return response

    def explain(self, status: int, reason: str, detail: str | None = None) -> bytes:
        """The page for a request refused before any route: what happened, what to do."""
        return self.renderer.render("denied.html", status=status, reason=reason, detail=detail,
                                    csrf="", flash=[], path="").encode()
