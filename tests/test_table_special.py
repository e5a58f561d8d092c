"""classify() on the AdvSIMD structure, MTE, MOPS, GCS and DC/IC rows, and their neighbours.

Each expectation is what the Arm ARM says the instruction does (form, kind,
feature, bytes accessed), written by hand; every word comes from LLVM's
assembler (tests/asm.py), all in one assembler run.
"""

import struct

import pytest

from a64fault import Kind, classify
from tests.asm import assemble

L, S, LS, CAS, CM, O = (Kind.LOAD, Kind.STORE, Kind.LOAD_STORE, Kind.COMPARE_AND_SWAP,
                        Kind.CACHE_MAINTENANCE, Kind.OTHER)
#: docs/design.md, "Kinds": kinds whose execution writes memory.
WRITING = {Kind.ATOMIC_RMW, Kind.COMPARE_AND_SWAP, Kind.STORE_EXCLUSIVE, Kind.STORE, Kind.LOAD_STORE}

# asm line -> (form, kind, feature, bytes accessed or None where the encoding does not fix it)
EXPECTED = {
    # AdvSIMD multiple structures: registers x 8 (64-bit) or x 16 (128-bit)
    "ld1 { v0.8b }, [x0]": ("LD1 (multiple structures)", L, None, 8),
    "ld1 { v0.16b, v1.16b }, [sp], #32": ("LD1 (multiple structures)", L, None, 32),
    "ld1 { v0.2s, v1.2s, v2.2s }, [x1], x2": ("LD1 (multiple structures)", L, None, 24),
    "ld1 { v30.2d, v31.2d, v0.2d, v1.2d }, [x1]": ("LD1 (multiple structures)", L, None, 64),
    "ld1 { v3.1d }, [x1], #8": ("LD1 (multiple structures)", L, None, 8),
    "ld2 { v0.4s, v1.4s }, [x0]": ("LD2 (multiple structures)", L, None, 32),
    "ld3 { v0.8h, v1.8h, v2.8h }, [x0], #48": ("LD3 (multiple structures)", L, None, 48),
    "ld4 { v0.8b, v1.8b, v2.8b, v3.8b }, [x0], x5": ("LD4 (multiple structures)", L, None, 32),
    "st1 { v0.4h }, [x0]": ("ST1 (multiple structures)", S, None, 8),
    "st1 { v0.4s, v1.4s, v2.4s, v3.4s }, [x9], #64": ("ST1 (multiple structures)", S, None, 64),
    "st2 { v0.2d, v1.2d }, [x0], x1": ("ST2 (multiple structures)", S, None, 32),
    "st3 { v0.2s, v1.2s, v2.2s }, [sp]": ("ST3 (multiple structures)", S, None, 24),
    "st4 { v0.16b, v1.16b, v2.16b, v3.16b }, [x0]": ("ST4 (multiple structures)", S, None, 64),
    # single structure: selem x element size
    "ld1 { v0.b }[15], [x0]": ("LD1 (single structure)", L, None, 1),
    "ld2 { v0.h, v1.h }[7], [x0], #4": ("LD2 (single structure)", L, None, 4),
    "ld3 { v0.s, v1.s, v2.s }[3], [x0], x2": ("LD3 (single structure)", L, None, 12),
    "ld4 { v0.d, v1.d, v2.d, v3.d }[1], [sp]": ("LD4 (single structure)", L, None, 32),
    "st1 { v0.d }[0], [x0], #8": ("ST1 (single structure)", S, None, 8),
    "st2 { v0.s, v1.s }[1], [x0]": ("ST2 (single structure)", S, None, 8),
    "st3 { v0.b, v1.b, v2.b }[9], [x0], x3": ("ST3 (single structure)", S, None, 3),
    "st4 { v0.h, v1.h, v2.h, v3.h }[5], [x0]": ("ST4 (single structure)", S, None, 8),
    # load and replicate: selem << size
    "ld1r { v0.4s }, [x0]": ("LD1R", L, None, 4),
    "ld2r { v0.8b, v1.8b }, [x0], #2": ("LD2R", L, None, 2),
    "ld3r { v0.2d, v1.2d, v2.2d }, [x0], x4": ("LD3R", L, None, 24),
    "ld4r { v0.4h, v1.4h, v2.4h, v3.4h }, [sp]": ("LD4R", L, None, 8),
    # MTE
    "stg x1, [x2, #-4096]": ("STG", S, "MTE", 16),
    "stg sp, [x2], #16": ("STG", S, "MTE", 16),
    "stzg x1, [sp, #32]!": ("STZG", S, "MTE", 16),
    "st2g x1, [x2]": ("ST2G", S, "MTE", 32),
    "stz2g x1, [x2], #-16": ("STZ2G", S, "MTE", 32),
    "stgp x1, x2, [x3, #1008]": ("STGP", S, "MTE", 16),
    "stgp x1, x2, [sp], #-1024": ("STGP", S, "MTE", 16),
    "stgp x1, x2, [x3, #16]!": ("STGP", S, "MTE", 16),
    "ldg x1, [x2, #4080]": ("LDG", L, "MTE", 16),
    "ldgm x1, [x2]": ("LDGM", L, "MTE2", None),
    "stgm x1, [x2]": ("STGM", S, "MTE2", None),
    "stzgm xzr, [sp]": ("STZGM", S, "MTE2", None),
    # MOPS
    "cpyfp [x0]!, [x1]!, x2!": ("CPYFP", LS, "MOPS", None),
    "cpyfmwtrn [x0]!, [x1]!, x2!": ("CPYFM", LS, "MOPS", None),
    "cpyfetn [x0]!, [x1]!, x2!": ("CPYFE", LS, "MOPS", None),
    "cpyprt [x3]!, [x4]!, x5!": ("CPYP", LS, "MOPS", None),
    "cpymn [x0]!, [x1]!, x2!": ("CPYM", LS, "MOPS", None),
    "cpyewn [x0]!, [x1]!, x2!": ("CPYE", LS, "MOPS", None),
    "setp [x0]!, x1!, x2": ("SETP", S, "MOPS", None),
    "setmt [x0]!, x1!, xzr": ("SETM", S, "MOPS", None),
    "seten [x0]!, x1!, x2": ("SETE", S, "MOPS", None),
    "setgptn [x0]!, x1!, x2": ("SETGP", S, "MOPS", None),
    "setgm [x0]!, x1!, x2": ("SETGM", S, "MOPS", None),
    "setge [x0]!, x1!, x2": ("SETGE", S, "MOPS", None),
    # GCS
    "gcsstr x1, [x2]": ("GCSSTR", S, "GCS", 8),
    "gcssttr xzr, [sp]": ("GCSSTTR", S, "GCS", 8),
    "gcspushm x3": ("GCSPUSHM", S, "GCS", 8),
    "gcspopm x3": ("GCSPOPM", L, "GCS", 8),
    "gcsss1 x4": ("GCSSS1", CAS, "GCS", 8),
    "gcsss2 x4": ("GCSSS2", LS, "GCS", 8),
    "gcspushx": ("GCSPUSHX", S, "GCS", 32),
    "gcspopcx": ("GCSPOPCX", L, "GCS", 32),
    "gcspopx": ("GCSPOPX", L, "GCS", 32),
    # DC / IC: ZVA-style ops are stores, the rest cache maintenance
    "dc zva, x1": ("DC ZVA", S, None, None),
    "dc gva, x1": ("DC GVA", S, "MTE", None),
    "dc gzva, xzr": ("DC GZVA", S, "MTE", None),
    "sys #3, c7, c4, #7, x1": ("DC GBVA", S, "MTETC", None),
    "sys #3, c7, c4, #5, x1": ("DC ZGBVA", S, "MTETC", None),
    "dc civac, x1": ("DC CIVAC", CM, None, None),
    "dc cvau, x1": ("DC CVAU", CM, None, None),
    "dc ivac, x1": ("DC IVAC", CM, None, None),
    "dc cisw, x1": ("DC CISW", CM, None, None),
    "dc cvap, x1": ("DC CVAP", CM, "DPB", None),
    "dc cvadp, x1": ("DC CVADP", CM, "DPB2", None),
    "dc cgdvadp, x1": ("DC CGDVADP", CM, "MTE", None),
    "dc igdsw, x1": ("DC IGDSW", CM, "MTE2", None),
    "dc cigdpae, x1": ("DC CIGDPAE", CM, "MEC", None),
    "dc cipapa, x1": ("DC CIPAPA", CM, "RME", None),
    "dc civaoc, x1": ("DC CIVAOC", CM, "OCCMO", None),
    "sys #0, c7, c15, #1, x1": ("DC CIVAPS", CM, "PoPS", None),
    "dc isw, x2": ("DC ISW", CM, None, None),
    "dc csw, x2": ("DC CSW", CM, None, None),
    "dc cvac, x2": ("DC CVAC", CM, None, None),
    "dc igvac, x2": ("DC IGVAC", CM, 'MTE2', None),
    "dc igsw, x2": ("DC IGSW", CM, 'MTE2', None),
    "dc igdvac, x2": ("DC IGDVAC", CM, 'MTE2', None),
    "dc cgsw, x2": ("DC CGSW", CM, 'MTE2', None),
    "dc cgdsw, x2": ("DC CGDSW", CM, 'MTE2', None),
    "dc cigsw, x2": ("DC CIGSW", CM, 'MTE2', None),
    "dc cigdsw, x2": ("DC CIGDSW", CM, 'MTE2', None),
    "dc cgvac, x2": ("DC CGVAC", CM, 'MTE', None),
    "dc cgdvac, x2": ("DC CGDVAC", CM, 'MTE', None),
    "dc cgvap, x2": ("DC CGVAP", CM, 'MTE', None),
    "dc cgdvap, x2": ("DC CGDVAP", CM, 'MTE', None),
    "dc cgvadp, x2": ("DC CGVADP", CM, 'MTE', None),
    "dc cigvac, x2": ("DC CIGVAC", CM, 'MTE', None),
    "dc cigdvac, x2": ("DC CIGDVAC", CM, 'MTE', None),
    "dc cipae, x2": ("DC CIPAE", CM, 'MEC', None),
    "dc cigdpapa, x2": ("DC CIGDPAPA", CM, 'RME', None),
    "dc cvaoc, x2": ("DC CVAOC", CM, 'OCCMO', None),
    "dc cgdvaoc, x2": ("DC CGDVAOC", CM, 'OCCMO', None),
    "dc cigdvaoc, x2": ("DC CIGDVAOC", CM, 'OCCMO', None),
    "sys #0, c7, c15, #5, x2": ("DC CIGDVAPS", CM, "PoPS", None),
    "ic ivau, x1": ("IC IVAU", CM, None, None),
    "ic iallu": ("IC IALLU", CM, None, None),
    "ic ialluis": ("IC IALLUIS", CM, None, None),
    # neighbours that access no data memory
    "setf8 w1": (None, O, None, None),
    "setf16 w1": (None, O, None, None),
    "rmif x1, #3, #5": (None, O, None, None),
    "tlbi vae1, x1": (None, O, None, None),
    "at s1e1r, x0": (None, O, None, None),
    "sys #3, c7, c4, #2, x1": (None, O, None, None),
    "sys #3, c7, c7, #4, x1": (None, O, None, None),
    "sysl x0, #3, c7, c7, #0": (None, O, None, None),
    "sysp #0, c2, c0, #0, x0, x1": (None, O, None, None),
    "nop": (None, O, None, None),
    "dmb ish": (None, O, None, None),
    "msr tpidr_el0, x1": (None, O, None, None),
    "irg x0, x1": (None, O, None, None),
    "add v0.4s, v1.4s, v2.4s": (None, O, None, None),
}

