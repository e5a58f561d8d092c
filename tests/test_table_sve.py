"""classify() on the SVE and SME memory rows (SVE, SVE2, SVE2.1, F64MM, SME, SME2).

The expectations are the fixture specs' declarations (fixtures/specs/sve.py and
sme.py: form, kind and feature as the Arm ARM gives them, written by hand);
every word comes from LLVM's assembler, all in one run (tests/asm.py). The
UNALLOCATED holes and the sweep are checked against Capstone 6, a decoder
nobody on this project wrote.
"""

import random

import pytest

from a64fault import Kind, classify
from a64fault.patterns import default_table
from fixtures.specs import sme, sve
from tests.asm import assemble

CASES = list(sve.cases()) + list(sme.cases())

#: Scalar-plus-scalar forms whose Arm ARM decode says "if Rm == '11111' then
#: UNDEFINED": with Rm (bits 20:16) = 11111 the word is not that instruction.
RM_NOT_ZR = (
    "ld1b { z0.b }, p0/z, [x0, x1]",
    "ld1sw { z0.d }, p0/z, [x0, x1, lsl #2]",
    "ld1d { z0.d }, p0/z, [x0, x1, lsl #3]",
    "ld1rqb { z0.b }, p0/z, [x0, x1]",
    "ldnt1w { z0.s }, p0/z, [x0, x1, lsl #2]",
    "ld3h { z0.h, z1.h, z2.h }, p0/z, [x0, x1, lsl #1]",
    "ld1w { z0.q }, p0/z, [x0, x1, lsl #2]",
    "ld4q { z0.q, z1.q, z2.q, z3.q }, p0/z, [x0, x1, lsl #4]",
    "prfd pldl1keep, p0, [x0, x1, lsl #3]",
    "st1h { z0.s }, p0, [x0, x1, lsl #1]",
    "st1d { z0.q }, p0, [x0, x1, lsl #3]",
    "stnt1b { z0.b }, p0, [x0, x1]",
    "st2w { z0.s, z1.s }, p0, [x0, x1, lsl #2]",
    "st2q { z0.q, z1.q }, p0, [x0, x1, lsl #4]",
)
RM_FIELD_LSB = 16  # Rm is bits 20:16 in every SVE scalar-plus-scalar diagram

#: (asm, bytes accessed) where the encoding fixes it; None where VL decides.
SIZES = (
    ("ld1rb { z0.h }, p0/z, [x0, #63]", 1),
    ("ld1rsh { z0.d }, p0/z, [x0]", 2),
    ("ld1rsw { z0.d }, p0/z, [x0, #252]", 4),
    ("ld1rd { z0.d }, p0/z, [x0]", 8),
    ("ld1rqw { z0.s }, p0/z, [x0, #16]", 16),
    ("ldr zt0, [x0]", 64),
    ("str zt0, [x0]", 64),
    ("ld1b { z0.b }, p0/z, [x0, x1]", None),
    ("st4d { z0.d, z1.d, z2.d, z3.d }, p0, [x0]", None),
    ("ldr z0, [x0]", None),
    ("ld1b {za0h.b[w12, 0]}, p0/z, [x0]", None),
)


@pytest.fixture(scope="module")
def words():
    lines = [c[0] for c in CASES] + list(RM_NOT_ZR) + [s[0] for s in SIZES]
    return dict(zip(lines, assemble(*lines)))


def test_every_case_classifies_as_declared(words):
    wrong = []
    for asm, form, kind, feature in CASES:
        got = classify(words[asm])
        if (got.form, got.kind.value, got.feature, got.writes) != (form, kind, feature, kind == "store"):
            wrong.append(f"{asm}: {words[asm]:08x} -> {got.form}/{got.kind}/{got.feature}, "
                         f"declared {form}/{kind}/{feature}")
    assert not wrong, "\n".join(wrong)


def test_cases_cover_every_sve_and_sme_form():
    features = {"SVE", "SVE2", "SVE2p1", "F64MM", "SME", "SME2", "SME2p1"}
    table_forms = {r.form for r in default_table().rows
                   if r.feature in features and r.kind is not Kind.OTHER}
    covered = {c[1] for c in CASES}
    assert table_forms - covered == set()
    assert len(table_forms) > 250


def test_rm_zr_holes_are_not_memory(words):
    from capstone import CS_ARCH_AARCH64, CS_MODE_ARM, Cs

    md = Cs(CS_ARCH_AARCH64, CS_MODE_ARM)
    for asm in RM_NOT_ZR:
        good = words[asm]
        assert classify(good).kind in (Kind.LOAD, Kind.STORE, Kind.PREFETCH)
        hole = good | 0b11111 << RM_FIELD_LSB
        assert not list(md.disasm_lite(hole.to_bytes(4, "little"), 0)), asm  # independent oracle
        got = classify(hole)
        assert (got.kind, got.form) == (Kind.OTHER, "UNALLOCATED"), f"{asm}: {hole:08x}"


@pytest.mark.parametrize("asm, size", SIZES)
def test_access_size(words, asm, size):
    assert classify(words[asm]).size == size


#: bits 31:25 of the SVE memory groups and the SME memory / multi-vector groups.
SWEEP_PREFIXES = ("1000010", "1010010", "1100010", "1110010", "1110000", "1010000")


def test_sweep_agrees_with_capstone():
    """Bits 24:13 exhaustively (the opcode bits of these groups, Rm/imm included)
    with random low bits: memory or not, and load/store/prefetch, as Capstone 6."""
    from capstone import CS_ARCH_AARCH64, CS_MODE_ARM, Cs

    md = Cs(CS_ARCH_AARCH64, CS_MODE_ARM)
    rng = random.Random(7)
    disagreements = []
    for prefix in SWEEP_PREFIXES:
        for middle in range(1 << 12):
            word = int(prefix, 2) << 25 | middle << 13 | rng.getrandbits(13)
            decoded = list(md.disasm_lite(word.to_bytes(4, "little"), 0))
            mnemonic = decoded[0][2] if decoded else ""
            theirs = ("prefetch" if mnemonic.startswith("prf") else "load" if mnemonic.startswith("ld")
                      else "store" if mnemonic.startswith("st") else "other")
            ours = classify(word).kind.value
            if ours != theirs:
                disagreements.append(f"{word:08x}: ours {ours}, Capstone {mnemonic or '-'}")
    assert not disagreements, "\n".join(disagreements[:20])
