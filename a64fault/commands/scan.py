"""``a64fault scan``: classify every instruction of AArch64 ELF files and directories."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from typing import Any, TypeAlias

import click

from ..decoder.elf.debugfile import DEFAULT_DEBUG_DIR
from ..errors import InputError, one_line
from ..kinds import Kind
from ..policies import POLICIES
from . import SHORT_HELP
from .columns import Record, fit
from .numbers import Count

#: One file's work: (path, policy, kinds, limit, debug dir, data check, JSON, demangled).
Task: TypeAlias = tuple[str, "str | None", list[str], "int | None", str, bool, bool, bool]
#: One file's answer: (path, its output text, its summary part, error); the text and
#: the part are None exactly when the error is not.
Answer: TypeAlias = tuple[str, "str | None", "dict[str, Any] | None", "str | None"]

#: Width of the symbol column of a listed instruction (longer names are cut).
SYMBOL_COLUMN = 32


def _scan_one(args: Task) -> Answer:
    """Worker: task tuple -> (path, its output text or None, its summary part or
    None, error or None). The output is made here, in the worker: a parallel
    scan's parent then only writes strings, and pickles no nested records."""
    from ..scan import scan_file
    from ..scansummary import part

    path, policy, kinds, limit, debug_dir, data_check, as_json, demangled = args
    try:
        result = scan_file(path, policy, kinds, limit=limit, debug_dir=debug_dir,
                           data_check=data_check).as_json()
    except InputError as error:
        return path, None, None, str(error)
    except OSError as error:
        return path, None, None, f"{path}: {error.strerror or error}"
    shown = json.dumps(result) if as_json else _text(result, demangled)
    return path, shown, part(result), None


#: Files a parallel scan hands to its workers one at a time (the largest),
#: before the rest go in chunks of _CHUNK.
_ONE_BY_ONE = 16
_CHUNK = 32


def _results(jobs: int, tasks: list[Task]) -> Iterator[Answer]:
    """Yield _scan_one's answer per file, in the order given.

    In parallel, the largest files are started first (one by one, then the
    rest in chunks), so that no worker is left with a large file at the end
    while the others idle; answers are held until those before them are out.
    """
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield _scan_one(task)
        return
    import os
    from concurrent.futures import ProcessPoolExecutor

    # Loaded once here, shared by the forked workers instead of loaded by each.
    from .. import listing, scan, vector  # noqa: F401

    vector.vector_table()

    def size(path: str) -> int:
        try:
            return os.stat(path).st_size
        except OSError:
            return 0

    order = sorted(range(len(tasks)), key=lambda k: -size(tasks[k][0]))
    with ProcessPoolExecutor(min(jobs, len(tasks))) as pool:
        first = [(k, pool.submit(_scan_one, tasks[k])) for k in order[:_ONE_BY_ONE]]
        rest = order[_ONE_BY_ONE:]
        answers = ((k, future.result()) for k, future in first)
        later = zip(rest, pool.map(_scan_one, [tasks[k] for k in rest], chunksize=_CHUNK))
        held: dict[int, Answer] = {}
        due = 0
        for source in (answers, later):
            for k, answer in source:
                held[k] = answer
                while due in held:
                    yield held.pop(due)
                    due += 1


def _text(result: Mapping[str, Any], demangled: bool) -> str:
    """One file's text output (its lines, without the last newline)."""
    likely = f", {result['likely_data']} likely data" if result["likely_data"] else ""
    lines = [f"{result['file']}: {result['instructions']} instructions"
             f" ({result['data_words']} data words skipped{likely})"
             f" in {', '.join(result['sections']) or '-'}"]
    if result.get("debug_file"):
        lines.append(f"  symbols:  {result['debug_file']}")
    counts = "  ".join(f"{k} {n}" for k, n in result["counts"].items() if n)
    lines.append(f"  kinds:    {counts}")
    features = "  ".join(f"{k} {n}" for k, n in result["features"].items())
    lines.append(f"  features: {features or '-'}")
    shown = len(result["listed"])
    more = f" ({shown} listed)" if shown < result["selected"] else ""
    lines.append(f"  {result['selection']}: {result['selected']} instructions{more}")
    width = max([12] + [len(item["address"]) for item in
                        result["listed"] + result["likely_data_listed"]])
    _item_lines(lines, result["listed"], demangled, "", width)
    if result["likely_data"]:
        lines.append(f"  likely data (no mapping symbols; counted apart): "
                     f"{result['likely_data']} words")
        _item_lines(lines, result["likely_data_listed"], demangled, "(data?) ", width)
    return "\n".join(lines)


def _item_lines(lines: list[str], items: Iterable[Record], demangled: bool, prefix: str,
                width: int) -> None:
    # columns.symbol_text inlined: this loop runs once per listed instruction.
    shown_name = "demangled" if demangled else "symbol"
    append = lines.append
    for item in items:
        text = prefix + (item["text"] or "(unknown)")
        symbol = item[shown_name] or item["symbol"] or "?"
        if len(symbol) > SYMBOL_COLUMN:
            symbol = fit(symbol, SYMBOL_COLUMN)
        append(f"    {item['address']:>{width}}  {symbol:<32} "
               f"{item['word']}  {text:<32} {item['kind']:<17} {item['form'] or '-'}")


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
def command(files: tuple[str, ...], policy: str | None, kinds: tuple[str, ...], limit: int | None,
            jobs: int, summary: bool, debug_dir: str, no_demangle: bool, no_data_check: bool,
            as_json: bool) -> None:
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
    tasks: list[Task] = [(path, policy, list(kinds), limit, debug_dir, not no_data_check, as_json,
              not no_demangle) for path in found.files]
    totals = Summary(skipped=found.skipped)
    show_bar = sys.stderr.isatty() and len(tasks) > 1
    bar = click.progressbar(length=len(tasks), file=sys.stderr, label="scanning") if show_bar \
        else None
    with bar if bar is not None else nullcontext():
        for path, shown, result, error in _results(jobs, tasks):
            if bar is not None:
                bar.update(1)
            if error is not None:
                totals.failed += 1
                click.echo(f"a64fault: error: {one_line(error)}", err=True)
                if as_json:
                    click.echo(json.dumps({"file": path, "error": error}))
                continue
            assert result is not None and shown is not None  # no error: both are there
            totals.add(result)
            # color=True skips click's ANSI-stripping pass (a regex over the
            # whole text), which cannot change a text without an ESC.
            click.echo(shown, color=None if "\x1b" in shown else True)
    if summary:
        if as_json:
            click.echo(json.dumps(totals.as_json()))
        else:
            for line in totals.lines():
                click.echo(line)
    if totals.failed:
        sys.exit(1)
