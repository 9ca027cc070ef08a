"""Running the web app: bind the socket first (so ``--port 0`` can print the real port),
print the launch address as the first line on stdout, open the browser, and serve with
uvicorn until SIGINT or SIGTERM, which stop it cleanly (exit 0)."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import sys
import threading
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from types import FrameType

    import uvicorn

    from afterview.web.site import LogPlace


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; OSError when the address is taken or not this machine's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections made before uvicorn runs wait in the backlog
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def launch_url(host: str, port: int, token: str) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def serve(log: LogPlace, sock: socket.socket, host: str, open_browser: bool,
          out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Serve until a signal stops it; the exit status."""
    import uvicorn

    from afterview.web.app import create_app

    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(32)
    app = create_app(log, host, port, token)
    url = launch_url(host, port, token)
    print(url, file=out, flush=True)
    from afterview.engine.service.shared import describe

    where = describe(log.location) + (f" (tenant {log.tenant})" if log.tenant else "")
    print(f"afterview serve: {where}; open the address above (it works once); "
          "Ctrl-C stops the server", file=err, flush=True)
    if open_browser and _has_a_display():
        import webbrowser

        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    elif open_browser:
        print("afterview serve: no display to open a browser on; open the address yourself",
              file=err, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            server_header=False, proxy_headers=False,
                            timeout_graceful_shutdown=5)
    _stoppable(config).run(sockets=[sock])
    print("afterview serve: stopped", file=err, flush=True)
    return 0


def _has_a_display() -> bool:
    """Whether a graphical browser can open: without a display, Python's webbrowser would
    start a text browser (lynx, w3m) in this terminal, on top of the server's output."""
    if sys.platform in ("darwin", "win32") or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _stoppable(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, except that the signal which stopped it is not raised again
    afterwards: SIGINT and SIGTERM are how a person stops it, a clean exit 0."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    return Server(config)
