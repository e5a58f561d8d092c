"""Scan the code of an AArch64 ELF file: classify every instruction in one vector pass.

The executable sections (or, in a file without sections, the executable
PT_LOAD segments) come from ``ElfImage.executable_ranges()``; their bytes are
read as numpy views of an mmap of the file (A64 code is little-endian even in
big-endian ELF files), classified by ``vector.classify_rows``, counted per
kind and feature, and the instructions a policy would upgrade (or of chosen
kinds) are listed with symbol and Capstone text — Capstone runs only on those.

Words overlapping a ``$d`` mapping-symbol range (literal pools, jump tables)
are data: not counted as instructions and never listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import vector
from .decoder.elf import ElfImage
from .kinds import KIND_CODES, KINDS_BY_CODE, Kind
from .patterns import default_table
from .policies import DEFAULT_POLICY, KERNEL_V5, POLICY_KINDS, check_policy
from .word import WORD_BYTES

#: Row code given to data words (below NO_ROW = -1).
DATA = -2
#: Shift that makes every code (DATA, NO_ROW, rows) a non-negative index.
SHIFT = 2
#: Words per bincount/listing step (bounds the temporaries).
STEP = 1 << 20
BASE_FEATURE = "base"


@dataclass
class ScanResult:
    """What one file holds: counts by kind and feature, and the listed instructions."""

    file: str
    instructions: int = 0
    data_words: int = 0
    ranges: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    listed: list = field(default_factory=list)
    #: How many instructions the selection holds (``listed`` may stop at a limit).
    selected: int = 0
    selection: str = ""

    def as_json(self) -> dict:
        return {"file": self.file, "instructions": self.instructions,
                "data_words": self.data_words, "sections": [r[0] for r in self.ranges],
                "selection": self.selection, "counts": self.counts,
                "features": self.features, "selected": self.selected, "listed": self.listed}


def data_ranges(mapping_symbols, ranges) -> list[tuple[int, int]]:
    """[start, end) address ranges marked ``$d``: each runs to the next mapping
    symbol or the end of its executable range, whichever comes first."""
    ends = sorted(vaddr + size for _, vaddr, _, size in ranges)
    out = []
    for i, (start, kind) in enumerate(mapping_symbols):
        if kind != "$d":
            continue
        end = mapping_symbols[i + 1][0] if i + 1 < len(mapping_symbols) else None
        range_end = next((e for e in ends if e > start), start)
        end = range_end if end is None else min(end, range_end)
        if end > start:
            out.append((start, end))
    return out


def _selector(policy: str | None, kinds) -> tuple[np.ndarray | None, object, str]:
    """(accept per shifted row code, word predicate or None, label) of the listing."""
    table = default_table()
    if kinds:
        wanted = frozenset(Kind(k) for k in kinds)
        label = "kind " + ",".join(sorted(k.value for k in wanted))
    else:
        policy = check_policy(policy or DEFAULT_POLICY)
        label = f"policy {policy}"
        if policy == KERNEL_V5:
            from .policies import kernel_v5

            masks, values = kernel_v5.cube_set().arrays()
            return None, (masks.astype(np.uint32), values.astype(np.uint32)), label
        wanted = POLICY_KINDS[policy]
    # vt.row_kind is indexed by row code + 1 (NO_ROW, kind other, first): one
    # more False in front makes it the acceptance per shifted code (DATA first).
    row_accepts = np.isin(vector.vector_table(table).row_kind, [KIND_CODES[k] for k in wanted])
    accept = np.concatenate([[False], row_accepts])
    return accept, None, label


def _cube_hits(words: np.ndarray, cubes) -> np.ndarray:
    masks, values = cubes
    hit = np.zeros(len(words), dtype=bool)
    for m, v in zip(masks.tolist(), values.tolist()):
        hit |= (words & np.uint32(m)) == np.uint32(v)
    return hit


def scan_file(path, policy: str | None = DEFAULT_POLICY, kinds=None,
              limit: int | None = None) -> ScanResult:
    """Classify the code of one ELF file (see the module docstring).

    ``limit``: list at most this many selected instructions (all are counted
    in ``selected``); None lists them all.
    """
    accept, cubes, label = _selector(policy, kinds)
    table = default_table()
    vt = vector.vector_table(table)
    result = ScanResult(str(path), selection=label)
    row_counts = np.zeros(len(table.rows) + SHIFT, dtype=np.int64)
    with ElfImage(path) as image:
        ranges = image.executable_ranges()
        result.ranges = ranges
        data = data_ranges(image.mapping_symbols(), ranges)
        for _name, vaddr, offset, length in ranges:
            count = length // WORD_BYTES
            if count == 0:
                continue
            words = image.code_words(offset, count)
            rows = vector.classify_rows(words, table)
            for start, end in data:
                lo = max(0, (start - vaddr) // WORD_BYTES)
                hi = min(count, -(-(end - vaddr) // WORD_BYTES))
                if lo < hi:
                    rows[lo:hi] = DATA
            for s in range(0, count, STEP):
                chunk = rows[s:s + STEP].astype(np.intp) + SHIFT
                row_counts += np.bincount(chunk, minlength=len(row_counts))
                if accept is not None:
                    picked = np.flatnonzero(accept[chunk])
                else:
                    picked = np.flatnonzero(_cube_hits(words[s:s + STEP], cubes)
                                            & (chunk != DATA + SHIFT))
                result.selected += len(picked)
                room = len(picked) if limit is None else max(0, limit - len(result.listed))
                for i in (picked[:room] + s).tolist():
                    result.listed.append(_listing(image, vaddr + WORD_BYTES * i,
                                                  int(words[i]), int(rows[i])))
            del words
    _fill_counts(result, row_counts, vt)
    return result


def _listing(image, address: int, word: int, row: int) -> dict:
    from .decoder import decode

    table = default_table()
    kind = table.rows[row].kind if row >= 0 else Kind.OTHER
    text = decode(word, image.pc(address))
    record = {"address": image.describe(address), "symbol": image.symbolize(address),
              "demangled": image.symbolize(address, demangled=True),
              "word": f"{word:#010x}", "text": None if text is None else str(text),
              "kind": kind.value, "form": table.rows[row].form if row >= 0 else None}
    place = image.location(address)
    if place is not None:
        record["section"], record["offset"] = place[0], f"{place[1]:#x}"
    return record


def _fill_counts(result: ScanResult, row_counts: np.ndarray, vt) -> None:
    result.data_words = int(row_counts[DATA + SHIFT])
    result.instructions = int(row_counts.sum()) - result.data_words
    kind_counts = {kind.value: 0 for kind in KINDS_BY_CODE}
    features: dict[str, int] = {}
    kind_counts[Kind.OTHER.value] += int(row_counts[SHIFT - 1])
    for code, row in enumerate(vt.table.rows):
        n = int(row_counts[code + SHIFT])
        if n:
            kind_counts[row.kind.value] += n
            if row.kind is Kind.OTHER:  # UNALLOCATED carve-outs: no feature to speak of
                continue
            name = row.feature or BASE_FEATURE
            features[name] = features.get(name, 0) + n
    result.counts = kind_counts
    result.features = dict(sorted(features.items()))
