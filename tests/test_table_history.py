"""The table before field constraints against the table now, over all 2**32 words.

The old table is read from git history (the last commit before the
``Rt!=11111`` notation replaced the hand-written UNALLOCATED rows); both are
compiled and swept with classify_array. The notation itself changes no
word's kind; every difference must be one of DELIBERATE: a register rule
the Arm ARM's decode pseudocode makes UNDEFINED, so the word is now
``other`` (see the comments at those rows in a64.patterns).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from a64fault import vector
from a64fault.kinds import KIND_CODES, Kind
from a64fault.patterns import Table, default_table, read_rows

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: main just before the field-constraint notation.
BEFORE = "33f6965b8bc57f4eae01f87c2684edbca49d07b0"
CHUNK = 1 << 24
OTHER = KIND_CODES[Kind.OTHER]

#: (forms of the old table, field lsb, field width, excluded patterns): words the
#: old table gave one of these forms and whose field matches a pattern are now other.
LS64 = ("LD64B", "ST64B", "ST64BV", "ST64BV0")
#: The 128-bit pair atomics: LSE128 and FEAT_THE read-check-write pairs.
PAIRS_128 = ("LDCLRP", "LDSETP", "SWPP", "RCWCLRP", "RCWSWPP", "RCWSETP",
             "RCWSCLRP", "RCWSSWPP", "RCWSSETP")
DELIBERATE: list[tuple[tuple[str, ...], int, int, tuple[str, ...]]] = [
    (LS64, 0, 5, ("11xxx", "xxxx1")),          # Rt<4:3> == 11 or Rt<0> == 1: UNDEFINED (Arm ARM C6.2)
    (PAIRS_128, 0, 5, ("11111",)),             # t == 31: UNDEFINED (Arm ARM C6.2)
    (PAIRS_128, 16, 5, ("11111",)),            # t2 == 31: UNDEFINED (Arm ARM C6.2)
]


def _old_table() -> Table:
    if shutil.which("git") is None:
        pytest.skip("needs git to read the old table from history")
    done = subprocess.run(["git", "show", f"{BEFORE}:a64fault/patterns/a64.patterns"],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"commit {BEFORE[:12]} not in this clone's history ({done.stderr.strip()})")
    return Table(read_rows(done.stdout))


def _matches(words: np.ndarray, lsb: int, width: int, pattern: str) -> np.ndarray:
    field = (words >> np.uint32(lsb)) & np.uint32((1 << width) - 1)
    mask = int("".join("0" if c == "x" else "1" for c in pattern), 2)
    value = int(pattern.replace("x", "0"), 2)
    return (field & np.uint32(mask)) == np.uint32(value)


def test_every_word_keeps_its_kind_but_the_deliberate_register_rules():
    old, new = _old_table(), default_table()
    form_code = {form: code for code, form in enumerate(old.forms)}
    changes = [(np.array([form_code[f] for f in forms]), lsb, width, patterns)
               for forms, lsb, width, patterns in DELIBERATE]
    old_rows = np.empty(CHUNK, dtype=np.int16)
    new_kinds = np.empty(CHUNK, dtype=np.int8)
    offsets = np.arange(CHUNK, dtype=np.uint32)
    words = np.empty(CHUNK, dtype=np.uint32)
    differing = 0
    per_change = [0] * len(changes)
    for start in range(0, 1 << 32, CHUNK):
        np.add(offsets, np.uint32(start), out=words)
        vector.classify_rows(words, old, out=old_rows)
        vector.classify_array(words, new, out=new_kinds)
        old_kinds = vector.kinds_of_rows(old_rows, old)
        expected = np.zeros(CHUNK, dtype=bool)
        if changes:
            forms = vector.forms_of_rows(old_rows, old)
            for number, (codes, lsb, width, patterns) in enumerate(changes):
                hit = np.isin(forms, codes) & np.logical_or.reduce(
                    [_matches(words, lsb, width, p) for p in patterns])
                per_change[number] += int(hit.sum())
                expected |= hit
        changed = old_kinds != new_kinds
        wrong = np.flatnonzero(changed ^ expected)[:5] + start
        assert not len(wrong), f"unexpected kind changes at {[hex(w) for w in wrong]}"
        assert (new_kinds[changed] == OTHER).all()
        differing += int(changed.sum())
    assert all(per_change), per_change  # every deliberate change changed something
    print(f"{differing} words changed kind: {per_change}")
