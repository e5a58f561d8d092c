"""A click option type for counts, so every number the CLI reads goes through
a64fault.numbers.parse_int (0x hex or decimal, length-limited before conversion)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..errors import InputError
from ..numbers import parse_int

if TYPE_CHECKING:
    _IntType = click.ParamType[int, object]  # generic in click's type information only
else:
    _IntType = click.ParamType


class Count(_IntType):
    """An integer option in [minimum, maximum] (maximum None: up to 2**64 - 1)."""

    name = "integer"

    def __init__(self, minimum: int = 0, maximum: int | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        what = "/".join(param.opts) if param is not None else "value"
        try:
            number = parse_int(str(value), what)
        except InputError as error:
            self.fail(str(error), param, ctx)
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            top = "" if self.maximum is None else f" and at most {self.maximum}"
            self.fail(f"{what} {number} must be at least {self.minimum}{top}", param, ctx)
        return number
