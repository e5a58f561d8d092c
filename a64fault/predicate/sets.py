"""The ON, OFF and don't-care sets of a policy, as cube sets built from the table.

ON is every word the table classifies (most specific row wins) as one of the
policy's kinds; OFF every word that must not match; the rest is don't-care,
chosen by the don't-care mode:

* ``non-memory``: words of kind ``other`` (no row, or an UNALLOCATED row).
  A data abort is only ever taken by an instruction that accesses memory,
  so a fault handler's predicate need be exact on memory instructions only.
* ``unallocated``: only words the architecture leaves unallocated: the
  table's UNALLOCATED rows, and the words no row claims in the Loads and
  Stores group (the table lists that group's encodings exhaustively: the
  opcode sweep checks it against Capstone) or in a top-level group the Arm
  ARM leaves unallocated. Every other word, memory or not, is OFF.
* ``none``: nothing; exact on all 2**32 words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..audit.regions import table_regions
from ..cubes import CubeSet
from ..errors import InputError
from ..kinds import Kind
from ..patterns import Table, default_table
from ..patterns.reader import parse_diagram

NON_MEMORY = "non-memory"
UNALLOCATED = "unallocated"
NONE = "none"
DONT_CARE_MODES = (NON_MEMORY, UNALLOCATED, NONE)
DEFAULT_DONT_CARE = NON_MEMORY

#: One sentence per mode, for the generated header.
DONT_CARE_SENTENCES = {
    NON_MEMORY: "Words that access no memory (kind `other`) are don't-care: a data abort is "
                "only ever taken by an instruction that accesses memory, so the predicate is "
                "exact on every memory-accessing word and may match other words.",
    UNALLOCATED: "Only unallocated encodings are don't-care; the predicate is exact on every "
                 "allocated word, memory-accessing or not.",
    NONE: "Nothing is don't-care: the predicate is exact on all 2^32 words.",
}

# Arm ARM, "Top-level encodings for A64" (bits 31, 28:25 and the Reserved
# group's op0/op1), drawn as the table draws rows.
#: The Loads and Stores group: op0 (bits 28:25) = x1x0.
LOADS_AND_STORES = "hi:3 op0=x1x0 rest:25"
#: Top-level groups with no allocated encoding: op0 = 0001, op0 = 0011, and
#: the Reserved group (bit 31 = 0, op0 = 0000) ...
TOP_LEVEL_UNALLOCATED = (
    "hi:3 op0=0001 rest:25",
    "hi:3 op0=0011 rest:25",
    "0 hi:2 op0=0000 rest:25",
)
#: ... except UDF, the one allocated encoding of the Reserved group.
TOP_LEVEL_ALLOCATED = ("0 00 0000 000000000 imm16:16",)


def diagram_set(*diagrams: str) -> CubeSet:
    """The words matching any of ``diagrams`` (bit diagrams as in the table)."""
    cubes = [parse_diagram(d)[:2] for d in diagrams]
    return CubeSet.union(*(CubeSet.term(m, v) for m, v in cubes))


def unallocated_top_level() -> CubeSet:
    """Words of the Arm ARM's unallocated top-level groups."""
    return diagram_set(*TOP_LEVEL_UNALLOCATED) - diagram_set(*TOP_LEVEL_ALLOCATED)


def unallocated_without_row() -> CubeSet:
    """Where a word that no row claims is unallocated: the Loads and Stores group and
    the unallocated top-level groups (a row, where one matches, decides instead)."""
    return CubeSet.union(diagram_set(LOADS_AND_STORES), unallocated_top_level())


def check_dont_care(mode: str) -> str:
    if mode not in DONT_CARE_MODES:
        raise InputError(f"unknown don't-care set {mode!r}: choose one of "
                         f"{', '.join(DONT_CARE_MODES)}")
    return mode


@dataclass(frozen=True)
class PolicySets:
    """ON and OFF as disjoint cube sets; every other word is don't-care."""

    kinds: frozenset[Kind]
    dont_care: str
    on: CubeSet
    off: CubeSet


@lru_cache(maxsize=None)
def row_regions(table: Table) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Per row code: the cubes of the words that row classifies (its cube minus its children)."""
    regions = table_regions(table)
    rows = table.rows
    out = []
    for code, row in enumerate(rows):
        children = CubeSet([(rows[c].mask, rows[c].value) for c in regions.children[code]])
        out.append(tuple((CubeSet([(row.mask, row.value)]) - children).cubes))
    return tuple(out)


def policy_sets(kinds: Iterable[Kind], dont_care: str = DEFAULT_DONT_CARE, table: Table | None = None
                ) -> PolicySets:
    """The ON and OFF sets of the policy that upgrades ``kinds`` (see the module doc)."""
    check_dont_care(dont_care)
    kinds = frozenset(kinds)
    table = table if table is not None else default_table()
    regions = row_regions(table)
    on_cubes: list[tuple[int, int]] = []
    memory_off: list[tuple[int, int]] = []
    for row, cubes in zip(table.rows, regions):
        if row.kind in kinds:
            on_cubes.extend(cubes)
        elif row.kind is not Kind.OTHER:
            memory_off.extend(cubes)
    # Regions of different rows are disjoint, so the lists are disjoint cube sets.
    on = CubeSet(on_cubes)
    if dont_care == NON_MEMORY:
        off = CubeSet(memory_off)
    elif dont_care == NONE:
        off = ~on
    else:
        every_row = CubeSet.union(*(CubeSet.term(r.mask, r.value) for r in table.rows))
        unallocated_rows = CubeSet([c for row, cubes in zip(table.rows, regions)
                                    if row.kind is Kind.OTHER for c in cubes])
        off = ~CubeSet.union(on, unallocated_rows, unallocated_without_row() - every_row)
    return PolicySets(kinds, dont_care, on, off)
