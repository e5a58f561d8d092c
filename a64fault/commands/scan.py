"""``a64fault scan``: classify every instruction of AArch64 ELF files and directories."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext

import click

from ..decoder.elf.debugfile import DEFAULT_DEBUG_DIR
from ..errors import InputError, one_line
from ..kinds import Kind
from ..policies import POLICIES
from . import SHORT_HELP
from .columns import fit, symbol_text
from .numbers import Count

#: Width of the symbol column of a listed instruction (longer names are cut).
SYMBOL_COLUMN = 32


def _scan_one(args):
    """Worker: task tuple -> (path, result dict or None, error or None)."""
    from ..scan import scan_file

    path, policy, kinds, limit, debug_dir, data_check = args
    try:
        result = scan_file(path, policy, kinds, limit=limit, debug_dir=debug_dir,
                           data_check=data_check)
        return path, result.as_json(), None
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
    from concurrent.futures import ProcessPoolExecutor

    # Loaded once here, shared by the forked workers instead of loaded by each.
    from .. import listing, scan, vector  # noqa: F401

    vector.vector_table()
    with ProcessPoolExecutor(min(jobs, len(tasks))) as pool:
        yield from pool.map(_scan_one, tasks, chunksize=4)


def _print_text(result: dict, demangled: bool) -> None:
    echo = click.echo
    likely = f", {result['likely_data']} likely data" if result["likely_data"] else ""
    echo(f"{result['file']}: {result['instructions']} instructions"
         f" ({result['data_words']} data words skipped{likely})"
         f" in {', '.join(result['sections']) or '-'}")
    if result.get("debug_file"):
        echo(f"  symbols:  {result['debug_file']}")
    counts = "  ".join(f"{k} {n}" for k, n in result["counts"].items() if n)
    echo(f"  kinds:    {counts}")
    features = "  ".join(f"{k} {n}" for k, n in result["features"].items())
    echo(f"  features: {features or '-'}")
    shown = len(result["listed"])
    more = f" ({shown} listed)" if shown < result["selected"] else ""
    echo(f"  {result['selection']}: {result['selected']} instructions{more}")
    width = max([12] + [len(item["address"]) for item in
                        result["listed"] + result["likely_data_listed"]])
    _print_items(result["listed"], demangled, "", width)
    if result["likely_data"]:
        echo(f"  likely data (no mapping symbols; counted apart): {result['likely_data']} words")
        _print_items(result["likely_data_listed"], demangled, "(data?) ", width)


def _print_items(items, demangled: bool, prefix: str, width: int) -> None:
    lines = []
    for item in items:
        text = prefix + (item["text"] or "(unknown)")
        symbol = symbol_text(item, demangled) or "?"
        if len(symbol) > SYMBOL_COLUMN:
            symbol = fit(symbol, SYMBOL_COLUMN)
        lines.append(f"    {item['address']:>{width}}  {symbol:<32} "
                     f"{item['word']}  {text:<32} {item['kind']:<17} {item['form'] or '-'}")
    if lines:
        click.echo("\n".join(lines))


@click.command(name="scan", short_help=SHORT_HELP["scan"])
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--policy", type=click.Choice(POLICIES), default=None,
              help="List the instructions this policy upgrades (default: atomic).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in Kind]),
              help="List the instructions of this kind instead (repeatable).")
@click.option("--limit", type=Count(0), default=None,
              help="List at most N selected instructions per file (all are counted).")
@click.option("-j", "--jobs", type=Count(1), default=1, show_default=True,
              help="Files scanned in parallel (processes).")
@click.option("--summary", is_flag=True,
              help="Totals over all files at the end (a final JSON object with --json).")
@click.option("--debug-dir", default=str(DEFAULT_DEBUG_DIR), show_default=True, metavar="DIR",
              help="Where separate debug files of stripped files are looked up.")
@click.option("--no-demangle", "no_demangle", is_flag=True,
              help="Show C++/Rust symbol names as stored (JSON has both anyway).")
@click.option("--no-data-check", "no_data_check", is_flag=True,
              help="List selected words in likely-data runs as instructions too.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON Lines: one object per file (a failed file: file and error).")
def command(files, policy, kinds, limit, jobs, summary, debug_dir, no_demangle, no_data_check,
            as_json):
    """Count instructions per kind and feature in ELF FILES; list the upgraded ones.

    A directory is walked recursively: files starting with the ELF magic are
    scanned, others are counted as skipped. A file that cannot be read gets
    one error line on stderr (and, with --json, an object {"file", "error"})
    and the others are still scanned; the exit status is then 1.
    """
    from ..scanfiles import find_files
    from ..scansummary import Summary

    if policy and kinds:
        raise InputError("give --policy or --kind, not both")
    found = find_files(files)
    tasks = [(path, policy, list(kinds), limit, debug_dir, not no_data_check)
             for path in found.files]
    totals = Summary(skipped=found.skipped)
    show_bar = sys.stderr.isatty() and len(tasks) > 1
    bar = click.progressbar(length=len(tasks), file=sys.stderr, label="scanning") if show_bar \
        else None
    with bar if bar is not None else nullcontext():
        for path, result, error in _results(jobs, tasks):
            if bar is not None:
                bar.update(1)
            if error is not None:
                totals.failed += 1
                click.echo(f"a64fault: error: {one_line(error)}", err=True)
                if as_json:
                    click.echo(json.dumps({"file": path, "error": error}))
                continue
            totals.add(result)
            if as_json:
                click.echo(json.dumps(result))
            else:
                _print_text(result, demangled=not no_demangle)
    if summary:
        if as_json:
            click.echo(json.dumps(totals.as_json()))
        else:
            for line in totals.lines():
                click.echo(line)
    if totals.failed:
        sys.exit(1)
