"""Measure the built-in workloads on a real arm64 Linux kernel and compare with the model.

Pieces, one job each: ``jobs`` (what to run), ``cpio`` and ``initramfs`` (the
boot image around the probe), ``qemu`` (boot an Image and read the console),
``native`` (run the probe on this arm64 host), ``report`` (parse the probe's
console report), ``counters`` (what each compared number means, on both
sides), ``compare`` (measured against modelled, counter by counter).

Library use, e.g. to measure a patched kernel::

    from a64fault.measure import Job, boot, compare
    report = boot("arch/arm64/boot/Image", [Job("pretouch-lse", 64 << 20, "always")])
    for result in compare(report):
        print(result.as_json())
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import product

from .compare import Comparison, compare
from .jobs import Job, parse_mthp
from .native import run as native
from .qemu import boot
from .report import Report, parse


def jobs_for(workloads: Iterable[str], sizes: Iterable[int], thps: Iterable[str],
             mthp: dict[int, str] | None = None) -> list[Job]:
    """Every workload x size x THP mode, in that nesting order."""
    return [Job(workload, size, thp, mthp=dict(mthp or {}))
            for workload, size, thp in product(workloads, sizes, thps)]


__all__ = ["Comparison", "Job", "Report", "boot", "compare", "jobs_for",
           "native", "parse", "parse_mthp"]
