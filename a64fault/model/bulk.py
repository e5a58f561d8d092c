"""One region's share of a strided sweep, simulated without running every access.

Two facts about the fault handler make this exact:

* mappings only grow (none -> zero page -> private page; huge zero -> THP
  or table), so once a page has run the workload's program every later run
  on that page completes without a fault: only the first access to each page
  counts, and a sweep is the sequence of distinct pages it touches;
* once the PMD is a page table, a fault on a page reads and writes only the
  PTEs of the aligned block of the largest mTHP order allowed (one page
  without mTHP), so blocks are independent: equal blocks (same PTEs, same
  pages touched, same part inside the VMA) end equal.

So the first pages run one by one through the ordinary per-access code
(cpu.run_program) until the PMD is a page table or stops changing; then each
distinct block is run once, on a scratch table, and its result applied to
every equal block. The cost grows with the distinct blocks, not the accesses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from .counters import Counters
from .cpu import Program, run_program
from .kernel import FaultContext
from .state import Pmd, Pte, Region, RegionState

#: PTE values as small integers for numpy, and back.
PTES_BY_CODE = (Pte.NONE, Pte.ZERO, Pte.PRIVATE, Pte.LARGE)
PTE_CODES = {pte: code for code, pte in enumerate(PTES_BY_CODE)}
#: Pages every access completes on: nothing to run there.
WRITABLE = (Pte.PRIVATE, Pte.LARGE)
#: PTEs as PTE_CODES, one per page of a table or block.
PteCodes: TypeAlias = npt.NDArray[np.int8]
#: Page numbers (within a region, or in the address space).
Pages: TypeAlias = npt.NDArray[np.int64]
#: A region's first page run on its own: (state after, counters, the PTE codes when the
#: PMD became a table, else None).
FirstPage: TypeAlias = tuple[RegionState, Counters, "PteCodes | None"]


def touched_pages(offset: int, count: int, stride: int, page_shift: int) -> Pages:
    """The distinct pages, in order, of ``count`` accesses from ``offset`` every ``stride`` bytes."""
    if count == 1:  # one access: the stride (maybe past int64, e.g. --stride 2^63) is unused
        return np.array([offset >> page_shift], dtype=np.int64)
    if stride >= 1 << page_shift:
        return (offset + np.arange(count, dtype=np.int64) * stride) >> page_shift
    last = offset + (count - 1) * stride
    return np.arange(offset >> page_shift, (last >> page_shift) + 1, dtype=np.int64)


def codes_of(state: RegionState) -> PteCodes:
    """A table state's PTEs as an int8 array of PTE_CODES."""
    return np.repeat(np.array([PTE_CODES[pte] for _, pte in state.ptes], dtype=np.int8),
                     [n for n, _ in state.ptes])


