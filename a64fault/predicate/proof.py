"""Exhaustive proofs of a predicate over all 2**32 words, independent of the cube algebra.

Each word gets a label from the vector classifier (its table row, read from
the lookup index: ON, OFF or don't-care by the row's kind and the
don't-care mode) and a verdict from the predicate's terms, evaluated on the
word itself; the proof counts the four outcomes that matter.

numpy: 2**32 words in chunks of 2**CHUNK_BITS on every core. A chunk's
words share their bits above CHUNK_BITS and run through every value below,
so ``(w & mask) == value`` splits into one test of the high parts per chunk
and a test of the low parts that is the same for every chunk (computed
once per term): every term is still decided for every word.

C (``verify_c``): the predicate as emitted (``--lang c``), compiled with a
generated harness that labels every word by walking the table's rows most
specific first (the table's own rule, with no index, cube or term shared
with the generator) and counts the same four outcomes, on two threads.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from ..kinds import Kind, KindCodes
from ..patterns import default_table
from ..word import WORD_BITS, WORD_LIMIT, WORD_ONES
from .sets import NON_MEMORY, NONE, check_dont_care, unallocated_without_row

#: log2 of the words per chunk.
CHUNK_BITS = 20
OFF, ON, DONT_CARE = 0, 1, 2


@dataclass(frozen=True)
class Proof:
    """Counts over every 32-bit word: how many of ON, OFF and don't-care the terms match."""

    method: str
    on_total: int
    on_matched: int
    off_total: int
    off_matched: int
    dont_care_total: int
    dont_care_matched: int
    #: Wall-clock seconds, and CPU seconds over all threads (the C proof: compiler and
    #: harness), so a run on a busy machine still tells what the work costs.
    seconds: float
    cpu_seconds: float

    @property
    def words(self) -> int:
        return self.on_total + self.off_total + self.dont_care_total

    @property
    def holds(self) -> bool:
        """Every word counted once, every ON word matched, no OFF word matched."""
        return (self.words == WORD_LIMIT and self.on_matched == self.on_total
                and self.off_matched == 0)

    def counts(self) -> tuple[int, ...]:
        return (self.on_total, self.on_matched, self.off_total, self.off_matched,
                self.dont_care_total, self.dont_care_matched)

    def lines(self) -> list[str]:
        verdict = "holds" if self.holds else "FAILS"
        return [
            f"proof ({self.method}, all 2^32 words, {self.seconds:.1f} s, "
            f"{self.cpu_seconds:.1f} CPU s): {verdict}",
            f"  ON words matched:         {self.on_matched} / {self.on_total}",
            f"  OFF words matched:        {self.off_matched} (of {self.off_total})",
            f"  don't-care words matched: {self.dont_care_matched} (of {self.dont_care_total})",
        ]

    def as_json(self) -> dict[str, object]:
        return {"method": self.method, "holds": self.holds, "words": self.words,
                "on_total": self.on_total, "on_matched": self.on_matched,
                "off_total": self.off_total, "off_matched": self.off_matched,
                "dont_care_total": self.dont_care_total,
                "dont_care_matched": self.dont_care_matched,
                "seconds": round(self.seconds, 2), "cpu_seconds": round(self.cpu_seconds, 2)}


def kind_codes(kinds: Iterable[Kind]) -> list[int]:
    from ..kinds import KIND_CODES

    return sorted(KIND_CODES[k] for k in kinds)


def unallocated_cubes() -> list[tuple[int, int]]:
    """Cubes where a word of kind ``other`` is unallocated: the UNALLOCATED rows, the
    Loads and Stores group and the unallocated top-level groups. (A word of kind
    ``other`` that matches an UNALLOCATED row has one as its winning row.)"""
    rows = [(r.mask, r.value) for r in default_table().rows if r.kind is Kind.OTHER]
    return rows + list(unallocated_without_row().cubes)


def _high_part(value: int) -> int:
    return value & WORD_ONES & ~((1 << CHUNK_BITS) - 1)


