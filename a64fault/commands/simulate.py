"""``a64fault simulate``: run a workload through the fault model, one row per kernel x policy."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from ..errors import InputError, reading
from ..model.runner import ROW_KEYS, ResultRow
from ..model.workloads import DESCRIPTIONS
from . import SHORT_HELP
from .numbers import Count

#: Row keys that are the same in every row of one run: said once, not a column.
PER_RUN_KEYS = ("workload", "thp", "page_size", "size_bytes")
#: Column headings that differ from the row key.
HEADINGS = {"read_faults": "read", "write_faults": "write", "thp_allocated": "thp",
            "mthp_allocated": "mthp", "pmd_splits": "splits", "base_pages": "pages",
            "rss_bytes": "rss", "decide_seconds": "decide", "est_seconds": "est time"}
#: (row key, column heading) of the table, in ROW_KEYS order.
COLUMNS = tuple((key, HEADINGS.get(key, key)) for key in ROW_KEYS if key not in PER_RUN_KEYS)


def _size(value: int) -> str:
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if value >= 1 << shift:
            return f"{value / (1 << shift):.1f} {unit}"
    return f"{value} B"


def _seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.3f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3f} ms"
    return f"{value * 1e6:.1f} us"


def _cell(key: str, value: Any) -> str:  # a result row's value: see ResultRow
    if key == "rss_bytes":
        return _size(value)
    if key in ("est_seconds", "decide_seconds"):
        return _seconds(value)
    return str(value)


def format_table(rows: list[ResultRow]) -> str:
    """Aligned columns: text left, numbers right."""
    cells = [[heading for _, heading in COLUMNS]]
    cells += [[_cell(key, row[key]) for key, _ in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines: list[str] = []
    for line in cells:
        parts = [text.ljust(width) if i < 2 else text.rjust(width)
                 for i, (text, width) in enumerate(zip(line, widths))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


#: Formats matplotlib writes only through an external program: refused up front.
NEEDS_PROGRAM = {"pgf": "LaTeX (xelatex), which a64fault does not call"}


def _matplotlib(path: str) -> ModuleType:
    """pyplot, once ``path`` is known to be a format matplotlib writes in a directory that exists."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'a64fault[plot]'") from None
    formats = [name for name in FigureCanvasBase.get_supported_filetypes()
               if name not in NEEDS_PROGRAM]
    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix in NEEDS_PROGRAM:
        raise InputError(f"--plot {path}: the {suffix} format needs {NEEDS_PROGRAM[suffix]}; "
                         f"use one of {', '.join(sorted(formats))}")
    if suffix not in formats:
        raise InputError(f"--plot {path}: unsupported format {suffix or '(no suffix)'!r}; "
                         f"use one of {', '.join(sorted(formats))}")
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise InputError(f"--plot {path}: no such directory {directory}")
    return pyplot


def plot(rows: list[ResultRow], path: str, pyplot: ModuleType) -> None:
    """Two bar charts, faults and estimated time, one bar group per policy, a bar per kernel."""
    import matplotlib

    # Settings a matplotlibrc may hold that would call LaTeX or Ghostscript.
    with matplotlib.rc_context({"text.usetex": False, "ps.usedistiller": None}):
        _draw(rows, path, pyplot)


def _draw(rows: list[ResultRow], path: str, pyplot: ModuleType) -> None:
    policies = list(dict.fromkeys(row["policy"] for row in rows))
    kernels = list(dict.fromkeys(row["kernel"] for row in rows))
    figure, axes = pyplot.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(kernels)
    for k, kernel in enumerate(kernels):
        by_policy = {row["policy"]: row for row in rows if row["kernel"] == kernel}
        xs = [p + k * width for p in range(len(policies))]
        axes[0].bar(xs, [by_policy[p]["faults"] for p in policies], width, label=kernel)
        axes[1].bar(xs, [by_policy[p]["est_seconds"] for p in policies], width, label=kernel)
    first = rows[0]
    for axis, title in zip(axes, ("user faults", "estimated seconds")):
        axis.set_xticks([p + 0.4 - width / 2 for p in range(len(policies))], policies)
        axis.set_title(f"{title}: {first['workload']}, {_size(first['size_bytes'])}, "
                       f"THP {first['thp']}")
        axis.legend(title="kernel")
    # Fault counts span orders of magnitude (1 vs 512 per 2 MiB): log scale,
    # unless a bar is zero (madv-populate-write takes no user faults).
    if all(row["faults"] > 0 for row in rows):
        axes[0].set_yscale("log")
    figure.tight_layout()
    try:
        with reading(path, "plot file"):
            figure.savefig(path)
    except BaseException:
        if os.path.isfile(path):
            os.unlink(path)  # no partial plot file
        raise
    finally:
        pyplot.close(figure)


