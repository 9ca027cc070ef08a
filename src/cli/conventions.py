"""What every command shares on the command line: the global options accepted after the
command too (``afterview show acme --json``), and the example that ends each ``--help``."""

from __future__ import annotations

import click

# One line a person can copy for each command, shown at the end of its --help.
EXAMPLES = {
    "apply": 'afterview apply Acme "Backend Engineer" --source referral',
    "note": 'afterview note acme "Recruiter said the team is hiring two people"',
    "list": "afterview list --state interviewing",
    "board": "afterview board --state offered",
    "show": "afterview show acme",
    "status": "afterview status --as-of 2026-11-01",
    "history": "afterview history acme",
    "verify": "afterview verify",
    "config": "afterview config set timezone Europe/Berlin",
    "config set": "afterview config set workday_start 08:30",
    "config get": "afterview config get timezone",
    "config list": "afterview config list",
    "interview": 'afterview interview acme --on "next tue 10am" --kind video --with "Ana Ruiz"',
    "debrief": 'afterview debrief acme --with Ana --question "Why us?" --answer "The product"',
    "thanks": "afterview thanks acme --to Ana",
    "follow-up": 'afterview follow-up acme --note "Asked about next steps"',
    "offer": "afterview offer acme --salary 95000 --bonus 10% --respond-by friday",
    "ask-time": 'afterview ask-time acme --until "next monday"',
    "counter": "afterview counter acme --salary 105000 --reason market",
    "accept": "afterview accept acme --start 2027-01-04",
    "withdraw": 'afterview withdraw acme --reason "took another offer"',
    "declined": 'afterview declined acme --reason "position filled"',
    "feedback": 'afterview feedback acme --received "Strong on design, weaker on SQL"',
    "reflect": 'afterview reflect acme "Prepare system design examples next time"',
    "notice": "afterview notice acme",
    "contact": "afterview contact acme \"Ana Ruiz\" --title CTO --email ana@acme.example",
    "void": 'afterview void 0a1b2c3d --reason "recorded on the wrong application"',
    "agenda": "afterview agenda --week",
    "done": 'afterview done acme-backend#1 --note "sent it"',
    "snooze": "afterview snooze acme-backend#1 --until tomorrow",
    "dismiss": 'afterview dismiss acme-backend#1 --reason "they called first"',
    "compare": "afterview compare",
    "draft": "afterview draft thank-you acme",
    "practice": "afterview practice --company acme",
    "daemon": "afterview daemon --hook 'notify-me --json'",
    "tick": "afterview tick --json",
    "export": "afterview export --format ics -o interviews.ics",
    "import": "afterview import applications.csv",
    "stats": "afterview stats",
    "report": "afterview report --from 2026-11-01 --to 2026-11-30",
    "diagram": "afterview diagram",
    "demo": "afterview demo --db /tmp/afterview-demo.db",
    "digest": "afterview digest",
    "search": "afterview search postgres",
    "contacts": "afterview contacts",
    "edit": "afterview edit acme --priority 1 --tag dream",
    "discard": 'afterview discard acme-backend-engineer-2 --reason "entered twice"',
    "start-date": "afterview start-date acme 2027-01-04",
    "vacation": 'afterview vacation 2026-12-24 2027-01-01 --reason "holidays"',
    "serve": "afterview serve --port 8765 --no-browser",
    "rebuild": "afterview rebuild",
    "db": "afterview db init --db postgresql://afterview@db.example/jobs",
    "db init": "afterview db init --db postgresql://afterview@db.example/jobs",
    "db tenants": "afterview db tenants --db postgresql://afterview@db.example/jobs",
}


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().obj.as_json = True


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_root().obj.use_database(value)


def _set_tenant(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        session = ctx.find_root().obj
        session.close()
        session.tenant = value


def _global_options(command: click.Command) -> list[click.Option]:
    names = {name for param in command.params for name in getattr(param, "opts", ())}
    options = []
    if "--json" not in names:
        options.append(click.Option(["--json"], is_flag=True, expose_value=False,
                                    callback=_set_json,
                                    help="Machine-readable output (also before the command)."))
    if "--db" not in names:  # demo has a --db of its own
        options.append(click.Option(["--db"], metavar="PATH", expose_value=False,
                                    callback=_set_db,
                                    help="Database file (also before the command)."))
    if "--tenant" not in names:
        options.append(click.Option(["--tenant"], metavar="NAME", expose_value=False,
                                    callback=_set_tenant,
                                    help="Whose log, in a shared database (also before the "
                                         "command)."))
    return options


def dress(command: click.Command, path: str = "") -> None:
    """Give ``command`` (and every subcommand) the global options and its example."""
    name = f"{path} {command.name}".strip()
    example = EXAMPLES.get(name)
    if example is not None and not command.epilog:
        command.epilog = f"\b\nExample:\n  {example}"  # \b: click keeps the line as it is
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            dress(sub, name)
    command.params.extend(_global_options(command))
