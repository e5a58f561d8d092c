"""Vectorized classification of many instruction words at once.

Compiled from the same Table as the scalar ``classify()`` (patterns.table.
build_index over the same rows): a 22-bit index over bits 31:10 gives the
answer for most words with one shift and one gather; words whose entry is
AMBIGUOUS (bits 9:0 decide; about 1 % of random words) are resolved
afterwards, over that minority only, with their scalar 17-bit key, by a
second gather from a small per-key sub-table indexed by the bit windows the
key's candidate rows fix outside the key (see VectorTable._build_sub_tables).

Codes:

* row codes: a row's position in ``table.rows``, ``NO_ROW`` (-1) for none;
* kind codes: ``a64fault.kinds.KIND_CODES`` (int8);
* form codes: position in ``table.forms`` (int16), -1 for none;
* feature codes: position in ``VectorTable.features`` (int16), where code 0
  is ``None`` (Armv8.0 base, or no row).

Work is done in cache-sized chunks and split over threads: numpy releases
the GIL inside its ufuncs and ``take``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property, lru_cache
from typing import Literal, TypeVar, overload

import numpy as np
import numpy.typing as npt

from .kinds import KIND_CODES, Kind, KindCodes
from .patterns import TABLE_PATH, cache, default_table
from .patterns.reader import TableError
from .patterns.table import (
    AMBIGUOUS,
    NO_ROW,
    OUTSIDE_RUNS,
    KeyArray,
    RowCodes,
    Table,
    build_index,
    keys_of,
    spread_key,
)
from .word import WordArray, check_word_array

#: The code arrays a gather fills: row codes (int16) or kind codes (int8).
Code = TypeVar("Code", np.int8, np.int16)
#: Per run outside the key: (lowest bit, width) of one ambiguous key's window.
Windows = Sequence[tuple[int, int]]

#: Words per chunk: its key temporaries stay in cache (128 K measured fastest here).
CHUNK = 1 << 17
#: Below this many words a single thread is faster than starting others.
THREAD_THRESHOLD = 1 << 20
#: Most words one thread takes at a time.
PIECE = 1 << 23
OTHER_CODE = KIND_CODES[Kind.OTHER]
#: Most sub-table entries the ambiguous keys may need (int16 each; 12,516 today):
#: a table change beyond it is refused rather than silently slow.
SUB_ENTRIES = 1 << 21


#: The first-level key of the vector path: bits 31:10, i.e. ``w >> 10`` (one
#: shift, then one gather from a 4 M-entry index). It holds the scalar key's
#: bits and Rs/Rm (20:16) too, so fewer words stay ambiguous (~1 % of random
#: words); those go to the second level with their scalar (17-bit) key.
WIDE_RANGES = ((31, 10),)
WIDE_SHIFT = WIDE_RANGES[0][1]


#: The arrays a VectorTable is made of: what the on-disk cache holds.
ARRAYS = ("row_kind", "row_form", "row_feature", "masks", "values", "row_index", "slot_of",
          "slot_start", "win_shift", "win_mask", "win_place", "sub_rows", "sub_kinds")


class VectorTable:
    """Numpy arrays derived from a Table for the vector classifier."""

    # Per row code + 1 (entry 0 stands for NO_ROW).
    row_kind: KindCodes
    row_form: npt.NDArray[np.int16]
    row_feature: npt.NDArray[np.int16]
    # Per row code.
    masks: npt.NDArray[np.uint32]
    values: npt.NDArray[np.uint32]
    # Per wide key, then the second level (see _build_sub_tables).
    row_index: RowCodes
    slot_of: npt.NDArray[np.int16] | npt.NDArray[np.int32]
    slot_start: npt.NDArray[np.int32]
    win_shift: npt.NDArray[np.uint32]
    win_mask: npt.NDArray[np.uint32]
    win_place: npt.NDArray[np.uint32]
    sub_rows: RowCodes
    sub_kinds: KindCodes
    ambiguous_keys: int

    def __init__(self, table: Table):
        self._table: Table | None = table
        self.forms: tuple[str, ...] = table.forms
        rows = table.rows
        self.features: tuple[str | None, ...] = (None,) + tuple(
            sorted({r.feature for r in rows if r.feature is not None})
        )
        feature_code = {f: i for i, f in enumerate(self.features)}
        form_code = {f: i for i, f in enumerate(table.forms)}
        # Per row code, shifted by one so that NO_ROW (-1) indexes entry 0.
        self.row_kind = np.array(
            [OTHER_CODE] + [KIND_CODES[r.kind] for r in rows], dtype=np.int8
        )
        self.row_form = np.array([-1] + [form_code[r.form] for r in rows], dtype=np.int16)
        self.row_feature = np.array(
            [0] + [feature_code[r.feature] for r in rows], dtype=np.int16
        )
        self.masks = np.array([r.mask for r in rows], dtype=np.uint32)
        self.values = np.array([r.value for r in rows], dtype=np.uint32)

        self.row_index = build_index(rows, WIDE_RANGES)
        self._build_sub_tables(table.index)

    @property
    def table(self) -> Table:
        """The compiled Table (parsed on first use when these arrays came from the cache)."""
        if self._table is None:
            self._table = default_table()
        return self._table

    def cache_entry(self) -> tuple[dict[str, bytes], dict[str, object]]:
        """(blobs, meta) to store this table's arrays in the on-disk cache."""
        arrays = {name: np.ascontiguousarray(getattr(self, name)) for name in ARRAYS}
        meta = {"arrays": {name: [a.dtype.str, list(a.shape)] for name, a in arrays.items()},
                "features": list(self.features), "forms": list(self.forms),
                "ambiguous_keys": self.ambiguous_keys, "wide_shift": WIDE_SHIFT}
        return {name: a.tobytes() for name, a in arrays.items()}, meta

    @classmethod
    def from_cache(cls, entry: cache.Entry) -> VectorTable:
        """The table whose arrays ``entry`` (a verified cache entry) holds, without
        compiling the pattern table; raises KeyError/ValueError for a mismatch."""
        vt = cls.__new__(cls)
        vt._table = None
        meta = entry.meta
        for name in ARRAYS:
            dtype, shape = meta["arrays"][name]
            array = np.frombuffer(entry.blobs[name], dtype=np.dtype(dtype))
            setattr(vt, name, array.reshape(shape))
        vt.features = tuple(meta["features"])
        vt.forms = tuple(meta["forms"])
        vt.ambiguous_keys = int(meta["ambiguous_keys"])
        return vt

    @cached_property
    def kind_index(self) -> KindCodes:
        """Kind codes per wide-index entry, AMBIGUOUS kept (int8)."""
        index = self.row_index
        kinds = self.row_kind[index + 1]
        kinds[index == AMBIGUOUS] = AMBIGUOUS
        return kinds

    def _build_sub_tables(self, index: RowCodes) -> None:
        """Second level for the ambiguous keys: one small sub-table per key.

        An ambiguous key's candidates fix a few bits outside the key (e.g.
        Rs=11111 of LDAPR). Outside the key lie two runs of bits (20:16 and
        9:0); per run, the key's *window* is the span from the lowest to the
        highest bit its candidates fix there. The windows, side by side, index
        the key's sub-table (row codes in ``sub_rows``, kind codes in
        ``sub_kinds``). ``slot_of[key]`` names the key's slot; per slot,
        ``slot_start`` is where its sub-table starts and ``win_shift[r]``,
        ``win_mask[r]``, ``win_place[r]`` cut window r out of a word and place
        it in the index. Keys with the same candidates and windows share a
        slot and a sub-table (the key bits are agreed by every candidate; only
        the windows decide).
        """
        ambiguous = np.flatnonzero(index == AMBIGUOUS)
        slots: dict[tuple[tuple[int, ...], tuple[tuple[int, int], ...]], int] = {}
        slot_rows: list[tuple[int, list[tuple[int, int]]]] = []  # (sub-table start, windows)
        slot_of = np.zeros(len(index), dtype=np.int32)
        subs: list[RowCodes] = []
        filled = 0
        for key in ambiguous.tolist():
            codes = self.table.candidate_codes(key)
            extra = int(np.bitwise_or.reduce(self.masks[codes]))
            windows: list[tuple[int, int]] = []
            for hi, lo in OUTSIDE_RUNS:
                bits = [b for b in range(lo, hi + 1) if extra >> b & 1]
                windows.append((bits[0], bits[-1] - bits[0] + 1) if bits else (lo, 0))
            same = (tuple(codes), tuple(windows))
            slot = slots.get(same)
            if slot is None:
                slot = slots[same] = len(slot_rows)
                slot_rows.append((filled, windows))
                subs.append(self._sub_table(key, windows, codes))
                filled += len(subs[-1])
                if filled > SUB_ENTRIES:
                    raise TableError(f"the ambiguous keys need more than {SUB_ENTRIES} "
                                     "sub-table entries: widen the first-level key")
            slot_of[key] = slot
        self.slot_of = slot_of.astype(np.int16 if len(slot_rows) < 1 << 15 else np.int32)
        count = max(len(slot_rows), 1)
        self.slot_start = np.zeros(count, dtype=np.int32)
        self.win_shift = np.zeros((len(OUTSIDE_RUNS), count), dtype=np.uint32)
        self.win_mask = np.zeros((len(OUTSIDE_RUNS), count), dtype=np.uint32)
        self.win_place = np.zeros((len(OUTSIDE_RUNS), count), dtype=np.uint32)
        for slot, (sub_start, windows) in enumerate(slot_rows):
            self.slot_start[slot] = sub_start
            place = 0
            for run, (low, span) in enumerate(windows):
                self.win_shift[run, slot] = low
                self.win_mask[run, slot] = (1 << span) - 1
                self.win_place[run, slot] = place
                place += span
        self.sub_rows = np.concatenate(subs) if subs else np.zeros(1, dtype=np.int16)
        self.sub_kinds = self.row_kind[self.sub_rows.astype(np.int32) + 1]
        self.ambiguous_keys = len(ambiguous)

    def _sub_table(self, key: int, windows: Windows, codes: list[int]) -> RowCodes:
        """Winning row for each value of one ambiguous key's windows."""
        width = sum(span for _, span in windows)
        counter = np.arange(1 << width, dtype=np.uint32)
        words = np.full(1 << width, spread_key(key), dtype=np.uint32)
        place = 0
        for low, span in windows:
            part = (counter >> np.uint32(place)) & np.uint32((1 << span) - 1)
            words |= part << np.uint32(low)
            place += span
        winner = np.full(1 << width, NO_ROW, dtype=np.int16)
        for code in codes[::-1]:  # least specific first, overwritten
            winner[(words & self.masks[code]) == self.values[code]] = code
        return winner

    @overload
    def resolve(self, words: WordArray, keys: KeyArray, kinds: Literal[False] = False) -> RowCodes: ...

    @overload
    def resolve(self, words: WordArray, keys: KeyArray, kinds: Literal[True]) -> KindCodes: ...

    def resolve(self, words: WordArray, keys: KeyArray, kinds: bool = False) -> RowCodes | KindCodes:
        """Row codes (or, with ``kinds``, kind codes) for words whose keys are ambiguous."""
        slot = self.slot_of[keys]
        offset: npt.NDArray[np.int32] = self.slot_start[slot].copy()
        for run in range(len(OUTSIDE_RUNS)):
            window = (words >> self.win_shift[run][slot]) & self.win_mask[run][slot]
            offset += (window << self.win_place[run][slot]).astype(np.int32)
        return (self.sub_kinds if kinds else self.sub_rows)[offset]