#: CONSTRAINED UNPREDICTABLE words (Rt should be 11111): executed as the instruction.
SHOULD_BE = {
    "sys #0, c7, c7, #4, x1": "GCSPUSHX",
    "sys #0, c7, c7, #6, x2": "GCSPOPX",
    "sys #0, c7, c5, #0, x3": "IC IALLU",
}

LINES = tuple(EXPECTED) + tuple(SHOULD_BE) + ("ld2 { v0.2d, v1.2d }, [x0]",)


@pytest.fixture(scope="module")
def words():
    return dict(zip(LINES, assemble(*LINES)))


@pytest.mark.parametrize("line", list(EXPECTED))
def test_classify(words, line):
    form, kind, feature, size = EXPECTED[line]
    c = classify(words[line])
    assert (c.form, c.kind, c.feature, c.size) == (form, kind, feature, size)
    assert c.writes is (kind in WRITING)
    assert c.should_be_ok


@pytest.mark.parametrize("line", list(SHOULD_BE))
def test_should_be_bits_still_classify(words, line):
    c = classify(words[line])
    assert c.form == SHOULD_BE[line]
    assert not c.should_be_ok


def test_reserved_1d_arrangement_is_unallocated(words):
    """LD2 with size:Q = 110 (.1d) is reserved: Capstone cannot decode it and it is not a load."""
    from capstone import CS_ARCH_AARCH64, CS_MODE_ARM, Cs

    q_bit = 1 << 30  # Q, bit 30 of the AdvSIMD load/store diagrams
    word = words["ld2 { v0.2d, v1.2d }, [x0]"] & ~q_bit
    assert classify(words["ld2 { v0.2d, v1.2d }, [x0]"]).kind is L
    assert not list(Cs(CS_ARCH_AARCH64, CS_MODE_ARM).disasm_lite(struct.pack("<I", word), 0))
    c = classify(word)
    assert c.kind is O and not c.writes
