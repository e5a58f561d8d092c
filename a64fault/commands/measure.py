"""``a64fault measure``: run workloads on a real arm64 kernel and compare every count with the model."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from ..errors import InputError
from ..model.runner import parse_list
from ..model.workloads import BUILTIN, parse_size
from ..policies import POLICIES, check_policy
from . import SHORT_HELP

if TYPE_CHECKING:
    from ..measure import Comparison

THP_CHOICES = ("never", "madvise", "always")


def format_comparison(result: Comparison) -> str:
    """One run: a heading line, then counter / measured / model / equal, aligned."""
    mthp = "".join(f", {kb}K mTHP {mode}" for kb, mode in sorted(result.mthp.items()))
    heading = (f"{result.workload}, {result.size_bytes >> 20} MiB, THP {result.thp}{mthp}: "
               f"kernel {result.kernel} ({result.page_size >> 10}K pages), "
               f"model {result.model_kernel or '-'} policy {result.policy}")
    lines = [heading]
    if result.model_error:
        lines.append(f"  model: {result.model_error}")
    cells = [("counter", "measured", "model", "")]
    for name, measured, model in result.counters:
        if measured is None and model is None:
            continue
        mark = "-" if measured is None or model is None else ("equal" if measured == model
                                                             else "DIFFERENT")
        cells.append((name, "-" if measured is None else str(measured),
                       "-" if model is None else str(model), mark))
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    for row in cells:
        lines.append("  " + "  ".join((row[0].ljust(widths[0]), row[1].rjust(widths[1]),
                                       row[2].rjust(widths[2]), row[3])).rstrip())
    return "\n".join(lines)


@click.command("measure", short_help=SHORT_HELP["measure"])
@click.option("--workload", "-w", "workloads", required=True, metavar="W[,W]",
              help=f"Comma list of workloads: {', '.join(BUILTIN)}.")
@click.option("--size", "-s", "sizes", default="64M", show_default=True, metavar="S[,S]",
              help="Comma list of sizes to touch, e.g. 64M,256M (a multiple of the PMD size "
                   "keeps every region THP-eligible).")
@click.option("--thp", "thps", default="never,always", show_default=True, metavar="MODE[,MODE]",
              help="Comma list of THP modes: never, madvise, always.")
@click.option("--mthp", "mthp", multiple=True, metavar="SIZE=MODE",
              help="An mTHP size's hugepages-<size>kB/enabled, e.g. 64K=always (repeatable; "
                   "sizes not named: PMD size inherit, others never).")
@click.option("--kernel-image", type=click.Path(dir_okay=False), metavar="PATH",
              help="Boot this arm64 Linux Image under qemu-system-aarch64 (single-threaded TCG).")
@click.option("--native", is_flag=True, help="Run the probe on this arm64 Linux host.")
@click.option("--memory", default=2048, show_default=True, type=click.IntRange(256, 16384),
              help="QEMU guest memory in MiB.")
@click.option("--timeout", default=900.0, show_default=True, type=click.FloatRange(1, 86400),
              help="Seconds before the boot (or native run) is abandoned.")
@click.option("--console", "console_path", type=click.Path(dir_okay=False, writable=True),
              metavar="FILE", help="Also save the raw console (probe report) to FILE.")
@click.option("--policy", default="none", show_default=True, metavar="POLICY",
              help=f"The model's fault policy: {', '.join(POLICIES)} (atomic for a kernel "
                   "with the fault-handler patch).")
@click.option("--append", default="", metavar="TEXT",
              help="Extra kernel command-line parameters for the QEMU boot.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run.")
def command(workloads: str, sizes: str, thps: str, mthp: tuple[str, ...], kernel_image: str | None,
            native: bool, memory: int, timeout: float, console_path: str | None, policy: str,
            append: str, as_json: bool) -> None:
    """Run each workload x size x THP mode on a real arm64 Linux kernel (an Image booted
    under QEMU with the probe as /init, or this host with --native) and print the
    kernel's counts beside the model's (the booted kernel's version, --policy).
    Exit status 1 when any count differs."""
    from .. import measure

    if bool(kernel_image) == native:
        raise InputError("give exactly one of --kernel-image PATH or --native")
    check_policy(policy)
    if append and native:
        raise InputError("--append goes with --kernel-image (a QEMU boot)")
    names = parse_list(workloads, BUILTIN, "workload")
    byte_sizes = [parse_size(text.strip(), "--size") for text in sizes.split(",") if text.strip()]
    if not byte_sizes:
        raise InputError("empty --size list")
    modes = parse_list(thps, THP_CHOICES, "THP mode")
    jobs = measure.jobs_for(names, byte_sizes, modes, measure.parse_mthp(mthp))
    if native:
        report = measure.native(jobs, timeout=timeout)
        if report.runs and report.runs[0]["thp"] == "keep":
            click.echo("a64fault: warning: not root, so the THP settings were not changed: "
                       f"measured with THP {report.runs[0]['settings']['enabled']}", err=True)
    else:
        assert kernel_image  # exactly one of --kernel-image and --native: checked above
        report = measure.boot(kernel_image, jobs, memory_mb=memory, timeout=timeout, append=append)
    if console_path:
        with open(console_path, "w") as out:
            out.write(report.console)
    results = measure.compare(report, policy)
    if as_json:
        for result in results:
            click.echo(json.dumps(result.as_json()))
    else:
        click.echo("\n\n".join(format_comparison(result) for result in results))
        differing = sum(not result.equal for result in results)
        click.echo(f"\n{len(results) - differing} of {len(results)} runs match the model "
                   f"count for count" + (f"; {differing} differ" if differing else ""))
    if not all(result.equal for result in results):
        sys.exit(1)
