"""CONSTRAINED UNPREDICTABLE register rules of the table's sixth column.

For each rule: a word LLVM assembles as the legal neighbour, and the word that
breaks the rule. Where LLVM assembles the rule-breaking word itself, it is
used as is; where LLVM refuses it ("writeback base is also a destination",
"status is also a source"), it is built from the neighbour by changing one
register field with the table's Field.insert, and Capstone's disassembly of
the built word, written here by hand, checks independently that it is the
intended instruction. Kinds never change: a CU word keeps its form.
The rules are the Arm ARM's decode pseudocode (comments in a64.patterns).
"""

import itertools

import capstone
import pytest

from a64fault import classify
from tests.asm import assemble

_CS = capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)


def disassembly(word: int) -> str:
    return " ".join(f"{i.mnemonic} {i.op_str}" for i in _CS.disasm(word.to_bytes(4, "little"), 0))


def changed(word: int, field: str, value: int) -> int:
    return classify(word).row.fields[field].insert(word, value)


# legal line (LLVM), form, field changed, new value, Capstone's text of the result
BUILT = [
    # single register, writeback: wback && n == t && n != 31
    ("ldr x1, [x2], #8", "LDR (immediate)", "Rt", 2, "ldr x2, [x2], #8"),
    ("ldr w1, [x2, #4]!", "LDR (immediate)", "Rn", 1, "ldr w1, [x1, #4]!"),
    ("str x1, [x2], #8", "STR (immediate)", "Rt", 2, "str x2, [x2], #8"),
    ("strb w1, [x2, #1]!", "STRB (immediate)", "Rt", 2, "strb w2, [x2, #1]!"),
    ("strh w1, [x2], #2", "STRH (immediate)", "Rt", 2, "strh w2, [x2], #2"),
    ("ldrb w1, [x2], #1", "LDRB (immediate)", "Rt", 2, "ldrb w2, [x2], #1"),
    ("ldrh w1, [x2, #2]!", "LDRH (immediate)", "Rt", 2, "ldrh w2, [x2, #2]!"),
    ("ldrsb x1, [x2], #1", "LDRSB (immediate)", "Rt", 2, "ldrsb x2, [x2], #1"),
    ("ldrsh w1, [x2, #2]!", "LDRSH (immediate)", "Rt", 2, "ldrsh w2, [x2, #2]!"),
    ("ldrsw x1, [x2], #4", "LDRSW (immediate)", "Rt", 2, "ldrsw x2, [x2], #4"),
    ("ldraa x1, [x2, #8]!", "LDRAA", "Rt", 2, "ldraa x2, [x2, #8]!"),
    ("ldrab x1, [x2, #8]!", "LDRAB", "Rt", 2, "ldrab x2, [x2, #8]!"),
    # pairs, writeback: wback && (t == n || t2 == n) && n != 31
    ("ldp x1, x3, [x2], #16", "LDP", "Rt", 2, "ldp x2, x3, [x2], #0x10"),
    ("ldp w1, w3, [x2, #8]!", "LDP", "Rt2", 2, "ldp w1, w2, [x2, #8]!"),
    ("ldpsw x1, x3, [x2], #8", "LDPSW", "Rt2", 2, "ldpsw x1, x2, [x2], #8"),
    ("stp x1, x3, [x2, #16]!", "STP", "Rt", 2, "stp x2, x3, [x2, #0x10]!"),
    ("stp w1, w3, [x2], #8", "STP", "Rt2", 2, "stp w1, w2, [x2], #8"),
    # store-exclusives: s == t (pair: or s == t2), s == n && n != 31
    ("stxr w2, x0, [x1]", "STXR", "Rs", 0, "stxr w0, x0, [x1]"),
    ("stxr w2, x0, [x1]", "STXR", "Rs", 1, "stxr w1, x0, [x1]"),
    ("stlxrb w2, w4, [x3]", "STLXR", "Rs", 4, "stlxrb w4, w4, [x3]"),
    ("stlxrb w2, w4, [x3]", "STLXR", "Rs", 3, "stlxrb w3, w4, [x3]"),
    ("stxp w3, x0, x2, [x1]", "STXP", "Rs", 2, "stxp w2, x0, x2, [x1]"),
    ("stlxp w3, x0, x2, [x1]", "STLXP", "Rs", 1, "stlxp w1, x0, x2, [x1]"),
]


@pytest.mark.parametrize("legal,form,field,value,text", BUILT)
def test_rule_breaking_word_built_from_a_legal_neighbour_is_flagged(legal, form, field, value, text):
    word = assemble(legal)[0]
    neighbour = classify(word)
    assert (neighbour.form, neighbour.unpredictable) == (form, False)
    breaking = changed(word, field, value)
    assert disassembly(breaking) == text  # Capstone: the intended instruction
    got = classify(breaking)
    assert (got.form, got.kind, got.should_be_ok, got.unpredictable) == (form, neighbour.kind, True, True)


