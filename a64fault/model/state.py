"""Memory-management state as runs: a PMD-size region's PMD and its PTEs.

The address space is a RunMap from region index to a value: an immutable
RegionState (a page-table PMD keeps its PTEs run-length encoded), or a
Rotation, the states a strided sweep leaves behind, given as a function of
the region index. A terabyte touched the same way everywhere is a single run,
and so is a terabyte touched at an odd stride, so the model's cost grows with
the number of distinct region states, not with the number of pages.
Region is the mutable, one-region scratch copy the fault handler edits.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

#: Bits of a user virtual address at most: 48 (DEFAULT_MAP_WINDOW); a granule
#: may have fewer (geometry.Geometry.va_bits).
VA_BITS = 48
#: No user address is at or above this.
ADDRESS_SPACE = 1 << VA_BITS
#: PTEs per table with 4 KiB pages: the default for Region().
DEFAULT_PTES = 512


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
    PRIVATE = "private"       # a private page of its own (an order-0 folio), writable
    LARGE = "large"           # a private page of a larger folio (mTHP), writable


#: What the MMU lets an access do to a mapping: nothing, read only, or read and write.
UNMAPPED, READ_ONLY, READ_WRITE = 0, 1, 2


@dataclass(frozen=True)
class RegionState:
    """An immutable, hashable 2 MiB region: the PMD and, for a table, PTE runs.

    ``ptes`` is a tuple of (count, Pte) runs summing to the PTEs per table
    when ``pmd`` is TABLE, else empty.
    """

    pmd: Pmd
    ptes: tuple[tuple[int, Pte], ...] = ()

    def count(self, *ptes: Pte) -> int:
        """How many of the region's PTEs are one of ``ptes``."""
        return sum(n for n, value in self.ptes if value in ptes)


EMPTY = RegionState(Pmd.NONE)


class Region:
    """A mutable copy of one region's state, edited access by access.

    PTEs change only through ``set_ptes``, which also notes the range, so
    ``freeze`` rebuilds the runs from the state the region started from and
    the ranges changed since, without reading every PTE.
    """

    __slots__ = ("pmd", "ptes", "ptes_per_table", "_base", "_changed")

    def __init__(self, state: RegionState = EMPTY, ptes_per_table: int = DEFAULT_PTES):
        self.pmd = state.pmd
        self.ptes_per_table = ptes_per_table
        self.ptes: list[Pte] | None = None
        #: The runs the PTEs started from (None: unknown) and the ranges set since.
        self._base: tuple[tuple[int, Pte], ...] | None = None
        self._changed: list[tuple[int, int]] = []
        if state.pmd is Pmd.TABLE:
            if len(state.ptes) * 16 < ptes_per_table:  # few long runs: extend in C
                ptes: list[Pte] = []
                for n, pte in state.ptes:
                    ptes.extend([pte] * n)
            else:
                ptes = [pte for n, pte in state.ptes for _ in range(n)]
            if len(ptes) != ptes_per_table:
                raise ValueError(f"a table of {len(ptes)} PTEs, not {ptes_per_table}")
            self.ptes, self._base = ptes, state.ptes

    @classmethod
    def table(cls, ptes: list[Pte]) -> Region:
        """A page-table region holding ``ptes`` (any number: a scratch block will do)."""
        region = cls(EMPTY, len(ptes))
        region.pmd, region.ptes = Pmd.TABLE, ptes
        return region

    def make_table(self, fill: Pte) -> None:
        """Turn the PMD into a page table whose PTEs are all ``fill``."""
        self.pmd = Pmd.TABLE
        self.ptes = [fill] * self.ptes_per_table
        self._base, self._changed = ((self.ptes_per_table, fill),), []

    def set_ptes(self, first: int, count: int, pte: Pte) -> None:
        """Set PTEs [first, first + count) to ``pte``."""
        assert self.ptes is not None
        self.ptes[first:first + count] = [pte] * count
        self._changed.append((first, count))

    def set_huge(self, pmd: Pmd) -> None:
        """Map the whole region with one PMD entry (huge zero page or THP)."""
        self.pmd = pmd
        self.ptes = None
        self._base, self._changed = None, []

    def access(self, page: int) -> int:
        """What the MMU allows at page index ``page``: UNMAPPED, READ_ONLY or READ_WRITE."""
        pmd = self.pmd
        if self.ptes is not None:
            pte = self.ptes[page]
            return UNMAPPED if pte is Pte.NONE else READ_ONLY if pte is Pte.ZERO else READ_WRITE
        return UNMAPPED if pmd is Pmd.NONE else READ_ONLY if pmd is Pmd.HUGE_ZERO else READ_WRITE

    def freeze(self) -> RegionState:
        """The immutable state, PTEs run-length encoded."""
        ptes = self.ptes
        if ptes is None:
            return RegionState(self.pmd)
        if self._base is not None and 4 * (len(self._base) + len(self._changed)) < len(ptes):
            # Every stretch between a run boundary of the start state and a changed
            # range's edge holds one value: read one PTE per stretch.
            cuts = {0, len(ptes)}
            at = 0
            for n, _ in self._base:
                at += n
                cuts.add(at)
            for first, count in self._changed:
                cuts.update((first, first + count))
            edges = sorted(cuts)
        else:
            edges = list(range(len(ptes) + 1))
        counts: list[int] = []  # the runs: counts[i] PTEs of values[i]
        values: list[Pte] = []
        for start, stop in zip(edges, edges[1:]):
            pte = ptes[start]
            if values and values[-1] is pte:
                counts[-1] += stop - start
            else:
                counts.append(stop - start)
                values.append(pte)
        return RegionState(Pmd.TABLE, tuple(zip(counts, values)))


