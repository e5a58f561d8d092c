"""Opcode sweep of the load/store encoding space against Capstone 6.

Words: every combination of bits 31:21 and 15:10 whose op0 (bits 28:25) is
the Arm ARM's ``x1x0`` (Loads and Stores), each with (a) sampled Rs, Rn, Rt,
(b) Rs = 11111 and (c) Rs = Rt = 11111 (Rt2, bits 14:10, is already swept).
For each word the table's verdict (memory or not; load, store,
read-modify-write, prefetch or load-store) is compared with Capstone's
decode. Every disagreement must match an entry of sweep_allowlist.txt, and
every entry must still match a disagreement.

Allowlist line: ``TABLE FORM | CAPSTONE | BITS | REASON`` where TABLE FORM is a
glob on the table's form (``-``: no row), CAPSTONE a glob on Capstone's
mnemonic (``-``: cannot decode), BITS 32 characters of 0/1/x for bits 31..0
(spaces ignored) or ``*``, REASON one line.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np
import pytest

from a64fault.patterns import default_table
from a64fault.vector import classify_rows

capstone = pytest.importorskip("capstone")

ALLOWLIST = Path(__file__).with_name("sweep_allowlist.txt")
#: Arm ARM, A64 top-level encodings: op0 (bits 28:25) = x1x0 is Loads and Stores.
OP0 = (28, 25, "x1x0")
KEY_RANGES = ((31, 21), (15, 10))
RS, RN, RT = (20, 16), (9, 5), (4, 0)
SEED = 20240601

#: Table kind -> direction class.
KIND_CLASS = {
    "atomic-rmw": "rmw", "compare-and-swap": "rmw", "load-exclusive": "load",
    "store-exclusive": "store", "load": "load", "store": "store", "load-store": "load-store",
    "prefetch": "prefetch", "cache-maintenance": "cache", "other": None,
}
#: Capstone mnemonic -> direction class, first match wins (regexes, full match).
MNEMONIC_CLASS = (
    (r"prfu?m|rprfm", "prefetch"),
    (r"(ld|st)(add|clr|eor|set|smax|smin|umax|umin)(a|l|al)?[bh]?", "rmw"),
    (r"swp(a|l|al)?[bh]?|swpp(a|l|al)?|(ldclr|ldset)p(a|l|al)?", "rmw"),
    (r"casp?(a|l|al)?[bh]?|rcws?\w+", "rmw"),
    (r"cpy\w*", "load-store"),
    (r"set(p|m|e|gp|gm|ge)\w*", "store"),
    (r"ld\w+", "load"),
    (r"st\w+|gcsstt?r", "store"),
)
_MNEMONIC_CLASS = [(re.compile(p), c) for p, c in MNEMONIC_CLASS]
#: Memory instructions Capstone prints without brackets: PC-relative (literal)
#: loads, and GCSSTR/GCSSTTR ("gcsstr x24, x11").
NO_BRACKETS = {"ldr", "ldrsw", "prfm", "gcsstr", "gcssttr"}


def field_bits(hi: int, lo: int, pattern: str) -> tuple[int, int]:
    """(mask, value) of a field pattern of 0/1/x written from bit hi down to bit lo."""
    assert len(pattern) == hi - lo + 1
    mask = value = 0
    for offset, ch in enumerate(pattern):
        bit = 1 << (hi - offset)
        if ch != "x":
            mask |= bit
            value |= bit if ch == "1" else 0
    return mask, value


def field_ones(hi: int, lo: int) -> int:
    return field_bits(hi, lo, "1" * (hi - lo + 1))[0]


def sweep_words() -> np.ndarray:
    """The swept words (uint32), computed from the field definitions above."""
    key_bits = [b for hi, lo in KEY_RANGES for b in range(hi, lo - 1, -1)]
    op0_mask, op0_value = field_bits(*OP0)
    free = [b for b in key_bits if not op0_mask >> b & 1]
    counter = np.arange(1 << len(free), dtype=np.uint64)
    base = np.full(len(counter), op0_value, dtype=np.uint64)
    for i, bit in enumerate(free):
        base |= ((counter >> np.uint64(i)) & np.uint64(1)) << np.uint64(bit)
    rng = np.random.default_rng(SEED)

    def sampled(hi_lo):
        hi, lo = hi_lo
        return rng.integers(0, 1 << (hi - lo + 1), len(base), dtype=np.uint64) << np.uint64(lo)

    rs_ones, rt_ones = np.uint64(field_ones(*RS)), np.uint64(field_ones(*RT))
    a = base | sampled(RS) | sampled(RN) | sampled(RT)
    b = base | rs_ones | sampled(RN) | sampled(RT)
    c = base | rs_ones | sampled(RN) | rt_ones
    return np.concatenate([a, b, c]).astype(np.uint32)


def capstone_verdicts(words: np.ndarray) -> list[tuple[str | None, str | None]]:
    """(mnemonic or None if undecodable, class or None if no memory access) per word."""
    md = capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
    md.skipdata = True
    out = []
    for _, size, mnemonic, operands in md.disasm_lite(words.astype("<u4").tobytes(), 0):
        assert size == 4
        if mnemonic == ".byte":
            out.append((None, None))
            continue
        memory = "[" in operands or mnemonic in NO_BRACKETS
        if not memory:
            out.append((mnemonic, None))
            continue
        cls = next((c for p, c in _MNEMONIC_CLASS if p.fullmatch(mnemonic)), "unknown")
        out.append((mnemonic, cls))
    assert len(out) == len(words)
    return out


@dataclass(frozen=True)
class Entry:
    form: str
    mnemonic: str
    mask: int
    value: int
    reason: str
    line: int

    def matches(self, word: int, form: str, mnemonic: str) -> bool:
        return (fnmatchcase(form, self.form) and fnmatchcase(mnemonic, self.mnemonic)
                and word & self.mask == self.value)


def read_allowlist(path: Path = ALLOWLIST) -> list[Entry]:
    entries = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        columns = [c.strip() for c in text.split("|")]
        assert len(columns) == 4, f"{path.name}:{number}: expected 4 '|' columns"
        form, mnemonic, bits, reason = columns
        assert reason, f"{path.name}:{number}: every entry needs a reason"
        bits = "x" * 32 if bits == "*" else bits.replace(" ", "")
        assert re.fullmatch(r"[01x]{32}", bits), f"{path.name}:{number}: bad BITS {bits!r}"
        mask, value = field_bits(31, 0, bits)
        entries.append(Entry(form, mnemonic, mask, value, reason, number))
    return entries


def disagreements(words: np.ndarray):
    """(word, table form or '-', table class, Capstone mnemonic or '-', Capstone class) per disagreement."""
    table = default_table()
    rows = classify_rows(words).tolist()
    found = []
    for word, code, (mnemonic, cls) in zip(words.tolist(), rows, capstone_verdicts(words)):
        row = table.rows[code] if code >= 0 else None
        ours = KIND_CLASS[row.kind.value] if row is not None else None
        if ours != cls:
            found.append((word, row.form if row else "-", ours, mnemonic or "-", cls))
    return found


def test_sweep_size():
    words = sweep_words()
    op0_mask, op0_value = field_bits(*OP0)
    assert len(words) == 3 * (1 << 15)
    assert np.all(words & np.uint32(op0_mask) == np.uint32(op0_value))
    assert len(np.unique(words)) > 0.99 * len(words)


def test_every_disagreement_with_capstone_is_allowlisted():
    words = sweep_words()
    entries = read_allowlist()
    used, unlisted = Counter(), Counter()
    examples = {}
    for word, form, ours, mnemonic, theirs in disagreements(words):
        entry = next((e for e in entries if e.matches(word, form, mnemonic)), None)
        if entry is None:
            group = (form, ours, mnemonic, theirs)
            unlisted[group] += 1
            examples.setdefault(group, word)
        else:
            used[entry.line] += 1
    print(f"\nsweep: {len(words)} words, {sum(used.values())} allowlisted disagreements "
          f"in {len(entries)} entries")
    assert not unlisted, f"{sum(unlisted.values())} disagreements not in {ALLOWLIST.name}:\n" + "\n".join(
        f"table {form} ({ours}) vs Capstone {mnemonic} ({theirs}): {n} words, e.g. {examples[g]:08x}"
        for g, n in sorted(unlisted.items(), key=lambda item: -item[1])[:80]
        for form, ours, mnemonic, theirs in [g]
    )
    stale = [f"line {e.line}: {e.form} | {e.mnemonic}" for e in entries if not used[e.line]]
    assert not stale, (f"{ALLOWLIST.name} entries that match no disagreement (remove them):\n"
                       + "\n".join(stale))
