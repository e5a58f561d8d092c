"""The simulation: VMAs, the region run map, and the access loop over them.

``Simulation.sweep`` runs a built-in workload in bulk: it groups regions that
start in the same state and see the same accesses, simulates one region of
each group with the ordinary per-access loop (cpu.run_program), and applies
the result to the whole group: counters times the group's length, one
RunMap assignment. ``Simulation.access`` runs one traced instruction.
Both end in the same code: cpu.execute -> a64fault.decide -> kernel.handle_fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..policies import check_policy
from .counters import Counters
from .cpu import Op, execute, run_program
from .kernel import FaultContext, Kernel
from .state import (
    PAGE_SHIFT,
    PAGE_SIZE,
    PMD_SHIFT,
    PMD_SIZE,
    PTES_PER_PMD,
    Pmd,
    Pte,
    Region,
    RegionState,
    RunMap,
)

THP_MODES = ("never", "madvise", "always")
THP_STATE = RegionState(Pmd.THP)


@dataclass(frozen=True)
class Vma:
    """A private anonymous mapping [start, end) and its THP settings."""

    start: int
    end: int
    writable: bool = True
    thp: str = "never"            # /sys/kernel/mm/transparent_hugepage/enabled
    hugepage: bool = False        # MADV_HUGEPAGE on this VMA

    def __post_init__(self):
        if self.thp not in THP_MODES:
            raise InputError(f"unknown THP mode {self.thp!r}: choose one of {', '.join(THP_MODES)}")
        if self.start % PAGE_SIZE or self.end % PAGE_SIZE or self.start >= self.end:
            raise InputError(f"VMA [{self.start:#x}, {self.end:#x}) is not page-aligned and non-empty")

    @property
    def thp_enabled(self) -> bool:
        return self.thp == "always" or (self.thp == "madvise" and self.hugepage)

    def thp_regions(self) -> tuple[int, int]:
        """[lo, hi) of the regions a THP may map: THP enabled, region wholly inside."""
        if not self.thp_enabled:
            return 0, 0
        lo = -(-self.start >> PMD_SHIFT)
        hi = self.end >> PMD_SHIFT
        return lo, max(lo, hi)

    def regions(self) -> tuple[int, int]:
        """[lo, hi) of the regions the VMA touches."""
        return self.start >> PMD_SHIFT, ((self.end - 1) >> PMD_SHIFT) + 1


class Simulation:
    """One kernel x policy over a set of VMAs; counters accumulate across calls."""

    def __init__(self, kernel: Kernel, policy: str, vmas: list[Vma], *,
                 use_zero_page: bool = True, thp_available: bool = True):
        self.kernel = kernel
        self.policy = check_policy(policy)
        self.vmas = sorted(vmas, key=lambda v: v.start)
        for before, after in zip(self.vmas, self.vmas[1:]):
            if before.end > after.start:
                raise InputError(f"VMAs overlap at {after.start:#x}")
        self.use_zero_page = use_zero_page
        self.thp_available = thp_available
        self.map = RunMap()
        self.counters = Counters()
        self._memo = {}
        self._open = None  # (region index, Region, FaultContext) of the last traced access

    # -- shared helpers -------------------------------------------------------------
    def vma_at(self, address: int) -> Vma | None:
        for vma in self.vmas:
            if vma.start <= address < vma.end:
                return vma
        return None

    def _context(self, vma: Vma, eligible: bool, counters: Counters) -> FaultContext:
        return FaultContext(self.kernel, counters, writable=vma.writable, thp_eligible=eligible,
                            use_zero_page=self.use_zero_page, thp_available=self.thp_available)

    # -- bulk sweep -----------------------------------------------------------------
    def sweep(self, ops: tuple, start: int, size: int, stride: int = PAGE_SIZE) -> None:
        """Run ``ops`` at start, start+stride, ... below start+size, in order."""
        self._close()
        if stride <= 0:
            raise InputError(f"stride must be positive, not {stride}")
        end = start + size
        vma = self.vma_at(start)
        if vma is None or end > vma.end:
            raise InputError(f"range [{start:#x}, {end:#x}) is not inside one VMA")
        steps = -(-size // stride)
        r_lo, r_hi = start >> PMD_SHIFT, ((end - 1) >> PMD_SHIFT) + 1
        full_lo, full_hi = -(-start >> PMD_SHIFT), end >> PMD_SHIFT
        thp_lo, thp_hi = vma.thp_regions()
        cuts = sorted({r_lo, r_hi} | {c for c in (full_lo, full_hi, thp_lo, thp_hi)
                                       if r_lo < c < r_hi})
        uniform = PMD_SIZE % stride == 0
        for a, b in zip(cuts, cuts[1:]):
            eligible = thp_lo <= a < thp_hi
            if uniform and full_lo <= a and b <= full_hi:
                groups = [(a, b, ((start - (a << PMD_SHIFT)) % stride, PMD_SIZE // stride))]
            else:
                groups = self._groups(a, b, start, stride, steps)
            for g_lo, g_hi, signature in groups:
                if signature is None:
                    continue
                for lo, hi, state in list(self.map.runs(g_lo, g_hi)):
                    final, delta = self._region(state, vma, eligible, signature, stride, ops)
                    self.counters.add(delta, hi - lo)
                    if final != state:
                        self.map.assign(lo, hi, final)

    @staticmethod
    def _groups(a: int, b: int, start: int, stride: int, steps: int):
        """Yield (lo, hi, signature) for regions [a, b), consecutive equal signatures merged.

        A signature is (offset of the first access in the region, number of
        accesses), or None when no access falls in the region.
        """
        group = None
        for r in range(a, b):
            base = r << PMD_SHIFT
            first = max(0, -(-(base - start) // stride))
            stop = min(steps, -(-(base + PMD_SIZE - start) // stride))
            signature = (start + first * stride - base, stop - first) if first < stop else None
            if group and group[2] == signature:
                group[1] = r + 1
            else:
                if group:
                    yield tuple(group)
                group = [r, r + 1, signature]
        if group:
            yield tuple(group)

    def _region(self, state: RegionState, vma: Vma, eligible: bool, signature, stride, ops):
        """(final state, counters) of one region: simulated once per distinct input."""
        key = (state, vma.writable, eligible, signature, stride, ops)
        done = self._memo.get(key)
        if done is None:
            first, count = signature
            region, counters = Region(state), Counters()
            ctx = self._context(vma, eligible, counters)
            for i in range(count):
                run_program(ops, region, (first + i * stride) >> PAGE_SHIFT, ctx, self.policy)
            done = self._memo[key] = (region.freeze(), counters)
        return done

    # -- traced accesses ------------------------------------------------------------
    def access(self, op: Op, address: int) -> None:
        """Run one instruction at ``address`` until it completes (or SIGSEGV)."""
        vma = self.vma_at(address)
        if vma is None:
            self._close()
            self.counters.segv += 1
            return
        index = address >> PMD_SHIFT
        if self._open is None or self._open[0] != index:
            self._close()
            thp_lo, thp_hi = vma.thp_regions()
            ctx = self._context(vma, thp_lo <= index < thp_hi, self.counters)
            self._open = (index, Region(self.map.get(index)), ctx)
        _, region, ctx = self._open
        execute(op, region, (address >> PAGE_SHIFT) & ((1 << (PMD_SHIFT - PAGE_SHIFT)) - 1),
                ctx, self.policy)

    def _close(self) -> None:
        """Write the traced region back into the run map."""
        if self._open is not None:
            index, region, _ = self._open
            self.map.assign(index, index + 1, region.freeze())
            self._open = None

    # -- khugepaged and the final state -----------------------------------------------
    def collapse(self, max_ptes_none: int = PTES_PER_PMD - 1) -> None:
        """One khugepaged pass: collapse each eligible page table with at most
        ``max_ptes_none`` none-or-zero-page PTEs (and at least one private page)."""
        self._close()
        if not 0 <= max_ptes_none < PTES_PER_PMD:
            raise InputError(f"max_ptes_none must be 0-{PTES_PER_PMD - 1}, not {max_ptes_none}")
        for vma in self.vmas:
            thp_lo, thp_hi = vma.thp_regions()
            for lo, hi, state in list(self.map.runs(thp_lo, thp_hi)):
                if state.pmd is not Pmd.TABLE:
                    continue
                private = state.count(Pte.PRIVATE)
                if private and state.count(Pte.NONE) + state.count(Pte.ZERO) <= max_ptes_none:
                    n = hi - lo
                    self.counters.collapses += n
                    self.counters.collapse_freed += n * private
                    self.counters.tlbi_pmd += n  # pmdp_collapse_flush()
                    self.map.assign(lo, hi, THP_STATE)

    def resident(self) -> tuple[int, int]:
        """(private 4 KiB pages, THPs) mapped now."""
        self._close()
        pages = thps = 0
        for lo, hi, state in self.map.all_runs():
            if state.pmd is Pmd.THP:
                thps += hi - lo
            elif state.pmd is Pmd.TABLE:
                pages += (hi - lo) * state.count(Pte.PRIVATE)
        return pages, thps

    def rss_bytes(self) -> int:
        """Anonymous resident bytes (zero pages are shared, not counted, as in RSS)."""
        pages, thps = self.resident()
        return pages * PAGE_SIZE + thps * PMD_SIZE
