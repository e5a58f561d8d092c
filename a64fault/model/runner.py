"""Run a workload under each kernel x policy and report one row per pair."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..policies import POLICIES, check_policy
from .costs import DEFAULT_COSTS, Costs
from .cpu import Op
from .engine import Simulation, Vma
from .geometry import Geometry
from .geometry import geometry as geometry_named
from .kernel import KERNELS, Kernel
from .kernel import kernel as kernel_named
from .trace import Access, read_trace
from .tunables import Tunables, describe, parse_sizes
from .workloads import TRACE, builtin, page_aligned, parse_size

#: Where built-in workloads map their range: 1 TiB-aligned, room for a TiB and more.
DEFAULT_BASE = 1 << 40


@dataclass(frozen=True)
class Setup:
    """Everything a run needs besides kernel and policy, checked once, here.

    ``page_size`` is 4K, 16K or 64K (or 4096, 16384, 65536 bytes); ``mthp``
    holds per-size settings such as ``("64K=always",)`` or ``{64: "always"}``
    (KiB); ``stride`` defaults to the page size.
    """

    workload: str
    size: int = 1 << 30
    thp: str = "never"
    hugepage: bool = False
    stride: int | None = None
    align: int = 0                 # bytes past a PMD boundary where the range starts
    trace: str | None = None
    collapse: bool = False
    max_ptes_none: int | None = None
    use_zero_page: bool = True
    thp_available: bool = True
    costs: Costs = field(default=DEFAULT_COSTS)
    page_size: str | int = "4K"
    mthp: tuple[str, ...] | Mapping[int | str, str] = ()
    #: The THP settings built from the fields above.
    tunables: Tunables = field(init=False, compare=False)

    def __post_init__(self) -> None:
        g = geometry_named(self.page_size)
        if isinstance(self.mthp, Mapping):  # kept as text, so a Setup stays hashable
            object.__setattr__(self, "mthp", tuple(
                f"{size}K={mode}" if isinstance(size, int) else f"{size}={mode}"
                for size, mode in self.mthp.items()))
        object.__setattr__(self, "tunables", Tunables(
            g, self.thp, parse_sizes(self.mthp, g), self.use_zero_page, self.max_ptes_none))
        if self.workload != TRACE:
            builtin(self.workload)
            if self.trace is not None:
                raise InputError(f"--trace goes with --workload trace, not {self.workload}")
        elif self.trace is None:
            raise InputError("the trace workload needs a trace file (--trace FILE)")
        page_aligned(self.align, "alignment offset", g.page_size)
        if not 0 <= self.align < g.pmd_size:
            raise InputError(f"alignment offset {self.align:#x} must be 0 or more and below the "
                             f"PMD size ({g.pmd_size >> 20} MiB with {g.name} pages)")
        if self.workload != TRACE:
            if self.size <= 0 or self.step <= 0:
                raise InputError(f"size ({self.size}) and stride ({self.step}) must be positive")
            start = DEFAULT_BASE + self.align
            room = g.address_space - start
            if _page_round(self.size, g) > room:
                raise InputError(
                    f"size {self.size} does not fit: the range starts at {start:#x} and the "
                    f"{g.va_bits}-bit user address space ({g.name} pages) ends at "
                    f"{g.address_space:#x}, so the size can be at most {room} bytes "
                    f"({room / (1 << 40):.2f} TiB)")

    @property
    def geometry(self) -> Geometry:
        return self.tunables.geometry

    @property
    def step(self) -> int:
        """Bytes between the workload's steps: ``stride``, or one page."""
        return self.geometry.page_size if self.stride is None else self.stride


