"""Run a workload under each kernel x policy and report one row per pair."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..policies import POLICIES, check_policy
from .costs import DEFAULT_COSTS, Costs
from .cpu import Op
from .engine import THP_MODES, Simulation, Vma
from .kernel import KERNELS
from .kernel import kernel as kernel_named
from .state import ADDRESS_SPACE, PAGE_SIZE, PMD_SHIFT, PMD_SIZE, PTES_PER_PMD, VA_BITS
from .trace import read_trace
from .workloads import TRACE, builtin, page_aligned, parse_size

#: Where built-in workloads map their range: 1 TiB-aligned, room for a TiB and more.
DEFAULT_BASE = 1 << 40


@dataclass(frozen=True)
class Setup:
    """Everything a run needs besides kernel and policy."""

    workload: str
    size: int = 1 << 30
    thp: str = "never"
    hugepage: bool = False
    stride: int = PAGE_SIZE
    align: int = 0                 # bytes past a 2 MiB boundary where the range starts
    trace: str | None = None
    collapse: bool = False
    max_ptes_none: int = PTES_PER_PMD - 1
    use_zero_page: bool = True
    thp_available: bool = True
    costs: Costs = field(default=DEFAULT_COSTS)

    def __post_init__(self):
        if self.thp not in THP_MODES:
            raise InputError(f"unknown THP mode {self.thp!r}: choose one of {', '.join(THP_MODES)}")
        if self.workload != TRACE:
            builtin(self.workload)
            if self.trace is not None:
                raise InputError(f"--trace goes with --workload trace, not {self.workload}")
        elif self.trace is None:
            raise InputError("the trace workload needs a trace file (--trace FILE)")
        page_aligned(self.align, "alignment offset")
        if not 0 <= self.align < PMD_SIZE:
            raise InputError(f"alignment offset {self.align:#x} must be 0 or more and below 2 MiB")
        if not 0 <= self.max_ptes_none < PTES_PER_PMD:
            raise InputError(f"max_ptes_none {self.max_ptes_none} is out of range: a page table "
                             f"has {PTES_PER_PMD} PTEs, so 0 to {PTES_PER_PMD - 1}")
        if self.workload != TRACE:
            if self.size <= 0 or self.stride <= 0:
                raise InputError(f"size ({self.size}) and stride ({self.stride}) must be positive")
            start = DEFAULT_BASE + self.align
            room = ADDRESS_SPACE - start
            if _page_round(self.size) > room:
                raise InputError(
                    f"size {self.size} does not fit: the range starts at {start:#x} and the "
                    f"{VA_BITS}-bit user address space ends at {ADDRESS_SPACE:#x}, so the size "
                    f"can be at most {room} bytes ({room / (1 << 40):.2f} TiB)")


def _page_round(size: int) -> int:
    """``size`` rounded up to a whole number of pages."""
    return -(-size // PAGE_SIZE) * PAGE_SIZE


def simulate(setup: Setup, kernels=tuple(KERNELS), policies=POLICIES) -> list[dict]:
    """One result row (a dict, see ROW_KEYS) per kernel x policy, kernels outermost."""
    kernels = [kernel_named(name) for name in kernels]
    policies = [check_policy(name) for name in policies]
    trace = read_trace(setup.trace) if setup.workload == TRACE else None
    rows = []
    for kernel in kernels:
        for policy in policies:
            sim, size = _run(setup, kernel, policy, trace)
            rows.append(_row(setup, sim, size))
    return rows


def _run(setup: Setup, kernel, policy: str, trace) -> tuple[Simulation, int]:
    if trace is not None:
        lo = min(a.address for a in trace) >> PMD_SHIFT << PMD_SHIFT
        hi = ((max(a.address for a in trace) >> PMD_SHIFT) + 1) << PMD_SHIFT
        vma = Vma(lo, hi, thp=setup.thp, hugepage=setup.hugepage)
        sim = _simulation(setup, kernel, policy, vma)
        ops = {}
        for access in trace:
            op = ops.get(access.word)
            if op is None:
                op = ops[access.word] = Op.of(access.word, access.asm)
            sim.access(op, access.address)
        size = hi - lo
    else:
        workload = builtin(setup.workload)
        start = DEFAULT_BASE + setup.align
        size = _page_round(setup.size)
        vma = Vma(start, start + size, thp=setup.thp, hugepage=setup.hugepage)
        sim = _simulation(setup, kernel, policy, vma)
        stride = PAGE_SIZE if workload.populates else setup.stride
        sim.sweep(workload.ops, start, setup.size, stride)
    if setup.collapse:
        sim.collapse(setup.max_ptes_none)
    return sim, size


def _simulation(setup: Setup, kernel, policy: str, vma: Vma) -> Simulation:
    return Simulation(kernel, policy, [vma], use_zero_page=setup.use_zero_page,
                      thp_available=setup.thp_available)


#: The keys every row has, in table order (``fault_classes`` is a nested dict).
ROW_KEYS = ("kernel", "policy", "workload", "thp", "size_bytes", "faults", "read_faults",
            "write_faults", "upgraded", "cow", "tlbi", "thp_allocated", "pmd_splits",
            "base_pages", "rss_bytes", "est_seconds")


def _row(setup: Setup, sim: Simulation, size: int) -> dict:
    c = sim.counters
    counts = c.as_dict()
    row = {
        "kernel": sim.kernel.name,
        "policy": sim.policy,
        "workload": setup.workload,
        "thp": setup.thp,
        "size_bytes": size,
    }
    row.update({key: counts[key] for key in ROW_KEYS if key in counts})
    row["rss_bytes"] = sim.rss_bytes()
    row["est_seconds"] = setup.costs.seconds(c)
    row.update({key: value for key, value in counts.items() if key not in row})
    row["resident_pages"], row["resident_thp"] = sim.resident()
    row["collapse_seconds"] = setup.costs.collapse_seconds(c)
    return row


def parse_list(text: str, known, what: str) -> list[str]:
    """Split a comma list and check each name against ``known``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError(f"empty {what} list")
    for name in names:
        if name not in known:
            raise InputError(f"unknown {what} {name!r}: choose from {', '.join(known)}")
    return names


__all__ = ["Setup", "simulate", "parse_size", "parse_list", "ROW_KEYS"]
