"""``a64fault scan``: classify every instruction of AArch64 ELF files."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext

import click

from ..errors import InputError
from ..kinds import Kind
from ..policies import POLICIES


def _scan_one(args):
    """Worker: (path, policy, kinds) -> (path, result dict or None, error or None)."""
    from ..scan import scan_file

    path, policy, kinds, limit = args
    try:
        return path, scan_file(path, policy, kinds, limit=limit).as_json(), None
    except InputError as error:
        return path, None, str(error)
    except OSError as error:
        return path, None, f"{path}: {error.strerror or error}"


def _results(jobs, tasks):
    """Yield (path, result, error) per file, in the order given."""
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield _scan_one(task)
        return
    with ProcessPoolExecutor(min(jobs, len(tasks))) as pool:
        yield from pool.map(_scan_one, tasks)


def _print_text(result: dict) -> None:
    echo = click.echo
    echo(f"{result['file']}: {result['instructions']} instructions"
         f" ({result['data_words']} data words skipped) in {', '.join(result['sections']) or '-'}")
    counts = "  ".join(f"{k} {n}" for k, n in result["counts"].items() if n)
    echo(f"  kinds:    {counts}")
    features = "  ".join(f"{k} {n}" for k, n in result["features"].items())
    echo(f"  features: {features or '-'}")
    shown = len(result["listed"])
    more = f" ({shown} listed)" if shown < result["selected"] else ""
    echo(f"  {result['selection']}: {result['selected']} instructions{more}")
    for item in result["listed"]:
        echo(f"    {item['address']:>12}  {item['symbol'] or '?':<32} {item['word']}  "
             f"{item['text'] or '(unknown)':<32} {item['kind']:<17} {item['form'] or '-'}")


@click.command(name="scan", short_help="Count kinds in ELF files; list what a policy upgrades.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--policy", type=click.Choice(POLICIES), default=None,
              help="List the instructions this policy upgrades (default: atomic).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in Kind]),
              help="List the instructions of this kind instead (repeatable).")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="List at most N selected instructions per file (all are counted).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Files scanned in parallel (processes).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per file.")
def command(files, policy, kinds, limit, jobs, as_json):
    """Count instructions per kind and feature in ELF FILES; list the upgraded ones.

    A file that cannot be read gets one error line on stderr and the others
    are still scanned; the exit status is then 1.
    """
    if policy and kinds:
        raise InputError("give --policy or --kind, not both")
    tasks = [(path, policy, list(kinds), limit) for path in files]
    failed = 0
    show_bar = sys.stderr.isatty() and len(tasks) > 1
    bar = click.progressbar(length=len(tasks), file=sys.stderr, label="scanning") if show_bar \
        else None
    with bar if bar is not None else nullcontext():
        for _path, result, error in _results(jobs, tasks):
            if bar is not None:
                bar.update(1)
            if error is not None:
                failed += 1
                click.echo(f"a64fault: error: {error}", err=True)
                continue
            if as_json:
                click.echo(json.dumps(result))
            else:
                _print_text(result)
    if failed:
        sys.exit(1)
