"""The web app: Starlette routes over the engine's service layer. Each page reads the log
afresh (so what the command line or the daemon wrote shows at once); each POST goes through
``checked_form`` (CSRF), builds the fact the command of the same name would, and records it
through the Engine, so every rule and refusal holds here too. The app never fires tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from afterview.web import pages
from afterview.web.feed import secret_file
from afterview.web.security import Gate, Guard, HostRule
from afterview.web.site import LogPlace, WebApp

STATIC = Path(__file__).parent / "static"


def create_app(log: LogPlace | Path, host: str, port: int, launch_token: str | None = None) -> Guard:
    """The ASGI app for ``afterview serve`` on host:port, guarded (security.Guard)."""
    gate = Gate(port, launch_token)
    if isinstance(log, Path):  # a database file
        log = LogPlace(log, None, secret_file(log, str(log), None))
    web = WebApp(log, gate, HostRule(host, port))

    async def home(request: Request) -> Response:
        """The board; with ``?token=`` the launch token's exchange for a session cookie."""
        token = request.query_params.get("token")
        if token is None:
            return await pages.board(web, request)
        session_id = gate.exchange(token)
        if session_id is None:
            return HTMLResponse(web.explain(403, "token"), status_code=403)
        response = RedirectResponse("/", status_code=303)  # the token leaves the address bar
        response.set_cookie(gate.cookie, session_id, httponly=True, samesite="strict", path="/")
        return response

    routes = [
        Route("/", home),
        *pages.routes(web),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error(web)})
    return Guard(app, gate, web.hosts, web.explain)


def _http_error(web: WebApp) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        reason = {403: "csrf", 413: "size", 401: "session"}.get(error.status_code, "other")
        return HTMLResponse(web.explain(error.status_code, reason, error.detail),
                            status_code=error.status_code)

    return handle
