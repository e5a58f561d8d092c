"""The compiled pattern table: overlap rule, lookup index and scalar lookup.

Overlap rule: two rows overlap when some word matches both. Overlapping rows
must nest: one row's encodings are a strict subset of the other's (it fixes
every bit the other fixes, with the same values, and more). The nested row
is the more specific one and wins. Rows that overlap without nesting, or
duplicate each other, are a table error. So for any word the matching rows
form a chain, and the winner is the matching row with the most fixed bits.

Lookup index: the key of a word is its bits 31:21 and 15:10 (the opcode bits
of the load/store space, where nearly every row fixes its opcode). For each
of the 2**17 keys the index holds the winning row when the key alone decides
it, ``NO_ROW`` when no row can match, and ``AMBIGUOUS`` when bits outside the
key decide; ambiguous keys keep a short candidate list, most specific first.

numpy is imported only to build the index or classify arrays: the scalar
path can start from a cached index (see patterns/cache.py) without it.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from ..word import WORD_BITS, WORD_ONES
from .reader import Row, TableError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ..word import WordArray

#: (high bit, low bit) ranges of a word, most significant first.
BitRanges: TypeAlias = Sequence[tuple[int, int]]
#: Per key range: (mask in the word, right shift, position in the key).
KeyParts: TypeAlias = tuple[tuple[int, int, int], ...]
#: Row codes of many words or keys (a row's position in Table.rows; NO_ROW, AMBIGUOUS).
RowCodes: TypeAlias = "npt.NDArray[np.int16]"
#: Lookup keys of many words.
KeyArray: TypeAlias = "npt.NDArray[np.uint32]"

#: (high bit, low bit) ranges of the lookup key, most significant first.
KEY_RANGES = ((31, 21), (15, 10))
KEY_BITS = sum(hi - lo + 1 for hi, lo in KEY_RANGES)
NO_ROW = -1
AMBIGUOUS = -2


def _range_mask(hi: int, lo: int) -> int:
    return ((1 << (hi - lo + 1)) - 1) << lo


def key_parts(ranges: BitRanges) -> KeyParts:
    """Per key range: (mask in the word, right shift, position in the key)."""
    parts, position = [], sum(hi - lo + 1 for hi, lo in ranges)
    for hi, lo in ranges:
        width = hi - lo + 1
        position -= width
        parts.append((_range_mask(hi, lo), lo, position))
    return tuple(parts)


def pack_key(word: int, parts: KeyParts) -> int:
    """The bits of ``word`` selected by ``parts``, packed together."""
    key = 0
    for mask, shift, position in parts:
        key |= ((word & mask) >> shift) << position
    return key


KEY_PARTS = key_parts(KEY_RANGES)
# The scalar key is packed by one expression (the hot path of upgrades()); the
# key has exactly two ranges, checked here.
((_HI_MASK, _HI_SHIFT, _HI_AT), (_LO_MASK, _LO_SHIFT, _LO_AT)) = KEY_PARTS


def key_of(word: int) -> int:
    """The lookup key of a word: its key bits packed together."""
    return ((word & _HI_MASK) >> _HI_SHIFT) << _HI_AT | ((word & _LO_MASK) >> _LO_SHIFT) << _LO_AT


def spread_key(key: int) -> int:
    """The inverse of key_of: a word with the key's bits in place, every other bit 0."""
    word = 0
    for mask, shift, position in KEY_PARTS:
        word |= (key >> position << shift) & mask
    return word


def _outside_runs() -> tuple[tuple[int, int], ...]:
    """(high bit, low bit) runs of the word bits that are not key bits."""
    runs, bit = [], WORD_BITS - 1
    for hi, lo in KEY_RANGES:
        if bit > hi:
            runs.append((bit, hi + 1))
        bit = lo - 1
    if bit >= 0:
        runs.append((bit, 0))
    return tuple(runs)


#: (high bit, low bit) runs of the bits outside the key (20:16 and 9:0).
OUTSIDE_RUNS = _outside_runs()


def keys_of(words: WordArray) -> KeyArray:
    """Vector form of key_of for a uint32 array."""
    import numpy as np

    words = words.astype(np.uint32, copy=False)
    key = np.zeros(words.shape, dtype=np.uint32)
    for mask, shift, position in KEY_PARTS:
        key |= ((words & np.uint32(mask)) >> np.uint32(shift)) << np.uint32(position)
    return key


def check_overlaps(rows: list[Row]) -> None:
    """Raise TableError for any two rows that overlap without strict nesting."""
    import numpy as np

    masks = np.array([r.mask for r in rows], dtype=np.uint64)
    values = np.array([r.value for r in rows], dtype=np.uint64)
    for i, row in enumerate(rows):
        common = masks[i + 1 :] & np.uint64(row.mask)
        clash = ((values[i + 1 :] ^ np.uint64(row.value)) & common) == 0
        for j in np.nonzero(clash)[0] + i + 1:
            other = rows[j]
            inner, outer = (row, other) if row.specificity >= other.specificity else (other, row)
            nested = inner.mask & outer.mask == outer.mask and inner.specificity > outer.specificity
            if not nested:
                raise TableError(
                    f"rows overlap without nesting: line {row.line} {row.form} "
                    f"and line {other.line} {other.form}"
                )