def verify(terms: Iterable[tuple[int, int]], kinds: Iterable[Kind], dont_care: str,
           threads: int | None = None, chunks: range | None = None) -> Proof:
    """Count, over all 2**32 words, the ON/OFF/don't-care words ``terms`` match (numpy).

    Labels: a word is ON when its kind (vector classifier) is one of ``kinds``;
    a word of kind ``other`` is don't-care (non-memory), OFF (none), or
    don't-care only inside ``unallocated_cubes()`` (unallocated); any other
    word is OFF.
    """
    from ..kinds import KIND_CODES
    from ..patterns.table import AMBIGUOUS, keys_of
    from ..vector import WIDE_SHIFT, vector_table

    check_dont_care(dont_care)
    vt = vector_table()
    block = 1 << WIDE_SHIFT
    started, cpu_started = time.perf_counter(), time.process_time()
    on_codes = kind_codes(kinds)
    other = KIND_CODES[Kind.OTHER]
    dont_care_cubes = unallocated_cubes() if dont_care not in (NON_MEMORY, NONE) else None
    terms = [(int(m), int(v)) for m, v in terms]
    low = np.arange(1 << CHUNK_BITS, dtype=np.uint32)

    # (w & mask) == value  <=>  the high parts agree (one test per chunk) and
    # (low & low_mask) == low_value, the same for every chunk: computed once.
    low_bits = (1 << CHUNK_BITS) - 1
    low_match = {(m & low_bits, v & low_bits): (low & np.uint32(m & low_bits)) == v & low_bits
                 for m, v in terms + (dont_care_cubes or [])}

    def tested(base: int, cubes: Iterable[tuple[int, int]]) -> npt.NDArray[np.bool_] | None:
        """Which words of the chunk at ``base`` lie in one of ``cubes``; None: none can."""
        hit: npt.NDArray[np.bool_] | None = None
        for mask, value in cubes:
            if _high_part(base & mask) == _high_part(value):
                part = low_match[mask & low_bits, value & low_bits]
                hit = part.copy() if hit is None else np.logical_or(hit, part, out=hit)
        return hit

    kind_count = len(KIND_CODES)
    runs = 1 << (CHUNK_BITS - WIDE_SHIFT)
    run = np.arange(block, dtype=np.uint32)
    no_match = np.zeros(kind_count, dtype=np.int64)

    def chunk(index: int) -> npt.NDArray[np.int64]:
        """ON, ON matched, OFF, OFF matched, don't-care, don't-care matched in a chunk.

        Kinds come from the vector classifier's wide index: each run of words
        sharing bits 31:10 has its key's kind, and the runs whose key is
        AMBIGUOUS are resolved word by word, as classify_array does. Words are
        counted per kind, by runs; the matched words (and the unallocated ones)
        get their kinds one by one.
        """
        base = index << CHUNK_BITS
        first = base >> WIDE_SHIFT
        per_key = vt.kind_index[first:first + runs]
        ambiguous = np.flatnonzero(per_key == AMBIGUOUS)
        words_of = np.bincount(per_key[per_key != AMBIGUOUS].astype(np.intp),
                               minlength=kind_count) * block
        if len(ambiguous):
            offsets = (ambiguous[:, None].astype(np.uint32) << np.uint32(WIDE_SHIFT) | run).ravel()
            picked = offsets | np.uint32(base)
            resolved = vt.resolve(picked, keys_of(picked), kinds=True)
            words_of += np.bincount(resolved.view(np.uint8), minlength=kind_count)
            slot = np.full(runs, -1, dtype=np.intp)
            slot[ambiguous] = np.arange(len(ambiguous))

        def kinds_at(offsets: npt.NDArray[np.intp]) -> KindCodes:
            """Kind codes of the chunk's words at ``offsets``."""
            key = offsets >> WIDE_SHIFT
            kind: KindCodes = per_key[key]
            if len(ambiguous):
                inside = np.flatnonzero(kind == AMBIGUOUS)
                kind[inside] = resolved[slot[key[inside]] * block
                                        + (offsets[inside] & (block - 1))]
            return kind

        match = tested(base, terms)
        if match is None:
            matched_of = no_match
        else:
            matched_of = np.bincount(kinds_at(np.flatnonzero(match)).view(np.uint8),
                                     minlength=kind_count)
        dont_words = dont_matched = 0
        if dont_care == NON_MEMORY:
            dont_words, dont_matched = int(words_of[other]), int(matched_of[other])
        elif dont_care != NONE:
            unallocated = tested(base, dont_care_cubes or [])  # set: dont_care is unallocated
            if unallocated is not None:  # often most of the chunk: every word's kind
                kind = np.repeat(per_key, block)
                if len(ambiguous):
                    kind[offsets] = resolved
                unallocated &= kind == other
                dont_words = int(np.count_nonzero(unallocated))
                if match is not None:
                    dont_matched = int(np.count_nonzero(unallocated & match))
        on_words, on_matched = int(words_of[on_codes].sum()), int(matched_of[on_codes].sum())
        all_matched = int(matched_of.sum())
        return np.array([on_words, on_matched, len(low) - on_words - dont_words,
                         all_matched - on_matched - dont_matched, dont_words, dont_matched],
                        dtype=np.int64)

    if chunks is None:  # a sub-range is for tests; its Proof never holds
        chunks = range(1 << (WORD_BITS - CHUNK_BITS))
    with ThreadPoolExecutor(threads or os.cpu_count() or 1) as pool:
        totals = sum(pool.map(chunk, chunks), np.zeros(6, dtype=np.int64))
    on_total, on_matched, off_total, off_matched, dont_total, dont_matched = (int(x) for x in totals)
    return Proof("numpy", on_total, on_matched, off_total, off_matched, dont_total, dont_matched,
                 time.perf_counter() - started, time.process_time() - cpu_started)


