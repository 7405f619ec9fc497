"""Parameter types shared by commands (light: the CLI imports this on every start)."""

from __future__ import annotations

import datetime as dt
import re

import click

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateParam(click.ParamType[object, dt.date]):
    """A YYYY-MM-DD day, telling an impossible date (2026-02-30) from a malformed one."""

    name = "YYYY-MM-DD"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if not _ISO_DATE.fullmatch(text):
            self.fail(f"{text!r} is not a date in the form YYYY-MM-DD", param, ctx)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text} is not a date", param, ctx)


DATE = DateParam()