def build_index(rows: Sequence[Row], ranges: BitRanges) -> RowCodes:
    """Per key over ``ranges``: winning row code, NO_ROW or AMBIGUOUS (int16).

    ``rows`` are ordered most specific first (a row's position is its code).
    Every row writes its code to each key that agrees with its fixed key
    bits, least specific first, so the most specific compatible row stays;
    the key is decided when that row fixes no bit outside the key.
    """
    import numpy as np

    parts = key_parts(ranges)
    bits = sum(hi - lo + 1 for hi, lo in ranges)
    outside = WORD_ONES & ~sum(mask for mask, _, _ in parts)
    best = np.full(1 << bits, NO_ROW, dtype=np.int16)
    decided = np.zeros(1 << bits, dtype=bool)
    for code in range(len(rows) - 1, -1, -1):
        row = rows[code]
        entries = _compatible_keys(pack_key(row.mask, parts), pack_key(row.value, parts), bits)
        best[entries] = code
        decided[entries] = row.mask & outside == 0
    best[~decided & (best != NO_ROW)] = AMBIGUOUS
    return best


def _compatible_keys(key_mask: int, key_value: int, bits: int) -> npt.NDArray[np.int64]:
    """Every key that agrees with key_value on the bits of key_mask."""
    import numpy as np

    free = [b for b in range(bits) if not key_mask >> b & 1]
    entries = np.full(1 << len(free), key_value, dtype=np.int64)
    counter = np.arange(1 << len(free), dtype=np.int64)
    for i, bit in enumerate(free):
        entries |= ((counter >> i) & 1) << bit
    return entries


class Table:
    """The rows plus the derived index used by the scalar and vector classifiers."""

    def __init__(self, rows: list[Row], index: array[int] | None = None):
        """Compile ``rows``; ``index`` is a trusted prebuilt index (from the cache),
        in which case the overlap check, already passed when it was built, is skipped."""
        if index is None:
            check_overlaps(rows)
        elif len(index) != 1 << KEY_BITS:
            raise TableError(f"prebuilt index has {len(index)} entries, not {1 << KEY_BITS}")
        #: Rows ordered most specific first; a row's index here is its code.
        self.rows: tuple[Row, ...] = tuple(
            sorted(rows, key=lambda r: (-r.specificity, r.line))
        )
        self._candidates: dict[int, tuple[Row, ...]] = {}
        if index is not None:
            self.index_array = index

    @cached_property
    def forms(self) -> tuple[str, ...]:
        """Form names in first-seen table order."""
        return tuple(dict.fromkeys(r.form for r in sorted(self.rows, key=lambda r: r.line)))

    @cached_property
    def index_array(self) -> array[int]:
        """The index as a compact array('h'): what the cache stores."""
        return array("h", self._build_index().tobytes())

    @cached_property
    def index(self) -> RowCodes:
        """Per key: winning row code, NO_ROW or AMBIGUOUS (int16, 2**KEY_BITS entries)."""
        import numpy as np

        return np.frombuffer(self.index_array, dtype=np.int16)

    @cached_property
    def index_list(self) -> list[int]:
        """The index as a Python list: the fastest form for scalar lookups."""
        return self.index_array.tolist()

    def _build_index(self) -> RowCodes:
        return build_index(self.rows, KEY_RANGES)

    @cached_property
    def _codes_by_key_bits(self) -> dict[int, dict[int, list[int]]]:
        """Row codes grouped by the key bits the row fixes, then by their values."""
        groups: dict[int, dict[int, list[int]]] = {}
        for code, row in enumerate(self.rows):
            groups.setdefault(key_of(row.mask), {}).setdefault(key_of(row.value), []).append(code)
        return groups

    def candidate_codes(self, key: int) -> list[int]:
        """Codes of the rows that can match a word with this key (the rows whose
        fixed key bits agree with it), most specific first."""
        codes: list[int] = []
        for key_mask, by_value in self._codes_by_key_bits.items():
            codes.extend(by_value.get(key & key_mask, ()))
        return sorted(codes)

    def candidates(self, key: int) -> tuple[Row, ...]:
        """Rows that can match a word with this key, most specific first."""
        found = self._candidates.get(key)
        if found is None:
            found = self._candidates[key] = tuple(self.rows[c] for c in self.candidate_codes(key))
        return found

    def lookup(self, word: int) -> Row | None:
        """The winning row for a word, or None when no row matches."""
        key = key_of(word)
        code = self.index_list[key]
        if code >= 0:
            return self.rows[code]
        if code == NO_ROW:
            return None
        for row in self.candidates(key):
            if word & row.mask == row.value:
                return row
        return None
