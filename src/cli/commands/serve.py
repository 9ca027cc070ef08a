"""``serve``: the local web app (afterview.web), started only when asked for, so no other
command loads Starlette or uvicorn."""

from __future__ import annotations

import click

from afterview.cli.context import Refused, session


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="Address to listen on; anything but this computer needs --allow-remote.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              metavar="N", help="Port to listen on; 0 picks a free one.")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option("--allow-remote", is_flag=True,
              help="Allow a --host other machines can reach (your salaries travel unencrypted).")
def serve(host: str, port: int, no_browser: bool, allow_remote: bool) -> None:
    """The board, the agenda and every fact in your browser (docs/web.md).

    The first line printed is the address to open, with a one-time launch token. SIGINT
    (Ctrl-C) or SIGTERM stops the server.
    """
    from afterview.web.server import bind, is_loopback
    from afterview.web.server import serve as run

    if not is_loopback(host):
        if not allow_remote:
            raise Refused(f"--host {host} lets other machines reach your job search: add "
                          "--allow-remote if that is what you want, or keep the default 127.0.0.1")
        click.echo(f"warning: listening on {host}: anyone who can reach this machine can try "
                   "to connect, and the pages travel unencrypted (plain HTTP)", err=True)
    from afterview.cli.context import shared_database
    from afterview.web.feed import secret_file
    from afterview.web.site import LogPlace

    s = session()
    path = s.db_file
    shared = shared_database(s.db_path)
    if path is None and shared is None:
        raise Refused(f"serve needs a database file or a shared PostgreSQL database, and "
                      f"{s.db_path} is neither: each request opens the log afresh (give --db a "
                      "path)")
    s.engine.settings  # noqa: B018  # open (or create) the log now: refuse before listening
    s.close()  # each request opens its own connection
    log = LogPlace(path if path is not None else str(s.db_path), s.tenant,
                   secret_file(path, str(s.db_path), s.tenant))
    try:
        sock = bind(host, port)
    except OSError as error:
        raise Refused(f"cannot listen on {host}:{port}: {error.strerror or error}; choose "
                      "another --port (0 picks a free one)", 1) from None
    raise SystemExit(run(log, sock, host, open_browser=not no_browser))


COMMANDS = [serve]
