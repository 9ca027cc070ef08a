"""A real ``afterview serve`` for the web tests: a subprocess on 127.0.0.1, port 0, whose
first stdout line is the launch address; and a session that has exchanged its token."""

from __future__ import annotations

import re
import subprocess
import threading
from urllib.parse import urlsplit

import httpx

from conftest import CLI, afterview_command


class Served:
    def __init__(self, cli: CLI, *args: str) -> None:
        self.cli = cli
        self.proc = subprocess.Popen(
            [*afterview_command(), "serve", "--port", "0", "--no-browser", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli.env())
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.err: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first: list[str] = []
        started = threading.Thread(target=lambda: first.append(self.proc.stdout.readline()),
                                   daemon=True)
        started.start()
        started.join(timeout=60)
        self.url = first[0].strip() if first else ""  # the first line, by contract
        if not self.url:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"serve printed no address (exit {self.proc.returncode}): "
                                 f"{self.err}")
        parts = urlsplit(self.url)
        self.host = parts.netloc  # 127.0.0.1:PORT
        self.port = parts.port
        self.base = f"http://{self.host}"
        self.token = parts.query.removeprefix("token=")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line.rstrip("\n"))

    def stop(self, sig: int | None = None) -> int:
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(sig or signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        self._reader.join(timeout=2)
        return code


def signed_in(served: Served) -> tuple[httpx.Client, str]:
    """A client holding the session the launch token bought, and its CSRF token."""
    client = httpx.Client(base_url=served.base, follow_redirects=False, timeout=30)
    exchanged = client.get(f"/?token={served.token}")
    assert exchanged.status_code == 303, exchanged.text
    return client, csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found[1]
