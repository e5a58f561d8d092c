"""``a64fault audit``: exact per-form counts of what a decode predicate matches."""

from __future__ import annotations

import json

import click

from ..errors import InputError
from ..policies import DEFAULT_POLICY, POLICIES


def _form_line(f, words: int | None = None) -> str:
    feature = f.feature or "base"
    amount = f"{f.matched}/{f.total}" if words is None else f"{words}"
    return f"  {f.form:<12} {f.kind.value:<17} {feature:<8} {amount}"


def _print_text(result) -> None:
    echo = click.echo
    echo(f"predicate {result.predicate}: {result.matched} words")
    full = [f for f in result.forms if f.status == "full"]
    partial = [f for f in result.forms if f.status == "partial"]
    echo(f"fully matched forms ({len(full)}):       matched/total words")
    for f in full:
        echo(_form_line(f))
    echo(f"partly matched forms ({len(partial)}):")
    for f in partial:
        echo(_form_line(f))
    echo(f"matched outside any form (unallocated): {result.unallocated_matched} words")
    if result.against is None:
        return
    fps = [f for f in result.forms if f.false_positive_words]
    fns = [f for f in result.forms if f.false_negative_words]
    echo(f"against policy {result.against}:")
    echo(f"false positives ({len(fps)} forms"
         f"{', + unallocated' if result.unallocated_matched else ''}):  words wrongly matched")
    for f in fps:
        echo(_form_line(f, f.false_positive_words))
    echo(f"false negatives ({len(fns)} forms):  words missed")
    for f in fns:
        echo(_form_line(f, f.false_negative_words))


@click.command(name="audit", short_help="Count exactly what a decode predicate matches, per form.")
@click.argument("predicate", nargs=-1)
@click.option("--preset", help="A predicate from a64fault/policies.py: kernel-v5, class_atomic, "
              "has_wr_perm, cas, casp.")
@click.option("--against", type=click.Choice(POLICIES), default=DEFAULT_POLICY, show_default=True,
              help="Reference policy: false positives/negatives are reported by form against it.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the table.")
def command(predicate, preset, against, as_json):
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
        _print_text(result)
