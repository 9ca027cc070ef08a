"""The console script's entry point.

``afterview --version`` is answered here, before the command line itself (click and its
imports, about 20 ms of CPU: twice the interpreter's own start) is loaded; everything else
goes on to :func:`afterview.cli.main.main`, which answers ``--version`` the same way.
"""

from __future__ import annotations

import sys

from afterview import __version__


def main(argv: list[str] | None = None) -> object:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        try:
            sys.stdout.write(f"afterview {__version__}\n")
            sys.stdout.flush()
        except BrokenPipeError:  # `afterview --version | true`: nothing to say, no traceback
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return None
    from afterview.cli.main import main as run

    return run(argv)


if __name__ == "__main__":
    main()