def _page_round(size: int, g: Geometry) -> int:
    """``size`` rounded up to a whole number of pages."""
    return -(-size // g.page_size) * g.page_size


def simulate(setup: Setup, kernels: Iterable[str | Kernel] = tuple(KERNELS),
             policies: Iterable[str] = POLICIES) -> list[ResultRow]:
    """One result row (a dict, see ROW_KEYS) per kernel x policy, kernels outermost.

    ``kernels`` holds names (6.10, 6.13), releases (``6.1.0-28-arm64``, ``7.2``)
    or Kernel objects.
    """
    chosen = [kernel_named(name) for name in kernels]
    for kernel in chosen:
        setup.tunables.check_kernel(kernel)
    policies = [check_policy(name) for name in policies]
    trace = read_trace(setup.trace) if setup.workload == TRACE and setup.trace else None
    g = setup.geometry
    if trace is not None and max(a.address for a in trace) >= g.address_space:
        raise InputError(f"{setup.trace}: address {max(a.address for a in trace):#x} is past the "
                         f"{g.va_bits}-bit user address space of {g.name} pages")
    rows: list[ResultRow] = []
    for kernel in chosen:
        for policy in policies:
            sim, size = _run(setup, kernel, policy, trace)
            rows.append(_row(setup, sim, size))
    return rows


def _run(setup: Setup, kernel: Kernel, policy: str,
         trace: list[Access] | None) -> tuple[Simulation, int]:
    g = setup.geometry
    if trace is not None:
        lo = min(a.address for a in trace) >> g.pmd_shift << g.pmd_shift
        hi = ((max(a.address for a in trace) >> g.pmd_shift) + 1) << g.pmd_shift
        vma = Vma(lo, hi, hugepage=setup.hugepage)
        sim = _simulation(setup, kernel, policy, vma)
        ops: dict[int, Op] = {}
        for access in trace:
            op = ops.get(access.word)
            if op is None:
                op = ops[access.word] = Op.of(access.word, access.asm)
            sim.access(op, access.address)
        size = hi - lo
    else:
        workload = builtin(setup.workload)
        start = DEFAULT_BASE + setup.align
        size = _page_round(setup.size, g)
        vma = Vma(start, start + size, hugepage=setup.hugepage)
        sim = _simulation(setup, kernel, policy, vma)
        stride = g.page_size if workload.populates else setup.step
        sim.sweep(workload.ops, start, setup.size, stride)
    if setup.collapse:
        sim.collapse()
    return sim, size


def _simulation(setup: Setup, kernel: Kernel, policy: str, vma: Vma) -> Simulation:
    return Simulation(kernel, policy, [vma], tunables=setup.tunables,
                      thp_available=setup.thp_available)


#: One result row: JSON-ready values of several types (names, counts, seconds,
#: nested dicts), read by key by the CLI's tables and plots.
ResultRow = dict[str, Any]

#: The keys every row has, in table order (``fault_classes`` and ``mthp`` are nested dicts).
ROW_KEYS = ("kernel", "policy", "workload", "thp", "page_size", "size_bytes", "faults",
            "read_faults", "write_faults", "upgraded", "cow", "tlbi", "thp_allocated",
            "mthp_allocated", "pmd_splits", "base_pages", "rss_bytes", "decide_seconds",
            "est_seconds")


def _row(setup: Setup, sim: Simulation, size: int) -> ResultRow:
    c = sim.counters
    counts = c.as_dict()
    g = setup.geometry
    row: ResultRow = {
        "kernel": sim.kernel.name,
        "policy": sim.policy,
        "workload": setup.workload,
        "thp": setup.thp,
        "page_size": g.name,
        "size_bytes": size,
    }
    row.update({key: counts[key] for key in ROW_KEYS if key in counts})
    final = sim.mapping()
    row["rss_bytes"] = ((final.base_pages + final.mthp_pages) * g.page_size
                        + final.thps * g.pmd_size)
    row["decide_seconds"] = setup.costs.decide_seconds(c)
    row["est_seconds"] = setup.costs.seconds(c, g)
    row.update({key: value for key, value in counts.items() if key not in row})
    row["resident_pages"] = final.base_pages
    row["resident_mthp_pages"] = final.mthp_pages
    row["resident_thp"] = final.thps
    row["mapped_zero_pages"] = final.zero_pages
    row["mapped_huge_zero"] = final.huge_zero_pmds
    row["collapse_seconds"] = setup.costs.collapse_seconds(c, g)
    row["mthp_settings"] = describe(setup.tunables)
    row["mthp"] = {g.size_name(order): n for order, n in sorted(c.mthp_orders.items())}
    if not sim.collapsed_mthp_pages:  # mTHP folios are never split: all still mapped
        row["resident_mthp"] = dict(row["mthp"])
    return row


def parse_list(text: str, known: Collection[str], what: str) -> list[str]:
    """Split a comma list and check each name against ``known``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError(f"empty {what} list")
    for name in names:
        if name not in known:
            raise InputError(f"unknown {what} {name!r}: choose from {', '.join(known)}")
    return names


__all__ = ["Setup", "simulate", "parse_size", "parse_list", "ROW_KEYS"]
