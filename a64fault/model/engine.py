"""The simulation: VMAs, the region run map, and the access loop over them.

``Simulation.sweep`` runs a built-in workload in bulk. Regions wholly inside
the sweep and the VMA see accesses that depend only on their offset
``(start - region base) % stride``; the offsets that give different pages
split ``[0, stride)`` into at most PTEs-per-table + 2 pieces. Each piece is
simulated once (bulk.RegionSweep) and the run of regions becomes a
state.Rotation, its counters multiplied by how many regions fall in each
piece (counted by state.floor_sum, not by visiting them). A stride that
divides the PMD size gives every region the same offset: one piece. The
regions at the sweep's and the VMA's edges (at most four) are simulated one
by one. ``Simulation.access`` runs one traced instruction.
Both end in the same code: cpu.execute -> a64fault.decide -> kernel.handle_fault.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InputError
from ..policies import check_policy
from .bulk import RegionSweep
from .counters import Counters
from .cpu import Op, Program, execute
from .kernel import FaultContext, Kernel
from .state import Pmd, Pte, Region, RegionState, Rotation, RunMap, Value, census, rotation
from .tunables import Tunables

THP_STATE = RegionState(Pmd.THP)
#: Traced accesses keep regions open (unpacked) up to this many PTEs in all,
#: so a trace moving between regions does not pack and unpack them each time.
OPEN_PTES = 1 << 20
#: A second strided sweep over regions an earlier sweep left in a different
#: stride's pattern is simulated region by region, up to this many regions.
ENUMERATE_LIMIT = 1 << 16


@dataclass(frozen=True)
class Vma:
    """A private anonymous mapping [start, end)."""

    start: int
    end: int
    writable: bool = True
    hugepage: bool = False        # MADV_HUGEPAGE on this VMA


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class Simulation:
    """One kernel x policy over a set of VMAs; counters accumulate across calls."""

    #: A strided run of this many regions or more becomes a Rotation; None: when it has
    #: more regions than the rotation has pieces (fewer are simulated one by one).
    ROTATE_FROM: int | None = None

    def __init__(self, kernel: Kernel, policy: str, vmas: list[Vma], *,
                 tunables: Tunables | None = None, thp_available: bool = True):
        self.kernel = kernel
        self.policy = check_policy(policy)
        self.tunables = tunables = tunables or Tunables()
        tunables.check_kernel(kernel)
        self.geometry = g = tunables.geometry
        self.vmas = sorted(vmas, key=lambda v: v.start)
        for vma in self.vmas:
            if vma.start % g.page_size or vma.end % g.page_size or vma.start >= vma.end:
                raise InputError(f"VMA [{vma.start:#x}, {vma.end:#x}) is not {g.name}-page-aligned "
                                 "and non-empty")
        for before, after in zip(self.vmas, self.vmas[1:]):
            if before.end > after.start:
                raise InputError(f"VMAs overlap at {after.start:#x}")
        self.thp_available = thp_available
        self.map = RunMap(g.address_space >> g.pmd_shift)
        self.counters = Counters()
        # (ops, writable, thp_eligible, mthp_orders, vma_pages) -> its sweeper
        self._sweeps: dict[tuple[Program, bool, bool, tuple[int, ...], tuple[int, int]], RegionSweep] = {}
        #: Pages of mTHP folios that collapses absorbed (their folios are no longer mapped).
        self.collapsed_mthp_pages = 0
        #: Regions traced accesses have open, most recent last: index -> (Region, context).
        self._open: OrderedDict[int, tuple[Region, FaultContext]] = OrderedDict()

    # -- shared helpers -------------------------------------------------------------
    def vma_at(self, address: int) -> Vma | None:
        for vma in self.vmas:
            if vma.start <= address < vma.end:
                return vma
        return None

    def inside_regions(self, vma: Vma) -> tuple[int, int]:
        """[lo, hi) of the regions wholly inside ``vma``."""
        g = self.geometry
        lo = _ceil_div(vma.start, g.pmd_size)
        return lo, max(lo, vma.end >> g.pmd_shift)

    def _context(self, vma: Vma, index: int, counters: Counters) -> FaultContext:
        """The fault context of region ``index`` of ``vma``."""
        g = self.geometry
        base = index << g.pmd_shift
        lo = max(vma.start - base, 0) >> g.page_shift
        hi = min(vma.end - base, g.pmd_size) >> g.page_shift
        orders = self.tunables.orders(vma.hugepage)
        inside = lo == 0 and hi == g.ptes_per_table
        return FaultContext(self.kernel, counters, writable=vma.writable,
                            thp_eligible=inside and g.pmd_order in orders,
                            use_zero_page=self.tunables.use_zero_page,
                            thp_available=self.thp_available,
                            mthp_orders=tuple(sorted((o for o in orders if o < g.pmd_order),
                                                     reverse=True)),
                            vma_pages=(lo, hi))

    def _sweeper(self, ops: Program, vma: Vma, index: int) -> RegionSweep:
        template = self._context(vma, index, Counters())
        key = (ops, vma.writable, template.thp_eligible, template.mthp_orders, template.vma_pages)
        sweeper = self._sweeps.get(key)
        if sweeper is None:
            g = self.geometry
            sweeper = self._sweeps[key] = RegionSweep(ops, template, self.policy, g.page_shift,
                                                      g.ptes_per_table)
        return sweeper

    # -- bulk sweep -----------------------------------------------------------------
    def sweep(self, ops: Program, start: int, size: int, stride: int | None = None) -> None:
        """Run ``ops`` at start, start+stride, ... below start+size, in order."""
        self._close()
        g = self.geometry
        stride = g.page_size if stride is None else stride
        if stride <= 0:
            raise InputError(f"stride must be positive, not {stride}")
        end = start + size
        vma = self.vma_at(start)
        if vma is None or end > vma.end:
            raise InputError(f"range [{start:#x}, {end:#x}) is not inside one VMA")
        r_lo, r_hi = start >> g.pmd_shift, ((end - 1) >> g.pmd_shift) + 1
        full_lo, full_hi = _ceil_div(start, g.pmd_size), end >> g.pmd_shift
        in_lo, in_hi = self.inside_regions(vma)
        cuts = sorted({r_lo, r_hi} | {c for c in (full_lo, full_hi, in_lo, in_hi)
                                       if r_lo < c < r_hi})
        for a, b in zip(cuts, cuts[1:]):
            if full_lo <= a and b <= full_hi and in_lo <= a and b <= in_hi:
                self._sweep_whole(ops, vma, a, b, start, stride)
            else:  # an edge: at most two regions at each end
                for index in range(a, b):
                    self._sweep_one(ops, vma, index, start, end, stride)

    def _sweep_one(self, ops: Program, vma: Vma, index: int, start: int, end: int,
                   stride: int) -> None:
        """The accesses of the sweep that fall in region ``index``, whatever part of it they cover."""
        g = self.geometry
        base = index << g.pmd_shift
        steps = _ceil_div(end - start, stride)
        first = max(0, _ceil_div(base - start, stride))
        stop = min(steps, _ceil_div(base + g.pmd_size - start, stride))
        if first >= stop:
            return
        final, delta = self._sweeper(ops, vma, index).run(
            self.map.get(index), start + first * stride - base, stop - first, stride)
        self.counters.add(delta)
        self.map.assign(index, index + 1, final)

    def _sweep_whole(self, ops: Program, vma: Vma, a: int, b: int, start: int,
                     stride: int) -> None:
        """Regions [a, b), each wholly inside the sweep and the VMA."""
        g = self.geometry
        size = g.pmd_size
        sweeper = self._sweeper(ops, vma, a)
        step = -size % stride

        def count(offset: int) -> int:  # accesses in a region whose first one is at ``offset``
            return _ceil_div(size - offset, stride) if offset < size else 0

        for lo, hi, value in list(self.map.runs(a, b)):
            if step == 0:  # the stride divides the region: every region sees the same accesses
                offset = (start - lo * size) % stride
                accesses = count(offset)

                def run(state: RegionState, at: int = offset,
                        n: int = accesses) -> tuple[RegionState, Counters]:
                    return sweeper.run(state, at, n, stride)

                self._apply(lo, hi, value, run)
            else:
                page = g.page_size
                breaks = sorted({0} | {k * page % stride for k in range(1, g.ptes_per_table + 1)}
                                | ({size} if size < stride else set()))
                rotate_from = len(breaks) + 1 if self.ROTATE_FROM is None else self.ROTATE_FROM
                if isinstance(value, Rotation) or hi - lo < rotate_from:
                    self._sweep_enumerated(sweeper, lo, hi, value, start, stride, count)
                    continue
                results = [sweeper.run(value, u, count(u), stride) if count(u) else
                           (value, Counters()) for u in breaks]
                origin = start % stride
                pieces: Rotation[int] = Rotation(stride, step, origin, tuple(breaks),
                                                 tuple(range(len(breaks))))
                for piece, n in pieces.census(lo, hi):
                    self.counters.add(results[piece][1], n)
                self.map.assign(lo, hi, rotation(stride, step, origin, breaks,
                                                 [final for final, _ in results]))

    def _apply(self, lo: int, hi: int, value: Value,
               run: Callable[[RegionState], tuple[RegionState, Counters]]) -> None:
        """Apply ``run(state) -> (final, counters)`` to every region of a run holding ``value``."""
        for state, n in census(value, lo, hi):
            self.counters.add(run(state)[1], n)
        if isinstance(value, Rotation):
            self.map.assign(lo, hi, value.map(lambda state: run(state)[0]))
        else:
            self.map.assign(lo, hi, run(value)[0])

    def _sweep_enumerated(self, sweeper: RegionSweep, lo: int, hi: int, value: Value,
                          start: int, stride: int, count: Callable[[int], int]) -> None:
        """A strided sweep region by region: a short run, or regions another stride's sweep
        left behind."""
        if hi - lo > ENUMERATE_LIMIT:
            raise InputError(
                f"a sweep at stride {stride} over {hi - lo} regions that an earlier sweep left in "
                f"a different stride's pattern: the model simulates at most {ENUMERATE_LIMIT} such "
                "regions one by one")
        size = self.geometry.pmd_size
        for index in range(lo, hi):
            offset = (start - index * size) % stride
            state = value.at(index) if isinstance(value, Rotation) else value
            final, delta = sweeper.run(state, offset, count(offset), stride) if count(offset) \
                else (state, Counters())
            self.counters.add(delta)
            self.map.assign(index, index + 1, final)

    # -- traced accesses ------------------------------------------------------------
    def access(self, op: Op, address: int) -> None:
        """Run one instruction at ``address`` until it completes (or SIGSEGV)."""
        vma = self.vma_at(address)
        if vma is None:
            self._close()
            self.counters.segv += 1
            return
        g = self.geometry
        index = address >> g.pmd_shift
        opened = self._open.get(index)
        if opened is None:
            if len(self._open) * g.ptes_per_table >= OPEN_PTES:
                old, (region, _) = self._open.popitem(last=False)
                self.map.assign(old, old + 1, region.freeze())
            ctx = self._context(vma, index, self.counters)
            opened = self._open[index] = (Region(self.map.get(index), g.ptes_per_table), ctx)
        else:
            self._open.move_to_end(index)
        region, ctx = opened
        execute(op, region, (address >> g.page_shift) & (g.ptes_per_table - 1), ctx, self.policy)

    def _close(self) -> None:
        """Write the traced regions back into the run map."""
        for index, (region, _) in self._open.items():
            self.map.assign(index, index + 1, region.freeze())
        self._open.clear()

    # -- khugepaged and the final state -----------------------------------------------
    def collapse(self) -> None:
        """One khugepaged pass: collapse each page table of a VMA where a PMD-size THP is
        allowed that has at most max_ptes_none none-or-zero-page PTEs (and a private page)."""
        self._close()
        g = self.geometry
        limit = self.tunables.ptes_none_limit

        def collapsed(state: RegionState) -> RegionState:
            if state.pmd is not Pmd.TABLE:
                return state
            private = state.count(Pte.PRIVATE, Pte.LARGE)
            if private and g.ptes_per_table - private <= limit:
                return THP_STATE
            return state

        for vma in self.vmas:
            if g.pmd_order not in self.tunables.orders(vma.hugepage):
                continue
            lo, hi = self.inside_regions(vma)
            for a, b, value in list(self.map.runs(lo, hi)):
                for state, n in census(value, a, b):
                    if collapsed(state) is not state:
                        self.counters.collapses += n
                        self.counters.collapse_freed += n * state.count(Pte.PRIVATE, Pte.LARGE)
                        self.collapsed_mthp_pages += n * state.count(Pte.LARGE)
                        self.counters.tlbi_pmd += n  # pmdp_collapse_flush()
                new = value.map(collapsed) if isinstance(value, Rotation) else collapsed(value)
                self.map.assign(a, b, new)

    def mapping(self) -> Mapping:
        """What the address space maps now, counted over the final state."""
        self._close()
        found = Mapping()
        for lo, hi, value in self.map.all_runs():
            for state, n in census(value, lo, hi):
                if state.pmd is Pmd.THP:
                    found.thps += n
                elif state.pmd is Pmd.HUGE_ZERO:
                    found.huge_zero_pmds += n
                elif state.pmd is Pmd.TABLE:
                    found.base_pages += n * state.count(Pte.PRIVATE)
                    found.mthp_pages += n * state.count(Pte.LARGE)
                    found.zero_pages += n * state.count(Pte.ZERO)
        return found

    def resident(self) -> tuple[int, int]:
        """(private pages, PMD-size THPs) mapped now."""
        found = self.mapping()
        return found.base_pages + found.mthp_pages, found.thps

    def rss_bytes(self) -> int:
        """Anonymous resident bytes (zero pages are shared, not counted, as in RSS)."""
        pages, thps = self.resident()
        return pages * self.geometry.page_size + thps * self.geometry.pmd_size


@dataclass
class Mapping:
    """The final mapping: private pages by folio kind, THPs and zero-page mappings."""

    base_pages: int = 0       # private pages that are folios of their own
    mthp_pages: int = 0       # private pages inside mTHP folios
    thps: int = 0             # PMD-mapped THPs
    zero_pages: int = 0       # PTEs mapping the shared zero page
    huge_zero_pmds: int = 0   # PMDs mapping the huge zero page
