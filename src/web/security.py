"""What keeps a tool that holds salaries private on a shared machine: the one-time launch
token and the session it buys, the Host check against DNS rebinding, the CSRF check on
every POST, the request size cap and the headers on every response (docs/web.md).

The guard is plain ASGI around the whole app, so no route can forget it; the CSRF check
needs the form and is made by ``checked_form``, the one way a POST handler reads its form.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 1024 * 1024  # 1 MiB: a form with a long note is a few kilobytes
MAX_FIELDS = 200

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),  # pages hold salaries: never kept on disk by the browser
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

# Paths served without a session: the static files (the explanation page needs its style)
# and the calendar feed, which has its own secret.
PUBLIC_PREFIXES = ("/static/",)
FEED_PATH = "/calendar.ics"


class Session:
    """One browser that showed the launch token: its CSRF token and its pending message."""

    def __init__(self) -> None:
        self.csrf = secrets.token_urlsafe(32)
        self.flash: list[str] = []


class Gate:
    """The launch token (good once) and the sessions it opened; one per server process."""

    def __init__(self, port: int, launch_token: str | None = None) -> None:
        self.launch_token: str | None = launch_token or secrets.token_urlsafe(32)
        self.cookie = f"afterview_session_{port}"  # one browser may talk to two servers
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def exchange(self, token: str) -> str | None:
        """A new session id for the launch token, which then stops working."""
        with self._lock:
            if self.launch_token is None or not hmac.compare_digest(token, self.launch_token):
                return None
            self.launch_token = None
            session_id = secrets.token_urlsafe(32)
            self._sessions[session_id] = Session()
            return session_id

    def session(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            for known, found in self._sessions.items():
                if hmac.compare_digest(known, session_id):
                    return found
        return None


class HostRule:
    """The Host headers a request may carry: the bound address and, on the loopback, the
    name localhost. Bound to every interface (``--allow-remote``), any IP literal is
    accepted too (a rebinding attack needs a DNS name), plus this machine's own names."""

    def __init__(self, host: str, port: int) -> None:
        names = {host}
        self.any_ip = host in ("0.0.0.0", "::")
        if host in ("127.0.0.1", "::1", "localhost"):
            names |= {"127.0.0.1", "localhost"}
        if self.any_ip:
            import socket

            names |= {"localhost", socket.gethostname(), socket.getfqdn()}
        self.port = port
        self.allowed = {f"{name}:{port}".lower() for name in names}

    def allows(self, header: str) -> bool:
        header = header.lower()
        if header in self.allowed:
            return True
        name, _, port = header.rpartition(":")
        if not self.any_ip or port != str(self.port):
            return False
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False
        return True


class Guard:
    """ASGI middleware: headers on every response; Host, size and session checked first."""

    def __init__(self, app: ASGIApp, gate: Gate, hosts: HostRule,
                 explain: Callable[[int, str], bytes]) -> None:
        self.app, self.gate, self.hosts = app, gate, hosts
        self.explain = explain  # (status, reason) -> the HTML page that says what to do

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {name for name, _ in HEADERS}]
                message["headers"] = headers + HEADERS
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not self.hosts.allows(headers.get("host", "")):
            await self._refuse(send_with_headers, 400, "host")
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            await self._refuse(send_with_headers, 413, "size")
            return
        path = scope["path"]
        if not path.startswith(PUBLIC_PREFIXES) and path != FEED_PATH:
            cookie = _cookies(headers.get("cookie", "")).get(self.gate.cookie)
            session = self.gate.session(cookie)
            if session is None and not (path == "/" and scope["method"] == "GET"
                                        and b"token=" in scope.get("query_string", b"")):
                await self._refuse(send_with_headers, 401, "session")
                return
            scope.setdefault("state", {})["session"] = session
        await self.app(scope, _capped(receive), send_with_headers)

    async def _refuse(self, send: Send, status: int, reason: str) -> None:
        body = self.explain(status, reason)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _capped(receive: Receive) -> Receive:
    """A body without a Content-Length (chunked) is cut off past MAX_BODY too."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise HTTPException(413, "the request is larger than 1 MiB")
        return message

    return capped


def _cookies(header: str) -> dict[str, str]:
    found = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found[name] = value
    return found


def session_of(request: Request) -> Session:
    session = request.scope.get("state", {}).get("session")
    if not isinstance(session, Session):
        raise HTTPException(401, "no session")
    return session


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token matches the session's and its Origin (when the
    browser sent one) is this server; else 403 and nothing is done."""
    session = session_of(request)
    if not _same_origin(request):
        raise HTTPException(403, "cross-site request refused: its Origin is not this server")
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    token = form.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, session.csrf):
        raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page "
                                 "and send it again")
    return form


def _same_origin(request: Request) -> bool:
    """Whether the browser says the POST comes from one of this server's pages.

    An ``Origin`` must be this server. ``Origin: null`` is what a browser sends for a form
    posted from a page whose Referrer-Policy is no-referrer (ours are), and also from a
    sandboxed or opaque page elsewhere: it passes only with ``Sec-Fetch-Site: same-origin``.
    A ``Sec-Fetch-Site`` naming another site is refused whatever the Origin says."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return fetch_site == "same-origin"
    parts = urlsplit(origin)
    return parts.scheme == "http" and parts.netloc.lower() == request.headers.get("host", "").lower()
