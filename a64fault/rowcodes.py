"""Row codes of instruction words without numpy, for inputs too small to pay its import.

The same two-level lookup as ``vector.classify_rows`` over the same arrays,
read as memoryviews straight from the on-disk cache entry that
``vector.vector_table()`` writes: bits 31:10 index ``row_index``; a word
whose entry is AMBIGUOUS goes to its key's sub-table (``slot_of``,
``slot_start``, the windows, ``sub_rows``). About 0.2 µs a word in Python,
so a 67 KB library is classified in a few milliseconds, where importing
numpy alone takes about 0.1 s. ``tests/test_rowcodes.py`` checks that both
paths agree word for word.
"""

from __future__ import annotations

import sys
from array import array
from functools import lru_cache
from typing import Literal

from .patterns import TABLE_PATH, cache
from .patterns.table import AMBIGUOUS, key_of

#: numpy dtype (as dtype.str without byte order) -> memoryview/array format.
_FORMATS: dict[str, Literal["b", "h", "i", "I", "H", "B"]] = {
    "i1": "b", "i2": "h", "i4": "i", "u4": "I", "u2": "H", "u1": "B"}


class SmallTables:
    """The vector classifier's arrays as flat memoryviews, plus its names."""

    def __init__(self, entry: cache.Entry) -> None:
        meta = entry.meta
        views: dict[str, memoryview] = {}
        for name, (dtype, _shape) in meta["arrays"].items():
            views[name] = entry.blobs[name].cast(_FORMATS[dtype[1:]])
        self.row_index = views["row_index"]
        self.slot_of = views["slot_of"]
        self.slot_start = views["slot_start"]
        self.win_shift = views["win_shift"]
        self.win_mask = views["win_mask"]
        self.win_place = views["win_place"]
        self.sub_rows = views["sub_rows"]
        self.runs, self.slots = meta["arrays"]["win_shift"][1]
        self.shift: int = meta["wide_shift"]
        #: Per row code + 1 (entry 0: no row): kind code, form code, feature code.
        self.row_kind = views["row_kind"].tolist()
        self.row_form = views["row_form"].tolist()
        self.row_feature = views["row_feature"].tolist()
        self.forms: tuple[str, ...] = tuple(meta["forms"])
        self.features: tuple[str | None, ...] = tuple(meta["features"])

    def row_of_ambiguous(self, word: int) -> int:
        slot = self.slot_of[key_of(word)]
        offset = self.slot_start[slot]
        for run in range(self.runs):
            at = run * self.slots + slot
            offset += ((word >> self.win_shift[at]) & self.win_mask[at]) << self.win_place[at]
        return self.sub_rows[offset]

    def row_codes(self, raw: bytes) -> list[int]:
        """Row codes (NO_ROW for none) of the little-endian words in ``raw``."""
        words = array("I")
        words.frombytes(raw[:len(raw) // 4 * 4])
        if sys.byteorder == "big":
            words.byteswap()
        index, shift = self.row_index, self.shift
        rows = [index[word >> shift] for word in words]
        if AMBIGUOUS in rows:
            for i, row in enumerate(rows):
                if row == AMBIGUOUS:
                    rows[i] = self.row_of_ambiguous(words[i])
        return rows


@lru_cache(maxsize=1)
def small_tables() -> SmallTables:
    """The cached vector arrays (built, with numpy, and cached when absent)."""
    key = cache.digest(TABLE_PATH.read_text(encoding="utf-8"))
    entry = cache.load("vector", key)
    if entry is None:
        from .vector import vector_table

        blobs, meta = vector_table().cache_entry()
        entry = cache.Entry(meta, {name: memoryview(blob) for name, blob in blobs.items()})
    return SmallTables(entry)
