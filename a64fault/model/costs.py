"""The cost model: seconds per event, the one place the defaults live.

The estimate is single-threaded CPU time spent in the kernel on behalf of the
workload (what `sys` time measures); khugepaged's collapse work runs in the
background and is reported apart (``collapse_seconds``).

Defaults, each an estimate for a current arm64 server core (Neoverse N1/V1
class, tens to a hundred cores), with its reasoning:

* ``fault`` 0.7 us: exception entry from EL0, do_page_fault, VMA lookup,
  page-table walk, PTE update, ERET. Minor anonymous faults excluding
  zeroing are commonly measured at 0.5-1 us on such machines.
* ``populate`` 0.2 us: MADV_POPULATE_WRITE's per-fault work inside the kernel
  (GUP walk + handle_mm_fault) with no exception entry or return.
* ``alloc_4k`` 0.1 us: order-0 allocation from the per-CPU lists.
* ``zero_4k`` 0.25 us: clear_page() with DC ZVA at about 16 GB/s per core.
* ``alloc_2m`` 1.0 us: order-9 allocation from the buddy lists, no compaction.
* ``zero_2m`` 131 us: 2 MiB at the same 16 GB/s (512 x zero_4k).
* ``tlbi`` 1.0 us: TLBI ...IS + DSB ISH: the invalidation is broadcast to
  every core and the DSB waits for all of them; the patch's cover letter
  names this as the cost that grows with core count.
* ``pmd_split`` 2.0 us: writing 512 zero-page PTEs (about 4 ns each) into the
  deposited page table.
* ``collapse_copy_2m`` 150 us: khugepaged copying 2 MiB into a new THP (copy
  at about 14 GB/s), plus ``alloc_2m``.
* ``alloc_mthp`` 0.5 us: a large folio below the PMD size (16 KiB - 1 MiB with
  4 KiB pages) from the buddy lists, no compaction; between ``alloc_4k``
  (per-CPU lists) and ``alloc_2m``.
* ``predicate`` 0.01 us: the generated predicate (``a64fault predicate --lang
  c``, nine mask-and-compare terms for ``atomic``) on one word, as measured by
  bench/bench_decision.py with cc -O2: 7-9 ns net per call on the shared
  x86_64 build machine (the model's own words, or mostly random words);
  rounded up to 10 ns for an arm64 core;
* ``user_read`` 0.05 us: get_user() of the 4-byte instruction at ELR with
  page faults disabled: user-access enable/disable around one load that
  usually hits L2 (the line was just fetched as an instruction). An
  estimate, not a measurement.

``predicate + user_read`` is the price of the decision itself: an upgrading
policy pays it on every read fault of a writable VMA (``decisions``), whether
it upgrades or not; the policy ``none`` never pays it.

Sizes scale with the page size: zeroing costs ``zero_4k`` per 4 KiB (so a
64 KiB page costs 16 times as much), a PMD THP ``zero_2m`` per 2 MiB, and a
PMD split ``pmd_split`` per 512 PTEs written.

A copy on write of the zero page allocates a zeroed page (wp_page_copy does
not copy from the zero page), so it costs ``alloc_4k + zero_4k`` plus the
``tlbi`` of the replaced PTE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from ..errors import InputError
from .counters import Counters
from .geometry import DEFAULT_GEOMETRY, Geometry

MICROSECOND = 1e-6


@dataclass(frozen=True)
class Costs:
    """Seconds per event (see the module docstring for the defaults' reasoning)."""

    fault: float = 0.7 * MICROSECOND
    populate: float = 0.2 * MICROSECOND
    alloc_4k: float = 0.1 * MICROSECOND
    zero_4k: float = 0.25 * MICROSECOND
    alloc_2m: float = 1.0 * MICROSECOND
    zero_2m: float = 131.0 * MICROSECOND
    tlbi: float = 1.0 * MICROSECOND
    pmd_split: float = 2.0 * MICROSECOND
    collapse_copy_2m: float = 150.0 * MICROSECOND
    alloc_mthp: float = 0.5 * MICROSECOND
    predicate: float = 0.01 * MICROSECOND
    user_read: float = 0.05 * MICROSECOND

    def decide_seconds(self, c: Counters) -> float:
        """Estimated time spent deciding: reading the instruction and running the predicate."""
        return c.decisions * (self.predicate + self.user_read)

    def seconds(self, c: Counters, g: Geometry = DEFAULT_GEOMETRY) -> float:
        """Estimated kernel time the workload spends in faults and populate (deciding included)."""
        per_4k = g.page_size / 4096
        per_2m = g.pmd_size / (2 << 20)
        return (c.faults * self.fault
                + c.populate_faults * self.populate
                + c.base_pages * (self.alloc_4k + self.zero_4k * per_4k)
                + c.mthp_allocated * self.alloc_mthp + c.mthp_pages * self.zero_4k * per_4k
                + c.thp_allocated * (self.alloc_2m + self.zero_2m * per_2m)
                + c.tlbi * self.tlbi
                + c.pmd_splits * self.pmd_split * g.ptes_per_table / 512
                + self.decide_seconds(c))

    def collapse_seconds(self, c: Counters, g: Geometry = DEFAULT_GEOMETRY) -> float:
        """Estimated khugepaged time for the collapses counted in ``c``."""
        per_2m = g.pmd_size / (2 << 20)
        return c.collapses * (self.alloc_2m + self.collapse_copy_2m * per_2m + self.tlbi)

    def with_overrides(self, settings: list[str]) -> Costs:
        """A copy with ``name=microseconds`` settings applied (InputError if malformed)."""
        names = {f.name for f in fields(self)}
        changes = {}
        for setting in settings:
            name, sep, value = setting.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in names:
                raise InputError(f"bad cost {setting!r}: expected NAME=MICROSECONDS with NAME one "
                                 f"of {', '.join(sorted(names))}")
            try:
                micros = float(value)
            except ValueError:
                raise InputError(f"bad cost {setting!r}: {value!r} is not a number") from None
            if not (math.isfinite(micros) and micros >= 0):
                raise InputError(f"bad cost {setting!r}: must be a finite number >= 0 "
                                 "microseconds")
            changes[name] = micros * MICROSECOND
        return replace(self, **changes)


DEFAULT_COSTS = Costs()