@lru_cache(maxsize=8)
def _vector_table_for(table: Table) -> VectorTable:
    return VectorTable(table)


def vector_table(table: Table | None = None) -> VectorTable:
    """The VectorTable of ``table`` (default: the project's table, from the
    on-disk cache when it verifies), built once per process."""
    if table is None:
        return _default_vector_table()
    return _vector_table_for(table)


@lru_cache(maxsize=1)
def _default_vector_table() -> VectorTable:
    key = cache.digest(TABLE_PATH.read_text(encoding="utf-8"))
    entry = cache.load("vector", key)
    if entry is not None:
        try:
            return VectorTable.from_cache(entry)
        except (KeyError, ValueError, TypeError):
            pass  # a layout this code does not know: rebuilt below
    built = _vector_table_for(default_table())
    cache.store("vector", key, *built.cache_entry())
    return built


def _run_chunks(n: int, work: Callable[[int, int], None], threads: int | None) -> None:
    """Call ``work(start, stop)`` over pieces of the n words, on several threads.

    Pieces are several per thread (at most PIECE words), handed out as
    threads free up, so a core that is busy with another process slows the
    whole call less than a fixed split would.
    """
    threads = threads or os.cpu_count() or 1
    if n < THREAD_THRESHOLD or threads == 1:
        work(0, n)
        return
    step = min(PIECE, -(-n // (4 * threads)))
    step = -(-step // CHUNK) * CHUNK
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(work, s, min(s + step, n)) for s in range(0, n, step)]:
            future.result()


def _gather(words: WordArray, index: npt.NDArray[Code], out: npt.NDArray[Code], start: int, stop: int,
            fix: Callable[[WordArray, KeyArray], npt.NDArray[Code]]) -> None:
    """Wide-key gather from ``index`` for words[start:stop], then ``fix`` the ambiguous ones.

    The gather runs chunk by chunk (temporaries stay in cache); the ambiguous
    words of the whole range are fixed in one batch afterwards, with their
    scalar keys, so the second level pays numpy's per-call cost once per
    range, not per chunk.
    """
    keys = np.empty(min(CHUNK, stop - start), dtype=np.uint32)
    where: list[npt.NDArray[np.intp]] = []
    picked: list[WordArray] = []
    for s in range(start, stop, CHUNK):
        e = min(s + CHUNK, stop)
        chunk, key = words[s:e], keys[:e - s]
        np.right_shift(chunk, WIDE_SHIFT, out=key)
        target = out[s:e]
        np.take(index, key, out=target, mode="clip")
        # Found while the chunk is in cache; fixed later, all at once.
        found = np.flatnonzero(target == AMBIGUOUS)
        if len(found):
            where.append(found + s)
            picked.append(chunk[found])
    if where:
        ambiguous = np.concatenate(picked)
        out[np.concatenate(where)] = fix(ambiguous, keys_of(ambiguous))


def _output(out: npt.NDArray[Code] | None, length: int, dtype: type[Code]) -> npt.NDArray[Code]:
    if out is None:
        return np.empty(length, dtype=dtype)
    if out.dtype != dtype or out.shape != (length,):
        raise ValueError(f"out must be a {np.dtype(dtype).name} array of {length} elements")
    return out


def classify_rows(words: npt.ArrayLike, table: Table | None = None, threads: int | None = None,
                  out: RowCodes | None = None) -> RowCodes:
    """Row codes (int16, NO_ROW for none) of a uint32 word array (``out``: see classify_array)."""
    vt = vector_table(table)
    array = check_word_array(words)
    rows = _output(out, len(array), np.int16)
    _run_chunks(len(array), lambda s, e: _gather(array, vt.row_index, rows, s, e, vt.resolve),
                threads)
    return rows


def classify_array(words: npt.ArrayLike, table: Table | None = None, threads: int | None = None,
                   out: KindCodes | None = None) -> KindCodes:
    """Kind codes (int8, see KIND_CODES) of a uint32 word array.

    ``out``, an int8 array as long as ``words``, is filled and returned
    instead of a new array (a fresh 100 MB array costs ~0.1 s of page faults).
    """
    vt = vector_table(table)
    array = check_word_array(words)
    kinds = _output(out, len(array), np.int8)

    def fix(chunk: WordArray, keys: KeyArray) -> KindCodes:
        return vt.resolve(chunk, keys, kinds=True)

    _run_chunks(len(array), lambda s, e: _gather(array, vt.kind_index, kinds, s, e, fix), threads)
    return kinds


def kinds_of_rows(rows: RowCodes, table: Table | None = None) -> KindCodes:
    """Kind codes (int8) of row codes."""
    return vector_table(table).row_kind[rows.astype(np.int32) + 1]


def forms_of_rows(rows: RowCodes, table: Table | None = None) -> npt.NDArray[np.int16]:
    """Form codes (int16, index into table.forms; -1 for none) of row codes."""
    return vector_table(table).row_form[rows.astype(np.int32) + 1]


def features_of_rows(rows: RowCodes, table: Table | None = None) -> npt.NDArray[np.int16]:
    """Feature codes (int16, index into vector_table().features; 0 = None) of row codes."""
    return vector_table(table).row_feature[rows.astype(np.int32) + 1]
