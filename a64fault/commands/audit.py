"""``a64fault audit``: exact per-form counts of what a decode predicate matches."""

from __future__ import annotations

import json

import click

from ..errors import InputError
from ..policies import DEFAULT_POLICY, POLICIES
from . import SHORT_HELP


@click.command(name="audit", short_help=SHORT_HELP["audit"])
@click.argument("predicate", nargs=-1)
@click.option("--preset", help="A predicate from a64fault/policies.py: kernel-v5, class_atomic, "
              "has_wr_perm, cas, casp.")
@click.option("--against", type=click.Choice(POLICIES), default=DEFAULT_POLICY, show_default=True,
              help="Reference policy: false positives/negatives are reported by form against it.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the table.")
def command(predicate: tuple[str, ...], preset: str | None, against: str, as_json: bool) -> None:
    """Count exactly, per table form, the encodings a decode predicate accepts.

    PREDICATE is MASK:VALUE (the words with (w & MASK) == VALUE), several
    joined with '|' (or), '&' (and), '!' (not) and parentheses; quote it for
    the shell. Or use --preset.
    """
    from ..audit import audit, parse_predicate
    from ..audit import preset as preset_set

    if predicate and preset:
        raise InputError("give a PREDICATE or --preset, not both")
    if not predicate and not preset:
        raise InputError("give a PREDICATE (MASK:VALUE ...) or --preset NAME")
    if preset:
        cubes, label = preset_set(preset), preset
    else:
        label = " ".join(predicate)
        cubes = parse_predicate(label)
    result = audit(cubes, against=against, label=label)
    if as_json:
        click.echo(json.dumps(result.as_json()))
    else:
        for line in result.text_lines():
            click.echo(line)