def floor_sum(n: int, m: int, a: int, b: int) -> int:
    """Sum of (a * i + b) // m for i in [0, n), with n, a, b >= 0 and m > 0, in O(log m) steps."""
    total = 0
    while True:
        if a >= m:
            total += n * (n - 1) // 2 * (a // m)
            a %= m
        if b >= m:
            total += n * (b // m)
            b %= m
        top = a * n + b
        if top < m:
            return total
        n, b = top // m, top % m
        m, a = a, m


S = TypeVar("S", bound=Hashable)


@dataclass(frozen=True)
class Rotation(Generic[S]):
    """Region states that follow a sweep's stride: a function of the region index.

    Region r has the offset ``(origin + r * step) % period``; its state is
    ``states[k]`` for the piece ``[breaks[k], breaks[k + 1])`` (the last piece
    ends at ``period``) that holds the offset. A sweep with stride ``s`` over
    PMD-size regions of ``P`` bytes starts each region's accesses at offset
    ``(start - r * P) % s``: period ``s``, step ``-P % s``.
    """

    period: int
    step: int
    origin: int
    breaks: tuple[int, ...]
    states: tuple[S, ...]

    def offset(self, index: int) -> int:
        return (self.origin + index * self.step) % self.period

    def at(self, index: int) -> S:
        """The state of region ``index``."""
        return self.states[bisect_right(self.breaks, self.offset(index)) - 1]

    def census(self, lo: int, hi: int) -> list[tuple[S, int]]:
        """(state, regions) for the regions [lo, hi), counted without visiting them."""
        n, s, c = hi - lo, self.period, self.offset(lo)
        below_all = floor_sum(n, s, self.step, c)

        def below(v: int) -> int:  # regions whose offset is below v (0 <= v <= s)
            return below_all - floor_sum(n, s, self.step, c - v + s) + n

        ends = self.breaks[1:] + (s,)
        counts: dict[S, int] = {}
        previous = 0
        for state, end in zip(self.states, ends):
            upto = below(end)
            if upto > previous:
                counts[state] = counts.get(state, 0) + upto - previous
            previous = upto
        return list(counts.items())

    def map(self, change: Callable[[S], S]) -> Rotation[S] | S:
        """The Rotation with ``change(state)`` for each state, pieces merged."""
        return rotation(self.period, self.step, self.origin, self.breaks,
                        tuple(change(state) for state in self.states))


def rotation(period: int, step: int, origin: int, breaks: Sequence[int],
             states: Sequence[S]) -> Rotation[S] | S:
    """A Rotation with equal neighbouring pieces merged; one state if only one is left."""
    kept_breaks: list[int] = []
    kept_states: list[S] = []
    for start, state in zip(breaks, states):
        if kept_states and kept_states[-1] == state:
            continue
        kept_breaks.append(start)
        kept_states.append(state)
    if len(kept_states) == 1 or (len(set(kept_states)) == 1):
        return kept_states[0]
    return Rotation(period, step % period, origin % period, tuple(kept_breaks), tuple(kept_states))


#: What a run of the RunMap holds.
Value = RegionState | Rotation[RegionState]


def census(value: Value, lo: int, hi: int) -> list[tuple[RegionState, int]]:
    """(state, regions) over [lo, hi) of a run holding ``value``."""
    if isinstance(value, Rotation):
        return value.census(lo, hi)
    return [(value, hi - lo)]


class RunMap:
    """An interval map from region index to a Value; unset regions are EMPTY.

    Stored as sorted run starts with the value from each start to the next;
    adjacent equal runs are merged, so the map's size is its number of runs.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._starts = [0]
        self._values: list[Value] = [EMPTY]

    def __len__(self) -> int:
        return len(self._starts)

    def value(self, index: int) -> Value:
        """The run value that covers region ``index``."""
        return self._values[bisect_right(self._starts, index) - 1]

    def get(self, index: int) -> RegionState:
        """The state of region ``index``."""
        value = self.value(index)
        return value.at(index) if isinstance(value, Rotation) else value

    def runs(self, lo: int, hi: int) -> Iterator[tuple[int, int, Value]]:
        """Yield (start, stop, value) runs covering [lo, hi), in order."""
        starts, values = self._starts, self._values
        i = bisect_right(starts, lo) - 1
        while lo < hi:
            stop = starts[i + 1] if i + 1 < len(starts) else hi
            stop = min(stop, hi)
            yield lo, stop, values[i]
            lo = stop
            i += 1

    def all_runs(self) -> Iterator[tuple[int, int, Value]]:
        """Yield (start, stop, value) for every run that is not EMPTY."""
        for start, stop, value in self.runs(0, self.limit):
            if value != EMPTY:
                yield start, stop, value

    def assign(self, lo: int, hi: int, value: Value) -> None:
        """Set regions [lo, hi) to ``value``."""
        if lo >= hi:
            return
        starts, values = self._starts, self._values
        after = self.value(hi)                # the value that resumes at hi
        i = bisect_left(starts, lo)           # runs starting in [lo, hi] are replaced
        j = bisect_right(starts, hi)
        starts[i:j] = [lo, hi]
        values[i:j] = [value, after]
        if after == value:
            del starts[i + 1], values[i + 1]
        if i > 0 and values[i - 1] == value:
            del starts[i], values[i]
