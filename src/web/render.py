"""The pages' Jinja2 environment: autoescape on for every template, and the filters that
show times in the person's zone and amounts with their currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

TEMPLATES = Path(__file__).parent / "templates"

# What every page may leave out.
DEFAULTS: dict[str, object] = {"error": None, "values": {}, "failed": None, "tz": None,
                            "title": "", "detail": None}


@pass_context
def local(context: Context, moment: datetime | None, fmt: str = "%a %Y-%m-%d %H:%M") -> str:
    if moment is None:
        return "-"
    tz = context.get("tz")
    return (moment.astimezone(tz) if tz is not None else moment).strftime(fmt)


def day(value: date | None) -> str:
    return "-" if value is None else f"{value:%a} {value.isoformat()}"


def money(amount: Decimal | None, currency: str | None = None) -> str:
    from afterview.engine.domain.offers import format_money

    return "-" if amount is None else format_money(amount, currency)


class Renderer:
    def __init__(self) -> None:
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(local=local, day=day, money=money)

    def render(self, template: str, **context: object) -> str:
        return self.env.get_template(template).render({**DEFAULTS, **context})
