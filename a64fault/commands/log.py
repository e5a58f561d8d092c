"""``a64fault log``: read arm64 fault reports out of kernel logs and say what each fault did."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..numbers import parse_int
from ..policies import DEFAULT_POLICY, POLICIES
from . import SHORT_HELP


@click.command("log", short_help=SHORT_HELP["log"])
@click.argument("files", nargs=-1)
@click.option("--elf", "elf_path", metavar="PROG", help="User program the faulting pcs are in.")
@click.option("--maps", "maps_path", metavar="FILE",
              help="A copy of /proc/PID/maps: maps user pcs into PROG exactly.")
@click.option("--base", metavar="ADDR",
              help="Load bias of PROG (where its address 0 is mapped; hex).")
@click.option("--vmlinux", "vmlinux_path", metavar="FILE",
              help="Kernel image: kernel pcs are read at the printed sym+off.")
@click.option("--module", "module_paths", metavar="FILE.ko", multiple=True,
              help="Kernel module whose pcs (printed 'sym+off/size [name]') are read; repeatable.")
@click.option("--policy", type=click.Choice(POLICIES), default=DEFAULT_POLICY, show_default=True,
              help="Which read faults the decision upgrades to write faults.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per fault (JSON Lines).")
@click.option("--summary", "summary_only", is_flag=True,
              help="Only counts by class, fault type, access and kind.")
def command(files: tuple[str, ...], elf_path: str | None, maps_path: str | None, base: str | None,
            vmlinux_path: str | None, module_paths: tuple[str, ...], policy: str, as_json: bool,
            summary_only: bool) -> None:
    """Find arm64 fault reports in kernel logs FILES (or '-', stdin) and explain each.

    Reads oopses, user fault lines, "Unhandled fault", "Bad mode" and SError
    reports of kernels 3.x to 7.x behind any line prefix, and kprobe
    handle_mm_fault / perf page-faults records. Exit status 0 when something
    was found, 1 when nothing was, 2 for bad input.
    """
    from ..decoder.elf import ElfImage
    from ..log import (
        Resolver,
        count_by_pc,
        explain,
        explain_pcs,
        read_path,
        read_stream,
    )
    from ..log.parse import Found
    from ..log.report import dumps, pc_table, pc_to_json, summary, summary_counts, to_json, to_text
    from ..log.resolve import read_maps

    base_address = parse_int(base, "--base", hex_default=True) if base is not None else None
    if (maps_path or base_address is not None) and not elf_path:
        raise click.UsageError("--maps and --base need --elf PROG")
    if maps_path and base_address is not None:
        raise click.UsageError("give --maps or --base, not both")
    maps = read_maps(maps_path) if maps_path else None
    elf = ElfImage(elf_path) if elf_path else None
    vmlinux = ElfImage(vmlinux_path) if vmlinux_path else None
    # A module is printed under its name, with '-' in the file name as '_'.
    modules = {Path(path).name.removesuffix(".ko").replace("-", "_"): ElfImage(path)
               for path in module_paths}
    found = Found()
    for name in files or ("-",):
        if name == "-":
            read_stream(sys.stdin.buffer, "-", found)
        else:
            read_path(name, found)
    resolver = Resolver(elf, maps, base_address, vmlinux, modules)
    explained = [explain(report, resolver, policy) for report in found.reports]
    per_pc = explain_pcs(count_by_pc(found.records), resolver) if found.records else []
    if summary_only:
        counts = summary_counts(explained, per_pc)
        click.echo(dumps({"summary": counts}) if as_json else summary(counts))
    elif as_json:
        for done in explained:
            click.echo(dumps(to_json(done)))
        for item in per_pc:
            click.echo(dumps(pc_to_json(item)))
    else:
        for index, done in enumerate(explained):
            if index:
                click.echo()
            click.echo(to_text(done))
        if per_pc:
            if explained:
                click.echo()
            click.echo(pc_table(per_pc))
    if not explained and not found.records:
        sys.exit(1)  # nothing found: exit 1, as grep does