# ---- the C proof ------------------------------------------------------------

#: Key bits of the harness's three filtering levels (31:21, then 15:10, then 20:16).
_LEVELS = (0xFFE00000, 0xFFE0FC00, 0xFFFFFC00)

_HARNESS = r"""
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "predicate.h"

/* The table's rows, most specific first, then the rules for words of no row
 * (the last one matches every word): the first that matches labels the word. */
#define NROWS @NROWS@
static const uint32_t row_mask[NROWS] = { @MASKS@ };
static const uint32_t row_value[NROWS] = { @VALUES@ };
static const unsigned char row_label[NROWS] = { @LABELS@ };
static const uint32_t level_mask[3] = { @LEVELS@ };

struct share { unsigned long long count[6]; };
/* The next value of bits 31:21 to check, taken by whichever thread is free. */
static uint32_t next_top = @FIRST@;

/* Rows of `from` that can match a word agreeing with `key` on `mask`. */
static int filter(const unsigned short *from, int n, unsigned short *to, uint32_t key,
          uint32_t mask)
{
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (((key ^ row_value[from[i]]) & row_mask[from[i]] & mask) == 0)
            to[kept++] = from[i];
    return kept;
}

static void *run(void *arg)
{
    struct share *s = arg;
    static __thread unsigned short all[NROWS], c1[NROWS], c2[NROWS], c3[NROWS];
    unsigned long long count[6] = { 0 };
    for (int i = 0; i < NROWS; i++)
        all[i] = (unsigned short)i;
    for (;;) {
        uint32_t top = __atomic_fetch_add(&next_top, 1, __ATOMIC_RELAXED);  /* bits 31:21 */
        if (top >= @LAST@)
            break;
        uint32_t a = top << 21;
        int n1 = filter(all, NROWS, c1, a, level_mask[0]);
        for (uint32_t mid = 0; mid < 64; mid++) {              /* bits 15:10 */
            uint32_t b = a | mid << 10;
            int n2 = filter(c1, n1, c2, b, level_mask[1]);
            for (uint32_t rs = 0; rs < 32; rs++) {         /* bits 20:16 */
                uint32_t c = b | rs << 16;
                filter(c2, n2, c3, c, level_mask[2]);  /* ends with the catch-all rule */
                if ((row_mask[c3[0]] & 0x3ffu) == 0) {
                    /* The first candidate fixes no bit below 10: it labels the whole run. */
                    unsigned hits = 0;
                    for (uint32_t low = 0; low < 1024; low++)   /* bits 9:0 */
                        hits += @NAME@(c | low);
                    count[row_label[c3[0]] * 2 + 1] += hits;
                    count[row_label[c3[0]] * 2] += 1024 - hits;
                    continue;
                }
                for (uint32_t low = 0; low < 1024; low++) {   /* bits 9:0 */
                    uint32_t insn = c | low;
                    int i = 0;
                    while ((insn & row_mask[c3[i]]) != row_value[c3[i]])
                        i++;
                    count[row_label[c3[i]] * 2 + (@NAME@(insn) ? 1 : 0)]++;
                }
            }
        }
    }
    for (int i = 0; i < 6; i++)
        s->count[i] = count[i];
    return NULL;
}

int main(void)
{
    enum { THREADS = @THREADS@ };
    struct share shares[THREADS];
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        if (pthread_create(&threads[t], NULL, run, &shares[t]))
            return 1;
    }
    unsigned long long total[6] = { 0 };
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        for (int i = 0; i < 6; i++)
            total[i] += shares[t].count[i];
    }
    /* ON total, ON matched, OFF total, OFF matched, don't-care total, matched */
    printf("%llu %llu %llu %llu %llu %llu\n", total[2] + total[3], total[3], total[0] + total[1],
           total[1], total[4] + total[5], total[5]);
    return 0;
}
"""


