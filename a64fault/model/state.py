"""Memory-management state as runs: a 2 MiB region's PMD and its 512 PTEs.

The address space is a RunMap from region index to an immutable RegionState;
a RegionState for a page-table PMD keeps its PTEs run-length encoded. A
terabyte touched the same way everywhere is a single run, so the model's cost
grows with the number of distinct runs, not with the number of pages.
Region is the mutable, one-region scratch copy the fault handler edits.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from enum import Enum

PAGE_SHIFT = 12
PMD_SHIFT = 21
PAGE_SIZE = 1 << PAGE_SHIFT
PMD_SIZE = 1 << PMD_SHIFT
PTES_PER_PMD = PMD_SIZE // PAGE_SIZE
#: Bits of a user virtual address: 48 (4 KiB granule, four translation levels).
VA_BITS = 48
#: The user address space ends here: every modelled address is below it.
ADDRESS_SPACE = 1 << VA_BITS
#: Regions in the user address space.
REGION_LIMIT = ADDRESS_SPACE >> PMD_SHIFT


class Pmd(str, Enum):
    """What a PMD entry maps."""

    NONE = "none"
    HUGE_ZERO = "huge-zero"   # the huge zero page, read-only
    THP = "thp"               # a private 2 MiB transparent huge page, writable
    TABLE = "table"           # a page table of 512 PTEs


class Pte(str, Enum):
    """What a PTE maps."""

    NONE = "none"
    ZERO = "zero"             # the shared zero page, read-only
    PRIVATE = "private"       # a private 4 KiB page, writable


#: What the MMU lets an access do to a mapping: nothing, read only, or read and write.
UNMAPPED, READ_ONLY, READ_WRITE = 0, 1, 2


@dataclass(frozen=True)
class RegionState:
    """An immutable, hashable 2 MiB region: the PMD and, for a table, PTE runs.

    ``ptes`` is a tuple of (count, Pte) runs summing to PTES_PER_PMD when
    ``pmd`` is TABLE, else empty.
    """

    pmd: Pmd
    ptes: tuple = ()

    def count(self, pte: Pte) -> int:
        """How many of the region's PTEs are ``pte``."""
        return sum(n for n, value in self.ptes if value is pte)


EMPTY = RegionState(Pmd.NONE)
EMPTY_TABLE_PTES = ((PTES_PER_PMD, Pte.NONE),)


class Region:
    """A mutable copy of one region's state, edited access by access."""

    __slots__ = ("pmd", "ptes")

    def __init__(self, state: RegionState = EMPTY):
        self.pmd = state.pmd
        self.ptes = None
        if state.pmd is Pmd.TABLE:
            self.ptes = [pte for n, pte in state.ptes for _ in range(n)]

    def make_table(self, fill: Pte) -> None:
        """Turn the PMD into a page table whose 512 PTEs are ``fill``."""
        self.pmd = Pmd.TABLE
        self.ptes = [fill] * PTES_PER_PMD

    def set_huge(self, pmd: Pmd) -> None:
        """Map the whole region with one PMD entry (huge zero page or THP)."""
        self.pmd = pmd
        self.ptes = None

    def access(self, page: int) -> int:
        """What the MMU allows at page index ``page``: UNMAPPED, READ_ONLY or READ_WRITE."""
        pmd = self.pmd
        if pmd is Pmd.TABLE:
            pte = self.ptes[page]
            return UNMAPPED if pte is Pte.NONE else READ_ONLY if pte is Pte.ZERO else READ_WRITE
        return UNMAPPED if pmd is Pmd.NONE else READ_ONLY if pmd is Pmd.HUGE_ZERO else READ_WRITE

    def freeze(self) -> RegionState:
        """The immutable state, PTEs run-length encoded."""
        if self.pmd is not Pmd.TABLE:
            return RegionState(self.pmd)
        runs = []
        for pte in self.ptes:
            if runs and runs[-1][1] is pte:
                runs[-1][0] += 1
            else:
                runs.append([1, pte])
        return RegionState(Pmd.TABLE, tuple((n, pte) for n, pte in runs))


class RunMap:
    """An interval map from region index to RegionState; unset regions are EMPTY.

    Stored as sorted run starts with the value from each start to the next;
    adjacent equal runs are merged, so the map's size is its number of runs.
    """

    def __init__(self, limit: int = REGION_LIMIT):
        self.limit = limit
        self._starts = [0]
        self._values = [EMPTY]

    def __len__(self) -> int:
        return len(self._starts)

    def get(self, index: int) -> RegionState:
        return self._values[bisect_right(self._starts, index) - 1]

    def runs(self, lo: int, hi: int):
        """Yield (start, stop, state) runs covering [lo, hi), in order."""
        starts, values = self._starts, self._values
        i = bisect_right(starts, lo) - 1
        while lo < hi:
            stop = starts[i + 1] if i + 1 < len(starts) else hi
            stop = min(stop, hi)
            yield lo, stop, values[i]
            lo = stop
            i += 1

    def all_runs(self):
        """Yield (start, stop, state) for every run that is not EMPTY."""
        for start, stop, value in self.runs(0, self.limit):
            if value != EMPTY:
                yield start, stop, value

    def assign(self, lo: int, hi: int, state: RegionState) -> None:
        """Set regions [lo, hi) to ``state``."""
        if lo >= hi:
            return
        starts, values = self._starts, self._values
        after = self.get(hi)                  # the value that resumes at hi
        i = bisect_left(starts, lo)           # runs starting in [lo, hi] are replaced
        j = bisect_right(starts, hi)
        starts[i:j] = [lo, hi]
        values[i:j] = [state, after]
        if after == state:
            del starts[i + 1], values[i + 1]
        if i > 0 and values[i - 1] == state:
            del starts[i], values[i]
