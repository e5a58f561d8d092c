"""`a64fault fixtures`: build, count and export the encoding corpus."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TextIO

import click

from .. import corpus
from ..errors import InputError
from ..kinds import Kind
from . import SHORT_HELP

#: The corpus builder: a repository script, not part of the installed package.
BUILDER = Path(__file__).resolve().parent.parent.parent / "fixtures" / "build.py"


def _load_builder() -> ModuleType:
    """fixtures/build.py of this checkout (it is not part of the installed package)."""
    if not BUILDER.is_file():
        raise InputError("no fixture builder here: `fixtures build` runs from a source checkout "
                         "(fixtures/build.py) with the [dev] extra")
    spec = importlib.util.spec_from_file_location("a64fault_fixtures_build", BUILDER)
    assert spec is not None and spec.loader is not None  # BUILDER is a .py file
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


corpus_option = click.option(
    "--corpus", "corpus_path", type=click.Path(dir_okay=False, path_type=Path),
    default=None, help="Corpus file (default: the corpus shipped with a64fault).",
)


@click.group("fixtures", short_help=SHORT_HELP["fixtures"])
def command() -> None:
    """Build, count and export the assembler-built encoding corpus."""


@command.command("build")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the corpus (default: a64fault/data/encodings.jsonl).")
@click.option("--specs", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Directory of spec modules (default: fixtures/specs).")
def build(out: Path | None, specs: Path | None) -> None:
    """Assemble every spec case (LLVM and keystone) into the corpus."""
    builder = _load_builder()
    out = out or builder.OUT_PATH
    try:
        records = builder.build(out, specs or builder.SPECS_DIR)
    except builder.BuildError as error:
        summary, *details = str(error).splitlines()
        for line in details:
            click.echo(line, err=True)
        raise InputError(summary) from None
    except ImportError as error:
        raise InputError(f"an assembler is missing: {error}") from None
    assemblers: dict[str, int] = {}
    for record in records:
        assemblers[record["assembler"]] = assemblers.get(record["assembler"], 0) + 1
    split = ", ".join(f"{n} {name}" for name, n in sorted(assemblers.items()))
    click.echo(f"{len(records)} encodings -> {out} ({split})")


@command.command("stats")
@corpus_option
def stats(corpus_path: Path | None) -> None:
    """Print the corpus counts per feature and kind."""
    click.echo(corpus.format_stats(corpus.load(corpus_path)), nl=False)


@command.command("export")
@click.option("--format", "fmt", type=click.Choice(["c", "json"]), required=True,
              help="c: a header with a u32/asm/writes/atomic_rmw array; json: an array.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help=f"Only this kind (repeatable): {', '.join(k.value for k in Kind)}.")
@click.option("--feature", "features", multiple=True, metavar="FEATURE",
              help=f"Only this feature (repeatable; '{corpus.BASE}' for Armv8.0).")
@click.option("-o", "--output", type=click.File("w"), default="-", help="Output file (default stdout).")
@corpus_option
def export(fmt: str, kinds: tuple[str, ...], features: tuple[str, ...], output: TextIO,
           corpus_path: Path | None) -> None:
    """Export (a selection of) the corpus as a C header or JSON."""
    chosen = corpus.select(corpus.load(corpus_path), kinds, features)
    if not chosen:
        raise InputError("the selection is empty")
    parts = []
    if kinds:
        parts.append(f"kind={','.join(kinds)}")
    if features:
        parts.append(f"feature={','.join(features)}")
    if fmt == "c":
        output.write(corpus.to_c_header(chosen, " ".join(parts) or "all"))
    else:
        output.write(corpus.to_json(chosen))