def harness_rows(kinds: Collection[Kind], dont_care: str) -> list[tuple[int, int, int]]:
    """(mask, value, label) per table row, most specific first, then the no-row rules."""
    check_dont_care(dont_care)
    other = OFF if dont_care == NONE else DONT_CARE
    rows = [(r.mask, r.value, ON if r.kind in kinds else other if r.kind is Kind.OTHER else OFF)
            for r in default_table().rows]
    if dont_care == NON_MEMORY:
        rows.append((0, 0, DONT_CARE))
    elif dont_care == NONE:
        rows.append((0, 0, OFF))
    else:
        rows += [(m, v, DONT_CARE) for m, v in unallocated_without_row().cubes] + [(0, 0, OFF)]
    return rows


def compiler() -> str | None:
    """The C compiler the C proof uses ($CC, else cc), or None when there is none."""
    return shutil.which(os.environ.get("CC", "cc"))


def verify_c(c_source: str, name: str, kinds: Collection[Kind], dont_care: str, threads: int | None = None,
             tops: range | None = None) -> Proof | None:
    """Compile ``c_source`` (the ``c`` output defining ``name``) with the harness and run
    it over all 2**32 words (``tops``: only these values of bits 31:21, for tests);
    None when no C compiler is present."""
    cc = compiler()
    if cc is None:
        return None
    rows = harness_rows(kinds, dont_care)
    fill = {
        "NROWS": str(len(rows)),
        "MASKS": ", ".join(f"{m:#010x}" for m, _, _ in rows),
        "VALUES": ", ".join(f"{v:#010x}" for _, v, _ in rows),
        "LABELS": ", ".join(str(label) for _, _, label in rows),
        "LEVELS": ", ".join(f"{m:#010x}" for m in _LEVELS),
        "THREADS": str(threads or os.cpu_count() or 1),
        "NAME": name,
        "FIRST": str(tops.start if tops is not None else 0),
        "LAST": str(tops.stop if tops is not None else 1 << 11),
    }
    harness = _HARNESS
    for key, text in fill.items():
        harness = harness.replace(f"@{key}@", text)
    started, cpu_started = time.perf_counter(), _children_cpu()
    with tempfile.TemporaryDirectory(prefix="a64fault-proof-") as tmp:
        directory = Path(tmp)
        (directory / "predicate.h").write_text(c_source)
        (directory / "harness.c").write_text(harness)
        build = subprocess.run([cc, "-O2", "-pthread", "-o", str(directory / "harness"),
                                str(directory / "harness.c")], capture_output=True, text=True)
        if build.returncode:
            raise InputError(f"the C proof harness did not compile: "
                             f"{(build.stderr.strip().splitlines() or ['?'])[0]}")
        done = subprocess.run([str(directory / "harness")], capture_output=True, text=True)
        if done.returncode:
            raise InputError(f"the C proof harness failed (exit status {done.returncode})")
    on_total, on_matched, off_total, off_matched, dont_total, dont_matched = (
        int(x) for x in done.stdout.split())
    return Proof("C", on_total, on_matched, off_total, off_matched, dont_total, dont_matched,
                 time.perf_counter() - started, _children_cpu() - cpu_started)


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
