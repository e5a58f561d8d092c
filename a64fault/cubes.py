"""Sets of 32-bit words as disjoint cubes, with exact set arithmetic.

A cube ``(mask, value)`` is the set of words ``w`` with ``w & mask == value``
(2**(32 - popcount(mask)) words). A CubeSet keeps its cubes pairwise
disjoint: ``&`` intersects cube by cube; ``a - b`` splits only the cubes of
``a`` that ``b`` overlaps; ``~a`` is everything minus ``a``; a union adds each
set's cubes minus their overlap with the cubes already kept. So the words a
set holds inside any other cube are counted exactly by summing cube
intersections (``count_in``): no sampling.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from .errors import InputError
from .word import WORD_BITS, WORD_ONES

FULL = WORD_ONES
#: A set that expands to more disjoint cubes than this is refused (InputError).
MAX_CUBES = 200_000

Cube = tuple[int, int]
#: The masks, or the values, of many cubes.
CubeColumn: TypeAlias = npt.NDArray[np.uint64]

#: Work charged per vector pass on top of its length: a pass over a few cubes
#: costs about as much as one over this many (numpy's per-call overhead).
PASS_WORK = 4_000
#: Work charged per cube moved between Python lists and numpy arrays.
CONVERT_WORK = 60


@dataclass
class _Budget:
    left: int
    limit: int
    what: str


#: The budget in force, or None (unlimited).
_budget: ContextVar[_Budget | None] = ContextVar("cube_work_budget", default=None)


@contextmanager
def work_budget(limit: int, what: str) -> Iterator[None]:
    """Bound the set arithmetic done inside: past ``limit`` units of work (a unit is
    one cube compared with another; each vector pass also costs PASS_WORK) it
    raises InputError naming ``what`` and the limit. Time is then bounded too,
    whatever the shape of the expression."""
    token = _budget.set(_Budget(limit, limit, what))
    try:
        yield
    finally:
        _budget.reset(token)


def _spend(cubes: int) -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.left -= cubes + PASS_WORK
    if budget.left < 0:
        raise InputError(f"{budget.what} is too costly: more than {budget.limit:,} units of cube "
                         "work (the budget; simplify it or split it)")


class CubeSet:
    """A set of 32-bit words as a list of pairwise disjoint cubes."""

    def __init__(self, cubes: Iterable[Cube] = ()) -> None:
        self.cubes: list[Cube] = list(cubes)
        if len(self.cubes) > MAX_CUBES:
            raise InputError(f"predicate too complex: more than {MAX_CUBES} cubes")

    @classmethod
    def term(cls, mask: int, value: int) -> CubeSet:
        if value & ~mask:
            return cls()  # (w & mask) == value can never hold
        return cls([(mask, value)])

    @classmethod
    def everything(cls) -> CubeSet:
        return cls([(0, 0)])

    def size(self) -> int:
        return sum(1 << (WORD_BITS - bin(m).count("1")) for m, _ in self.cubes)

    def __and__(self, other: CubeSet) -> CubeSet:
        small, large = sorted((self, other), key=lambda s: len(s.cubes))
        if not small.cubes:
            return CubeSet()
        lm, lv = large.arrays()
        out: list[Cube] = []
        for m, v in small.cubes:
            _spend(len(lm))
            hit = np.flatnonzero(((lv ^ np.uint64(v)) & lm & np.uint64(m)) == 0)
            _spend(CONVERT_WORK * len(hit))
            out.extend(zip((lm[hit] | np.uint64(m)).tolist(), (lv[hit] | np.uint64(v)).tolist()))
            if len(out) > MAX_CUBES:
                break  # CubeSet() refuses it
        return CubeSet(out)

    def __invert__(self) -> CubeSet:
        return CubeSet.everything() - self

    def __sub__(self, other: CubeSet) -> CubeSet:
        """The words of self outside other: each cube loses only its overlap."""
        if not other.cubes or not self.cubes:
            return CubeSet(self.cubes)
        om, ov = other.arrays()
        out: list[Cube] = []
        for mask, value in self.cubes:
            out.extend(_minus(mask, value, om, ov, MAX_CUBES - len(out)))
        return CubeSet(out)

    def __or__(self, other: CubeSet) -> CubeSet:
        return CubeSet.union(self, other)

    @staticmethod
    def union(*sets: CubeSet) -> CubeSet:
        """The union of ``sets``: each cube loses its overlap with the cubes kept so far.

        Kept cubes live in growing numpy arrays, so a union of n terms costs
        about n vector passes, not a complement of the growing set per term.
        """
        if not sets:
            return CubeSet()
        # The first set's cubes are disjoint already: they are kept as they are.
        masks, values = sets[0].arrays()
        n = len(masks)
        for cube_set in sets[1:]:
            for mask, value in cube_set.cubes:
                pieces = _minus(mask, value, masks[:n], values[:n], MAX_CUBES - n)
                if n + len(pieces) > len(masks):
                    grow = max(len(masks), len(pieces), 64)
                    masks = np.concatenate([masks, np.zeros(grow, dtype=np.uint64)])
                    values = np.concatenate([values, np.zeros(grow, dtype=np.uint64)])
                for m, v in pieces:
                    masks[n], values[n] = m, v
                    n += 1
        return CubeSet(zip(masks[:n].tolist(), values[:n].tolist()))

    def arrays(self) -> tuple[CubeColumn, CubeColumn]:
        _spend(CONVERT_WORK * len(self.cubes))
        masks = np.array([m for m, _ in self.cubes], dtype=np.uint64)
        values = np.array([v for _, v in self.cubes], dtype=np.uint64)
        return masks, values


def _minus(mask: int, value: int, masks: CubeColumn, values: CubeColumn,
           room: int = MAX_CUBES) -> list[Cube]:
    """The cube (mask, value) minus the cubes (masks[i], values[i]), as disjoint cubes.

    Split the cube on one bit at a time (both halves keep only the cubes that
    still overlap them) until a half meets no cube (kept) or lies inside one
    (dropped). The bit comes from the overlapping cube with the fewest bits
    left to fix, so that cube swallows a half within a few splits.
    ``room``: more pieces than this is an InputError (predicate too complex).
    """
    out: list[Cube] = []
    stack = [(mask, value, masks, values)]
    while stack:
        m, v, cm, cv = stack.pop()
        _spend(len(cm))
        keep = ((cv ^ np.uint64(v)) & cm & np.uint64(m)) == 0
        cm, cv = cm[keep], cv[keep]
        if not len(cm):
            out.append((m, v))
            if len(out) > room:
                raise InputError(f"predicate too complex: more than {MAX_CUBES} cubes")
            continue
        free = cm & np.uint64(~m & FULL)
        left = np.bitwise_count(free)
        nearest = int(np.argmin(left))
        if left[nearest] == 0:
            continue  # inside a cube: nothing of it is left
        bit = 1 << (int(free[nearest]).bit_length() - 1)
        stack.append((m | bit, v | bit, cm, cv))
        stack.append((m | bit, v, cm, cv))
    return out


def count_in(sets: CubeSet, masks: CubeColumn, values: CubeColumn) -> npt.NDArray[np.int64]:
    """Per cube (masks[i], values[i]): how many of its words ``sets`` holds."""
    out = np.zeros(len(masks), dtype=np.int64)
    if not sets.cubes or not len(masks):
        return out
    sm, sv = sets.arrays()
    step = max(1, 4_000_000 // max(len(sm), 1))
    for start in range(0, len(masks), step):
        m = masks[start:start + step, None]
        v = values[start:start + step, None]
        common = m & sm[None, :]
        hit = ((v ^ sv[None, :]) & common) == 0
        free = WORD_BITS - np.bitwise_count(m | sm[None, :]).astype(np.int64)
        sizes = np.where(hit, np.left_shift(np.int64(1), free), 0)
        out[start:start + step] = sizes.sum(axis=1)
    return out
