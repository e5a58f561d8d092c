"""The table's rows as regions: each row's cube minus the rows nested in it.

Overlapping rows nest (patterns/table.py), so the words a row really
classifies are its cube minus its *children* (the rows whose nearest
enclosing row it is), and those children are disjoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cubes import CubeSet, count_in
from ..patterns import Table
from ..word import WORD_BITS


@dataclass
class Regions:
    """Per row: its cube and its children's cubes (the words it does not classify)."""

    masks: np.ndarray
    values: np.ndarray
    children: list[list[int]]
    sizes: list[int]


def table_regions(table: Table) -> Regions:
    """Each row's nearest enclosing row gives the children of every row."""
    rows = table.rows
    masks = np.array([r.mask for r in rows], dtype=np.uint64)
    values = np.array([r.value for r in rows], dtype=np.uint64)
    children: list[list[int]] = [[] for _ in rows]
    for code, row in enumerate(rows):
        # Rows containing this one: fewer fixed bits, all of them fixed here alike.
        contains = ((masks & np.uint64(row.mask)) == masks) & (
            (np.uint64(row.value) & masks) == values) & (
            np.bitwise_count(masks) < row.specificity)
        parents = np.flatnonzero(contains)
        if len(parents):
            # rows are most specific first: the lowest code is the nearest.
            children[int(parents[0])].append(code)
    sizes = []
    for code, row in enumerate(rows):
        own = 1 << (WORD_BITS - row.specificity)
        sizes.append(own - sum(1 << (WORD_BITS - rows[c].specificity) for c in children[code]))
    return Regions(masks, values, children, sizes)


def region_counts(regions: Regions, sets: CubeSet) -> list[int]:
    """Per row: how many words of its region (cube minus children) ``sets`` holds."""
    in_cube = count_in(sets, regions.masks, regions.values).tolist()
    return [in_cube[code] - sum(in_cube[c] for c in kids)
            for code, kids in enumerate(regions.children)]
