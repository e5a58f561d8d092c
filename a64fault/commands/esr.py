"""``a64fault esr``: decode ESR_ELx values into named fields."""

from __future__ import annotations

import json

import click

from ..esr import decode
from ..numbers import parse_int
from . import SHORT_HELP


@click.command("esr", short_help=SHORT_HELP["esr"])
@click.argument("values", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per value.")
def command(values: tuple[str, ...], as_json: bool) -> None:
    """Decode ESR_ELx VALUES (hex, 0x optional, up to 64 bits), e.g. 0x92000007."""
    syndromes = [decode(parse_int(text, "ESR", hex_default=True, bits=64)) for text in values]
    for index, syndrome in enumerate(syndromes):
        if as_json:
            click.echo(json.dumps(syndrome.to_dict()))
        else:
            if index:
                click.echo()
            click.echo(str(syndrome))