# rule-breaking line LLVM assembles, its legal neighbour, form
ASSEMBLED = [
    ("ldapr w0, [x0], #4", "ldapr w0, [x1], #4", "LDAPR (post-index)"),
    ("stlr x0, [x0, #-8]!", "stlr x0, [x1, #-8]!", "STLR (pre-index)"),
    ("ldiapp w0, w1, [x0], #8", "ldiapp w0, w1, [x2], #8", "LDIAPP"),
    ("ldiapp x2, x1, [x1], #16", "ldiapp x2, x3, [x1], #16", "LDIAPP"),
    ("ldiapp w0, w0, [x1]", "ldiapp w0, w2, [x1]", "LDIAPP"),
    ("stilp w0, w1, [x0, #-8]!", "stilp w0, w1, [x2, #-8]!", "STILP"),
    ("stilp x0, x1, [x1, #-16]!", "stilp x0, x1, [x2, #-16]!", "STILP"),
    ("ldtp x0, x1, [x0], #16", "ldtp x0, x1, [x2], #16", "LDTP"),
    ("sttp x0, x1, [x1, #16]!", "sttp x0, x1, [x2, #16]!", "STTP"),
    ("stltxr w0, x0, [x1]", "stltxr w2, x0, [x1]", "STLTXR"),
    ("sttxr w1, x0, [x1]", "sttxr w2, x0, [x1]", "STTXR"),
]


@pytest.mark.parametrize("breaking,legal,form", ASSEMBLED)
def test_rule_breaking_word_llvm_assembles_is_flagged(breaking, legal, form):
    bad, good = (classify(w) for w in assemble(breaking, legal))
    assert (good.form, good.unpredictable) == (form, False)
    assert (bad.form, bad.kind, bad.unpredictable) == (form, good.kind, True)


# same registers, but the rule's other condition does not hold: not flagged
NOT_FLAGGED = [
    "ldr xzr, [sp], #8",           # n == 31 (SP): writeback cannot overlap XZR
    "ldp x2, x3, [x2, #16]",       # signed offset: no writeback
    "ldraa x0, [x0, #8]",          # W == 0: no writeback
    "ldiapp w0, w1, [x0]",         # opc2<0> == 1: no writeback
    "stilp w0, w1, [x0]",          # the same for the store
    "stxr wzr, x0, [sp]",          # s == n == 31: the base rule needs n != 31
    "stgp x0, x1, [x0], #16",      # STGP: no register rule in its decode
    "stg x0, [x0], #16",           # STG: none either (Rt is the tag source)
    "cas x0, x0, [x1]",            # CAS: s == t is a hint, not a rule
    "swp x0, x0, [x0]",            # SWP: no register rule
    "ldr q0, [x0], #16",           # SIMD&FP: Rt is a vector register
]


@pytest.mark.parametrize("line", NOT_FLAGGED)
def test_words_outside_every_rule_are_not_flagged(line):
    got = classify(assemble(line)[0])
    assert got.form is not None and not got.unpredictable, got.form


# Register values against the Arm ARM's condition written out in Python. Field
# positions are the Arm ARM's diagrams, not the table's: Rt 4:0, Rn 9:5, Rt2 14:10
# (pairs), Rs 20:16. Two fields: every value; three: each of 0, 1, 2, 31, which
# gives every pattern of equalities among them, with and without register 31.
def _set(word: int, lsb: int, value: int) -> int:
    return word & ~(0b11111 << lsb) | value << lsb


def _flagged_over(word: int, lsbs: tuple[int, ...], condition) -> None:
    form = classify(word).form
    values = range(32) if len(lsbs) < 3 else (0, 1, 2, 31)
    for regs in itertools.product(values, repeat=len(lsbs)):
        w = word
        for lsb, value in zip(lsbs, regs):
            w = _set(w, lsb, value)
        got = classify(w)
        assert got.form == form and got.unpredictable == condition(*regs), (hex(w), regs)


def test_single_register_writeback_rule_over_every_register_pair():
    for line in ("ldr x1, [x2], #8", "strb w1, [x2, #1]!", "ldrsw x1, [x2, #-4]!", "ldraa x1, [x2, #8]!",
                 "ldapr x1, [x2], #8", "stlr w1, [x2, #-4]!"):
        _flagged_over(assemble(line)[0], (0, 5), lambda t, n: n == t and n != 31)


def test_pair_rules_over_every_register_triple():
    ldp, stp, ldiapp, ldnp = assemble("ldp x1, x3, [x2, #16]!", "stp w1, w3, [x2], #8",
                                      "ldiapp x1, x3, [x2], #16", "ldnp x1, x3, [x2]")
    _flagged_over(ldp, (0, 10, 5), lambda t, t2, n: t == t2 or (n != 31 and (t == n or t2 == n)))
    _flagged_over(ldiapp, (0, 16, 5), lambda t, t2, n: t == t2 or (n != 31 and (t == n or t2 == n)))
    _flagged_over(stp, (0, 10, 5), lambda t, t2, n: n != 31 and (t == n or t2 == n))
    _flagged_over(ldnp, (0, 10, 5), lambda t, t2, n: t == t2)  # no writeback


def test_store_exclusive_rules_over_every_register_triple():
    stxr, stlxp = assemble("stxr w2, x0, [x1]", "stlxp w3, x0, x2, [x1]")
    _flagged_over(stxr, (16, 0, 5), lambda s, t, n: s == t or (s == n and n != 31))
    _flagged_over(stlxp, (16, 0, 10), lambda s, t, t2: s in (t, t2) or s == 1)  # Rn is x1, not 31