def table_state(codes: PteCodes) -> RegionState:
    """The TABLE RegionState of an array of PTE codes, run-length encoded."""
    changes = (np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist()
    starts = [0, *changes]
    ends = [*changes, len(codes)]
    values = codes[starts].tolist()
    return RegionState(Pmd.TABLE, tuple((end - start, PTES_BY_CODE[value])
                                        for start, end, value in zip(starts, ends, values)))


class RegionSweep:
    """Runs one program over chosen pages of regions that share a fault context."""

    def __init__(self, ops: Program, template: FaultContext, policy: str, page_shift: int,
                 ptes_per_table: int) -> None:
        self.ops, self.template, self.policy = ops, template, policy
        self.page_shift, self.ptes_per_table = page_shift, ptes_per_table
        self.block_order = max(template.mthp_orders, default=0)
        # (state, offset, count, stride) -> (final state, counters)
        self._regions: dict[tuple[RegionState, int, int, int], tuple[RegionState, Counters]] = {}
        # (PTE codes, touched, inside) as bytes -> (PTE codes after, counters)
        self._blocks: dict[tuple[bytes, bytes, tuple[int, int]], tuple[PteCodes, Counters]] = {}
        # (state, page within its block) -> the first page's result, None: not movable
        self._firsts: dict[tuple[RegionState, int], FirstPage | None] = {}
        self._pages: dict[int, tuple[int, Counters]] = {}

    def run(self, state: RegionState, offset: int, count: int,
            stride: int) -> tuple[RegionState, Counters]:
        """(final state, counters) of ``count`` accesses from byte ``offset`` every ``stride``."""
        key = (state, offset, count, stride)
        done = self._regions.get(key)
        if done is None:
            pages = touched_pages(offset, count, stride, self.page_shift)
            done = self._regions[key] = self._run(state, pages)
        return done

    def _context(self, counters: Counters, vma_pages: tuple[int, int] | None = None) -> FaultContext:
        """The template with ``counters`` (and ``vma_pages`` when given)."""
        if vma_pages is None:
            return replace(self.template, counters=counters)
        return replace(self.template, counters=counters, vma_pages=vma_pages)

    def _run(self, state: RegionState, pages: Pages) -> tuple[RegionState, Counters]:
        counters = Counters()
        i, n = 0, len(pages)
        codes: PteCodes | None = None
        while i < n and state.pmd is not Pmd.TABLE:
            after, page_counters, table = self._first_page(state, int(pages[i]))
            counters.add(page_counters)
            i += 1
            if after == state:  # nothing changed: every later page does the same
                counters.add(page_counters, n - i)
                return state, counters
            if table is not None:
                codes = table
                break
            state = after
        if codes is None:
            if state.pmd is not Pmd.TABLE:
                return state, counters
            codes = codes_of(state)
        if i < n:
            self._blocks_run(codes, pages[i:], counters)
        return table_state(codes), counters

    def _first_page(self, state: RegionState, page: int) -> FirstPage:
        """The program on ``page`` of a region whose PMD is not a table: (state after,
        counters, the PTE codes when the PMD became a table, else None).

        In a region wholly inside the VMA, blocks of the largest mTHP order (single
        pages without mTHP) differ only in position: the result on the same page of the
        first block, moved to ``page``'s block, is the result on ``page``."""
        if self.template.vma_pages != (0, self.ptes_per_table):
            return self._first_page_at(state, page)
        size = 1 << self.block_order
        within = page & (size - 1)
        key = (state, within)
        if key not in self._firsts:
            first = self._first_page_at(state, within)
            table = first[2]
            # No shortcut when the first page changed the table beyond its block.
            movable = table is None or bool((table[size:] == table[-1]).all())
            self._firsts[key] = first if movable else None
        memo = self._firsts[key]
        if memo is None:
            return self._first_page_at(state, page)
        after, counters, table = memo
        if table is None:
            return after, counters, None
        moved = np.full(self.ptes_per_table, table[-1], dtype=np.int8)
        moved[page - within:page - within + size] = table[:size]
        return after, counters, moved

    def _first_page_at(self, state: RegionState, page: int) -> FirstPage:
        region = Region(state, self.ptes_per_table)
        counters = Counters()
        run_program(self.ops, region, page, self._context(counters), self.policy)
        after = region.freeze()
        if region.ptes is None:
            return after, counters, None
        return after, counters, np.fromiter(map(PTE_CODES.__getitem__, region.ptes), np.int8,
                                            len(region.ptes))

    def _blocks_run(self, codes: PteCodes, pages: Pages, counters: Counters) -> None:
        """Run the program on ``pages`` (ascending) of a page table, block by block; edits ``codes``."""
        order = self.block_order
        if order == 0:
            self._pages_run(codes, pages, counters)
            return
        size = 1 << order
        blocks = pages >> order
        new_block = np.concatenate(([True], blocks[1:] != blocks[:-1]))
        used = blocks[new_block]
        which = np.cumsum(new_block) - 1
        table = codes.reshape(-1, size)
        touched = np.zeros((len(used), size), dtype=np.int8)
        touched[which, pages & (size - 1)] = 1
        lo, hi = self.template.vma_pages
        firsts = used * size
        inside = np.stack((np.clip(lo - firsts, 0, size), np.clip(hi - firsts, 0, size)), axis=1)
        rows = table[used]
        groups: dict[bytes, list[int]] = {}
        for i in range(len(used)):
            key = rows[i].tobytes() + touched[i].tobytes() + inside[i].tobytes()
            groups.setdefault(key, []).append(i)
        for members in groups.values():
            i = members[0]
            result, delta = self._block(rows[i], touched[i], (int(inside[i, 0]), int(inside[i, 1])))
            counters.add(delta, len(members))
            rows[members] = result
        table[used] = rows

    def _pages_run(self, codes: PteCodes, pages: Pages, counters: Counters) -> None:
        """Without mTHP every page is its own block: its result depends on its PTE alone."""
        before = codes[pages]
        after = np.arange(len(PTES_BY_CODE), dtype=np.int8)
        for code, n in enumerate(np.bincount(before, minlength=len(PTES_BY_CODE)).tolist()):
            if n:
                effect = self._pages.get(code)
                if effect is None:
                    result, delta = self._block(np.array([code], dtype=np.int8),
                                                np.ones(1, dtype=np.int8), (0, 1))
                    effect = self._pages[code] = (int(result[0]), delta)
                after[code] = effect[0]
                counters.add(effect[1], n)
        codes[pages] = after[before]

    def _block(self, codes: PteCodes, touched: PteCodes,
               inside: tuple[int, int]) -> tuple[PteCodes, Counters]:
        """One block (PTE codes, pages touched, [lo, hi) inside the VMA) run on a scratch table."""
        memo = (codes.tobytes(), touched.tobytes(), inside)
        done = self._blocks.get(memo)
        if done is None:
            ptes = [PTES_BY_CODE[c] for c in codes.tolist()]
            scratch = Region.table(ptes)
            counters = Counters()
            ctx = self._context(counters, vma_pages=inside)
            for page in np.flatnonzero(touched).tolist():
                if ptes[page] not in WRITABLE:
                    run_program(self.ops, scratch, page, ctx, self.policy)
            result = np.array([PTE_CODES[pte] for pte in ptes], dtype=np.int8)
            done = self._blocks[memo] = (result, counters)
        return done
