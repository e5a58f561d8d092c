"""Scan the code of an AArch64 ELF file: classify every instruction, count, list a selection.

The executable sections (or, in a file without sections, the executable
PT_LOAD segments) come from ``ElfImage.executable_ranges()``. Their words
(little-endian even in big-endian ELF files) get row codes from the pattern
table, in one vector pass (``vector.classify_rows`` over numpy views of the
mmapped file) or, for files of at most SMALL_WORDS words while numpy is not
loaded yet, from the same cached tables without importing it (``rowcodes``). They are counted per
kind and feature, and the selected instructions (those a policy upgrades,
or of chosen kinds) are listed with symbol and Capstone text; Capstone runs
only over the stretches of code that hold them (``listing``).

Words in a ``$d`` mapping-symbol range (literal pools, jump tables) are
data: not counted as instructions and never listed. In a file without any
mapping symbol, a selected word inside a run that is mostly undecodable is
likely data (``datacode``): counted apart, and listed apart as ``(data?)``.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .decoder.elf import DEFAULT_DEBUG_DIR, CodeRange, ElfImage
from .kinds import KIND_CODES, KINDS_BY_CODE, Kind
from .policies import DEFAULT_POLICY, KERNEL_V5, POLICY_KINDS, check_policy
from .word import WORD_BYTES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from .listing import ListingRecord, Pick, RowNames

#: Row code given to data words (below NO_ROW = -1).
DATA = -2
#: Shift that makes every code (DATA, NO_ROW, rows) a non-negative index.
SHIFT = 2
#: Words per bincount/listing step of the vector path (bounds the temporaries).
STEP = 1 << 20
#: Files with at most this many code words are classified without numpy
#: (its import costs more than the pure-Python pass over them).
SMALL_WORDS = 1 << 18
BASE_FEATURE = "base"
OTHER = Kind.OTHER.value


@dataclass
class ScanResult:
    """What one file holds: counts by kind and feature, and the listed instructions."""

    file: str
    elf_type: str = ""
    instructions: int = 0
    data_words: int = 0
    ranges: list[CodeRange] = field(default_factory=list)
    #: Kind name -> instructions; feature name -> instructions.
    counts: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)
    listed: list[ListingRecord] = field(default_factory=list)
    #: How many instructions the selection holds (``listed`` may stop at a limit).
    selected: int = 0
    selection: str = ""
    #: Selected words judged likely data (no mapping symbols; see datacode.py).
    likely_data: int = 0
    likely_data_listed: list[ListingRecord] = field(default_factory=list)
    #: The separate debug file whose symbols were used, if any.
    debug_file: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The result as a JSON object (Any: the CLI's text output reads it by key)."""
        return {"file": self.file, "elf_type": self.elf_type,
                "instructions": self.instructions, "data_words": self.data_words,
                "likely_data": self.likely_data, "sections": [r[0] for r in self.ranges],
                "selection": self.selection, "counts": self.counts,
                "features": self.features, "selected": self.selected, "listed": self.listed,
                "likely_data_listed": self.likely_data_listed, "debug_file": self.debug_file}


@dataclass(frozen=True)
class Selection:
    """Which instructions a scan lists: by kind, or kernel-v5's word predicate."""

    label: str
    kinds: frozenset[Kind] = frozenset()
    #: True for kernel-v5, whose false matches are not a set of table rows.
    by_predicate: bool = False


def selection(policy: str | None, kinds: Iterable[str] | None) -> Selection:
    if kinds:
        wanted = frozenset(Kind(k) for k in kinds)
        return Selection("kind " + ",".join(sorted(k.value for k in wanted)), wanted)
    policy = check_policy(policy or DEFAULT_POLICY)
    if policy == KERNEL_V5:
        return Selection(f"policy {policy}", by_predicate=True)
    return Selection(f"policy {policy}", POLICY_KINDS[policy])


def data_ranges(mapping_symbols: Sequence[tuple[int, str]],
                ranges: Iterable[CodeRange]) -> list[tuple[int, int]]:
    """[start, end) address ranges marked ``$d``: each runs to the next mapping
    symbol or the end of its executable range, whichever comes first."""
    ends = sorted(vaddr + size for _, vaddr, _, size in ranges)
    out: list[tuple[int, int]] = []
    for i, (start, kind) in enumerate(mapping_symbols):
        if kind != "$d":
            continue
        end = mapping_symbols[i + 1][0] if i + 1 < len(mapping_symbols) else None
        range_end = next((e for e in ends if e > start), start)
        end = range_end if end is None else min(end, range_end)
        if end > start:
            out.append((start, end))
    return out


