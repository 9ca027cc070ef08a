"""The ``afterview`` command: global options, error handling, and the command groups.

Each command parses, calls one engine function and renders. Engine modules are imported
inside the commands, so ``afterview --version`` and the read commands start fast.
"""

from __future__ import annotations

import sys

import click

from afterview import __version__ as VERSION
from afterview.cli import context as clictx
from afterview.cli.output.terminal import guarded_stdout

COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "core": ("apply", "note", "list", "board", "show", "status", "history", "verify",
             "rebuild", "config"),
    "facts": ("interview", "debrief", "thanks", "follow-up", "offer", "ask-time", "counter",
              "accept", "start-date", "withdraw", "declined", "discard", "feedback", "reflect",
              "notice", "contact", "void", "vacation"),
    "details": ("edit",),
    "find": ("search", "contacts"),
    "tasks": ("agenda", "done", "snooze", "dismiss"),
    "offers": ("compare", "draft", "practice"),
    "running": ("daemon", "tick", "digest"),
    "data": ("export", "import", "stats", "report", "diagram"),
    "demo": ("demo",),
    "database": ("db",),
    "serve": ("serve",),
}
"""Each module of afterview.cli.commands and the commands its COMMANDS holds (a test keeps
the two the same)."""
_MODULE_OF = {name: module for module, names in COMMAND_MODULES.items() for name in names}


class LazyGroup(click.Group):
    """click's lazy-loading group: a command's module is imported when that command is
    looked up, so ``--version`` imports no command module and ``list`` only its own.
    Listing the commands (``--help``, completion, ``.commands``) imports them all."""

    _commands: dict[str, click.Command]
    _loaded: set[str]  # the command modules imported so far

    def _load(self, module_name: str) -> None:
        if module_name in self._loaded:
            return
        self._loaded.add(module_name)
        import importlib

        module = importlib.import_module(f"afterview.cli.commands.{module_name}")
        for command in module.COMMANDS:
            self.add_command(command)

    @property  # type: ignore[override]  # click's attribute, now loaded on first use
    def commands(self) -> dict[str, click.Command]:
        """Every command: reading it imports every command module."""
        for module_name in COMMAND_MODULES:
            self._load(module_name)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands, self._loaded = dict(value), set()  # set once, by click's __init__

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        from afterview.cli.conventions import dress  # global options after it, its example

        name = name or cmd.name
        assert name is not None
        dress(cmd)
        self._commands[name] = cmd

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _MODULE_OF.get(cmd_name)
        if module_name is not None:
            self._load(module_name)
        elif cmd_name not in self._commands:
            return self.commands.get(cmd_name)  # not in the map: look in every module
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", metavar="PATH", envvar="AFTERVIEW_DB",
              help="Database file, or a store URL such as sqlite:///PATH or postgresql://... "
                   "(default: $AFTERVIEW_DB, else the user data folder).")
@click.option("--tenant", metavar="NAME", envvar="AFTERVIEW_TENANT",
              help="Whose log, in a shared PostgreSQL database (default: $AFTERVIEW_TENANT).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.version_option(VERSION, "--version", prog_name="afterview", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, db_path: str | None, tenant: str | None, as_json: bool) -> None:
    """afterview: your job search as an append-only, auditable log.

    Enter facts (apply, interview, offer, ...), see the board and the agenda, and let the
    daemon remind you of every deadline.
    """
    ctx.obj = clictx.Session(db_path=db_path, as_json=as_json, tenant=tenant)
    ctx.call_on_close(ctx.obj.close)


# click 8.2+ raises this for a group called without a command (8.1 printed help, exit 0).
_NO_ARGS_IS_HELP: tuple[type[click.UsageError], ...] = tuple(
    found for found in [getattr(click.exceptions, "NoArgsIsHelpError", None)] if found)


def main(argv: list[str] | None = None) -> object:
    """Run the command line; every refusal is one ``error:`` line and a non-zero exit."""
    _refuse_undecodable(sys.argv[1:] if argv is None else argv)
    try:
        with guarded_stdout():  # typed text is shown on a terminal, never obeyed
            return cli.main(args=argv, prog_name="afterview", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.exceptions.Abort:
        clictx.fail("interrupted", 130)
    except _NO_ARGS_IS_HELP as asked:  # a bare 'afterview' or group asks for the help
        click.echo(asked.ctx.get_help() if asked.ctx is not None else cli.get_help(
            click.Context(cli, info_name="afterview")))
        sys.exit(0)
    except click.UsageError as error:
        clictx.fail(_usage_message(error), 2)
    except click.ClickException as error:
        clictx.fail(error.format_message(), error.exit_code or 1)
    except clictx.Refused as refused:
        clictx.fail(str(refused), refused.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except KeyboardInterrupt:
        clictx.fail("interrupted", 130)
    except Exception as error:  # the last line of defence: never a traceback
        mapped = clictx.map_error(error)
        if mapped is None:
            clictx.fail(f"unexpected {type(error).__name__}: {error} "
                        "(please report this; nothing was appended)", 1)
        else:
            clictx.fail(*mapped)
    return None


def _refuse_undecodable(args: list[str]) -> None:
    """An argument that is not UTF-8 reaches Python as surrogate escapes; it would fail
    wherever it is written (the log, a terminal): refused here, once, by its position."""
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            clictx.fail(f"argument {number} ('{shown}') is not valid UTF-8 text: afterview "
                        "reads its arguments as UTF-8", 2)


def _usage_message(error: click.UsageError) -> str:
    message = error.format_message()
    command = error.ctx.command_path if error.ctx is not None else "afterview"
    return f"{message} (see '{command} --help')"


if __name__ == "__main__":
    main()