@click.command("simulate", short_help=SHORT_HELP["simulate"])
@click.option("--workload", "-w", required=True, metavar="NAME",
              help="; ".join(f"{name}: {text}" for name, text in DESCRIPTIONS.items()) + ".")
@click.option("--size", "-s", default="1G", show_default=True,
              help="Bytes to touch, e.g. 4K, 2M, 1G, 1T (binary units).")
@click.option("--thp", default="never", show_default=True,
              help="THP mode: never, madvise or always.")
@click.option("--madv-hugepage", is_flag=True, help="The VMA has MADV_HUGEPAGE (for --thp madvise).")
@click.option("--page-size", default="4K", show_default=True,
              help="The kernel's page size: 4K, 16K or 64K (PMD size 2M, 32M or 512M).")
@click.option("--mthp", "mthp", multiple=True, metavar="SIZE=MODE",
              help="Per-size anonymous THP setting (hugepages-<size>kB/enabled), e.g. "
                   "64K=always; MODE never, madvise, always or inherit; repeatable or a comma "
                   "list. Kernels 6.8 and later.")
@click.option("--kernel", "kernels", default="6.10,6.13", show_default=True,
              help="Comma list of kernels: 6.10, 6.13 or any release from 6.1 on "
                   "(6.1, 7.2, 6.1.0-28-arm64).")
@click.option("--policy", "policies", default="none,kernel-v5,atomic,atomic+exclusive",
              show_default=True, help="Comma list of fault policies.")
@click.option("--stride", default=None,
              help="Bytes between the workload's steps [default: the page size].")
@click.option("--align", default="0", show_default=True,
              help="Start this many bytes past a PMD (2 MiB with 4K pages) boundary (a page multiple).")
@click.option("--trace", "trace", metavar="FILE",
              help="CSV or JSON Lines of word (or asm) and address, for --workload trace.")
@click.option("--collapse", is_flag=True, help="Run one khugepaged collapse pass afterwards.")
@click.option("--max-ptes-none", default=None, type=Count(0),
              help="khugepaged max_ptes_none for --collapse [default: PTEs per table - 1, "
                   "511 with 4K pages].")
@click.option("--no-zero-page", is_flag=True,
              help="THP use_zero_page off: a read fault on an eligible PMD allocates a THP.")
@click.option("--thp-alloc-fails", is_flag=True,
              help="Every THP allocation fails (fragmented memory): fall back to base pages.")
@click.option("--cost", "cost_settings", multiple=True, metavar="NAME=US",
              help="Override one cost in microseconds (see a64fault/model/costs.py); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per row.")
@click.option("--plot", "plot_path", metavar="OUT.png",
              help="Also draw faults and estimated time per policy (needs matplotlib).")
def command(workload: str, size: str, thp: str, madv_hugepage: bool, page_size: str,
            mthp: tuple[str, ...], kernels: str, policies: str, stride: str | None, align: str,
            trace: str | None, collapse: bool, max_ptes_none: int | None, no_zero_page: bool,
            thp_alloc_fails: bool, cost_settings: tuple[str, ...], as_json: bool,
            plot_path: str | None) -> None:
    """Simulate a workload's page faults under each kernel x fault policy."""
    from ..model import DEFAULT_COSTS, Setup, parse_list, parse_size, simulate
    from ..policies import POLICIES

    pyplot = _matplotlib(plot_path) if plot_path else None
    if max_ptes_none is not None and not collapse:
        raise InputError("--max-ptes-none goes with --collapse (it tunes the collapse pass)")
    setup = Setup(
        workload=workload,
        size=parse_size(size, "--size"),
        thp=thp,
        hugepage=madv_hugepage,
        stride=None if stride is None else parse_size(stride, "--stride"),
        align=parse_size(align, "--align", allow_zero=True),
        trace=trace,
        collapse=collapse,
        max_ptes_none=max_ptes_none,
        use_zero_page=not no_zero_page,
        thp_available=not thp_alloc_fails,
        costs=DEFAULT_COSTS.with_overrides(list(cost_settings)),
        page_size=page_size,
        mthp=tuple(mthp),
    )
    rows = simulate(setup, _names(kernels, "kernel"), parse_list(policies, POLICIES, "policy"))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
    else:
        click.echo(format_table(rows))
    if pyplot is not None and plot_path:  # pyplot is loaded only for a --plot path
        plot(rows, plot_path, pyplot)


def _names(text: str, what: str) -> list[str]:
    """A non-empty comma list of names (each checked where it is used)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError(f"empty {what} list")
    return names