def scan_file(path: str | os.PathLike[str], policy: str | None = DEFAULT_POLICY,
              kinds: Iterable[str] | None = None, limit: int | None = None, *,
              debug_dir: str | os.PathLike[str] = DEFAULT_DEBUG_DIR,
              data_check: bool = True) -> ScanResult:
    """Classify the code of one ELF file (see the module docstring).

    ``limit``: list at most this many selected instructions (all are counted
    in ``selected``); None lists them all. ``data_check``: apply the
    likely-data rule in files without mapping symbols.
    """
    chosen = selection(policy, kinds)
    result = ScanResult(str(path), selection=chosen.label)
    with ElfImage(path, debug_dir=debug_dir) as image:
        result.elf_type = image.elf_type
        ranges = image.executable_ranges()
        result.ranges = ranges
        marks = image.mapping_symbols()
        data = data_ranges(marks, ranges)
        words = sum(size // WORD_BYTES for *_, size in ranges)
        # The pure-Python path only saves numpy's import: once numpy is loaded
        # (a parallel scan's parent loads it for its workers) vectors are faster.
        if words <= SMALL_WORDS and not chosen.by_predicate and not _numpy_loaded():
            tally, picks, names = _classify_small(image, ranges, data, chosen)
        else:
            tally, picks, names = _classify_vector(image, ranges, data, chosen)
        from .listing import list_picks

        listed, likely = list_picks(image, picks, names, limit,
                                    data_check=data_check and not marks)
        result.listed = listed.records
        result.selected = listed.count
        result.likely_data = likely.count
        result.likely_data_listed = likely.records
        for row, n in likely.rows.items():
            tally[row] -= n
        if image.debug_file is not None:
            result.debug_file = str(image.debug_file)
    _fill_counts(result, tally, names)
    return result


def _numpy_loaded() -> bool:
    return "numpy" in sys.modules


def _classify_small(image: ElfImage, ranges: list[CodeRange], data: list[tuple[int, int]],
                    chosen: Selection) -> tuple[Counter[int], list[Pick], RowNames]:
    """(row tally, picks, names) through the numpy-free tables."""
    from .rowcodes import small_tables

    tables = small_tables()
    accept = {code for code, kind in enumerate(tables.row_kind)
              if KINDS_BY_CODE[kind] in chosen.kinds}
    tally: Counter[int] = Counter()
    picks: list[Pick] = []
    for name, vaddr, offset, length in ranges:
        count = length // WORD_BYTES
        if not count:
            continue
        raw = image.read(offset, count * WORD_BYTES)
        rows = tables.row_codes(raw)
        for lo, hi in _data_slices(data, vaddr, count):
            rows[lo:hi] = [DATA] * (hi - lo)
        tally.update(rows)
        # row_kind is indexed by row code + 1 (entry 0: NO_ROW).
        chosen_at = [i for i, row in enumerate(rows) if row + 1 in accept]
        if chosen_at:
            picks.append(((name, vaddr, offset, length), raw, rows, chosen_at))
    return tally, picks, tables


def _classify_vector(image: ElfImage, ranges: list[CodeRange], data: list[tuple[int, int]],
                     chosen: Selection) -> tuple[Counter[int], list[Pick], RowNames]:
    """(row tally, picks, names) through numpy and the vector tables."""
    import numpy as np

    from . import vector

    vt = vector.vector_table()
    if chosen.by_predicate:
        from .policies import kernel_v5

        masks, values = kernel_v5.cube_set().arrays()
        cubes = list(zip(masks.astype(np.uint32).tolist(), values.astype(np.uint32).tolist()))
    else:
        accept = _acceptance(chosen.kinds)
    row_counts = np.zeros(len(vt.row_kind) + 1, dtype=np.int64)
    picks: list[Pick] = []
    for name, vaddr, offset, length in ranges:
        count = length // WORD_BYTES
        if not count:
            continue
        words = image.code_words(offset, count)
        rows = vector.classify_rows(words)
        for lo, hi in _data_slices(data, vaddr, count):
            rows[lo:hi] = DATA
        chosen_at: list[int] = []
        for s in range(0, count, STEP):
            chunk = rows[s:s + STEP].astype(np.intp) + SHIFT
            row_counts += np.bincount(chunk, minlength=len(row_counts))
            if chosen.by_predicate:
                part = words[s:s + STEP]
                hit = np.zeros(len(part), dtype=bool)
                for m, v in cubes:
                    hit |= (part & np.uint32(m)) == np.uint32(v)
                picked = np.flatnonzero(hit & (chunk != DATA + SHIFT))
            else:
                picked = np.flatnonzero(accept[chunk])
            chosen_at += (picked + s).tolist()
        if chosen_at:
            picks.append(((name, vaddr, offset, length), image.read(offset, count * WORD_BYTES),
                          rows, chosen_at))
        del words
    present = np.flatnonzero(row_counts)
    tally = Counter(dict(zip((present - SHIFT).tolist(), row_counts[present].tolist())))
    return tally, picks, vt


@lru_cache(maxsize=16)
def _acceptance(kinds: frozenset[Kind]) -> npt.NDArray[np.bool_]:
    """Per shifted row code (DATA first): whether a word of that row is selected."""
    import numpy as np

    from . import vector

    # vt.row_kind is indexed by row code + 1; one more False in front makes it
    # the acceptance per shifted code.
    wanted = [KIND_CODES[k] for k in kinds]
    return np.concatenate([[False], np.isin(vector.vector_table().row_kind, wanted)])


def _data_slices(data: Iterable[tuple[int, int]], vaddr: int, count: int) -> Iterator[tuple[int, int]]:
    """(lo, hi) word indexes of a range of ``count`` words at vaddr inside ``$d`` ranges."""
    for start, end in data:
        lo = max(0, (start - vaddr) // WORD_BYTES)
        hi = min(count, -(-(end - vaddr) // WORD_BYTES))
        if lo < hi:
            yield lo, hi


def _fill_counts(result: ScanResult, tally: Counter[int], names: RowNames) -> None:
    """Counts by kind and feature from the row tally (row code -> words)."""
    from .listing import row_columns

    columns = row_columns(names)
    result.data_words = tally.get(DATA, 0)
    result.instructions = sum(n for code, n in tally.items() if code != DATA)
    kind_counts = {kind.value: 0 for kind in KINDS_BY_CODE}
    features: dict[str, int] = {}
    for code, n in tally.items():
        if code == DATA or not n:
            continue
        kind = columns.kind_names[code + 1]
        kind_counts[kind] += n
        if code < 0 or kind == OTHER:  # no row, or UNALLOCATED carve-outs: no feature
            continue
        name = columns.features[columns.feature_codes[code + 1]] or BASE_FEATURE
        features[name] = features.get(name, 0) + n
    result.counts = kind_counts
    result.features = dict(sorted(features.items()))
