"""classify() on the atomic space and its traps; words from LLVM's assembler.

Each expectation is what the Arm ARM says the instruction does (form, kind,
feature, bytes), written by hand; the word comes from tests/asm.py.
"""

import pytest

from a64fault import InputError, Kind, classify, decide, decode, upgrades
from tests.asm import assemble

# asm line -> (form, kind, feature, bytes accessed)
EXPECTED = {
    "ldadd w1, w0, [x2]": ("LDADD", Kind.ATOMIC_RMW, "LSE", 4),
    "ldaddalb w1, w0, [sp]": ("LDADD", Kind.ATOMIC_RMW, "LSE", 1),
    "stadd wzr, [x0]": ("LDADD", Kind.ATOMIC_RMW, "LSE", 4),
    "staddl x1, [x2]": ("LDADD", Kind.ATOMIC_RMW, "LSE", 8),
    "ldclrh w1, w0, [x2]": ("LDCLR", Kind.ATOMIC_RMW, "LSE", 2),
    "ldeora x1, x0, [x2]": ("LDEOR", Kind.ATOMIC_RMW, "LSE", 8),
    "ldset w1, w0, [x2]": ("LDSET", Kind.ATOMIC_RMW, "LSE", 4),
    "ldsmaxl w1, w0, [x2]": ("LDSMAX", Kind.ATOMIC_RMW, "LSE", 4),
    "ldsminb w1, w0, [x2]": ("LDSMIN", Kind.ATOMIC_RMW, "LSE", 1),
    "ldumax x1, x0, [x2]": ("LDUMAX", Kind.ATOMIC_RMW, "LSE", 8),
    "stumin w1, [x2]": ("LDUMIN", Kind.ATOMIC_RMW, "LSE", 4),
    "swpal x1, x0, [sp]": ("SWP", Kind.ATOMIC_RMW, "LSE", 8),
    "cas w1, w0, [x2]": ("CAS", Kind.COMPARE_AND_SWAP, "LSE", 4),
    "casalh w1, w0, [x2]": ("CAS", Kind.COMPARE_AND_SWAP, "LSE", 2),
    "casp x0, x1, x2, x3, [x4]": ("CASP", Kind.COMPARE_AND_SWAP, "LSE", 16),
    "caspl w0, w1, w2, w3, [x4]": ("CASP", Kind.COMPARE_AND_SWAP, "LSE", 8),
    "ldclrp x0, x1, [x2]": ("LDCLRP", Kind.ATOMIC_RMW, "LSE128", 16),
    "ldsetpal x0, x1, [x2]": ("LDSETP", Kind.ATOMIC_RMW, "LSE128", 16),
    "swpp x0, x1, [x2]": ("SWPP", Kind.ATOMIC_RMW, "LSE128", 16),
    "rcwclr x0, x1, [x2]": ("RCWCLR", Kind.ATOMIC_RMW, "THE", 8),
    "rcwsswpal x0, x1, [x2]": ("RCWSSWP", Kind.ATOMIC_RMW, "THE", 8),
    "rcwsetp x0, x1, [x2]": ("RCWSETP", Kind.ATOMIC_RMW, "THE", 16),
    "rcwcas x0, x1, [x2]": ("RCWCAS", Kind.COMPARE_AND_SWAP, "THE", 8),
    "rcwscasp x0, x1, x2, x3, [x4]": ("RCWSCASP", Kind.COMPARE_AND_SWAP, "THE", 16),
    "ldtadd w1, w0, [x2]": ("LDTADD", Kind.ATOMIC_RMW, "LSUI", 4),
    "sttset x1, [x2]": ("LDTSET", Kind.ATOMIC_RMW, "LSUI", 8),
    "swptal x1, x0, [x2]": ("SWPT", Kind.ATOMIC_RMW, "LSUI", 8),
    "cast x0, x1, [x2]": ("CAST", Kind.COMPARE_AND_SWAP, "LSUI", 8),
    "caspalt x0, x1, x2, x3, [x4]": ("CASPT", Kind.COMPARE_AND_SWAP, "LSUI", 16),
    "ldtxr w0, [x1]": ("LDTXR", Kind.LOAD_EXCLUSIVE, "LSUI", 4),
    "stltxr w2, x0, [x1]": ("STLTXR", Kind.STORE_EXCLUSIVE, "LSUI", 8),
    "ldfadd h1, h0, [x2]": ("LDFADD", Kind.ATOMIC_RMW, "LSFE", 2),
    "ldfmaxnmal d1, d0, [x2]": ("LDFMAXNM", Kind.ATOMIC_RMW, "LSFE", 8),
    "ldbfmin h1, h0, [x2]": ("LDBFMIN", Kind.ATOMIC_RMW, "LSFE", 2),
    "stfadd s1, [x2]": ("STFADD", Kind.ATOMIC_RMW, "LSFE", 4),
    "stbfminnml h1, [x2]": ("STBFMINNM", Kind.ATOMIC_RMW, "LSFE", 2),
    "ldxr w0, [x1]": ("LDXR", Kind.LOAD_EXCLUSIVE, None, 4),
    "ldaxrb w0, [x1]": ("LDAXR", Kind.LOAD_EXCLUSIVE, None, 1),
    "stxr w2, x0, [x1]": ("STXR", Kind.STORE_EXCLUSIVE, None, 8),
    "stlxrh w2, w0, [x1]": ("STLXR", Kind.STORE_EXCLUSIVE, None, 2),
    "ldxp x0, x1, [x2]": ("LDXP", Kind.LOAD_EXCLUSIVE, None, 16),
    "ldaxp w0, w1, [x2]": ("LDAXP", Kind.LOAD_EXCLUSIVE, None, 8),
    "stxp w3, x0, x1, [x2]": ("STXP", Kind.STORE_EXCLUSIVE, None, 16),
    "stlxp w3, w0, w1, [x2]": ("STLXP", Kind.STORE_EXCLUSIVE, None, 8),
    "ldar x0, [x1]": ("LDAR", Kind.LOAD, None, 8),
    "ldlarb w0, [x1]": ("LDLAR", Kind.LOAD, "LOR", 1),
    "stlr w0, [x1]": ("STLR", Kind.STORE, None, 4),
    "stllrh w0, [x1]": ("STLLR", Kind.STORE, "LOR", 2),
    # The traps inside the kernel's class_atomic mask.
    "ldapr x0, [x1]": ("LDAPR", Kind.LOAD, "RCPC", 8),
    "ldaprb w0, [x1]": ("LDAPR", Kind.LOAD, "RCPC", 1),
    "ld64b x0, [x1]": ("LD64B", Kind.LOAD, "LS64", 64),
    "st64b x0, [x1]": ("ST64B", Kind.STORE, "LS64", 64),
    "st64bv x1, x0, [x2]": ("ST64BV", Kind.STORE, "LS64", 64),
    "st64bv0 x1, x0, [x2]": ("ST64BV0", Kind.STORE, "LS64", 64),
}
LINES = tuple(EXPECTED)


@pytest.fixture(scope="module")
def words():
    return dict(zip(LINES, assemble(*LINES)))


@pytest.mark.parametrize("line", LINES)
def test_atomic_space_form(words, line):
    form, kind, feature, size = EXPECTED[line]
    got = classify(words[line])
    assert (got.form, got.kind, got.feature, got.size) == (form, kind, feature, size)
    assert got.writes == (kind in {Kind.ATOMIC_RMW, Kind.COMPARE_AND_SWAP,
                                   Kind.STORE_EXCLUSIVE, Kind.STORE})
    assert got.should_be_ok


def test_worked_example_word_is_real():
    """The README's example word b820001f is what LLVM makes of `stadd w0, [x0]`."""
    assert assemble("stadd w0, [x0]") == [0xB820001F]


def test_kind_values_are_the_design_strings():
    assert [k.value for k in Kind] == [
        "atomic-rmw", "compare-and-swap", "load-exclusive", "store-exclusive", "load",
        "store", "load-store", "prefetch", "cache-maintenance", "other"]
    assert str(Kind.ATOMIC_RMW) == "atomic-rmw"


def test_should_be_bits_do_not_change_the_form(words):
    """LDXR's Rs (bits 20:16) is (1)(1)(1)(1)(1): a word with Rs=11110 is still LDXR,
    flagged as not canonical (CONSTRAINED UNPREDICTABLE, executed if it faulted)."""
    odd = words["ldxr w0, [x1]"] ^ (1 << 16)
    got = classify(odd)
    assert got.form == "LDXR" and got.kind is Kind.LOAD_EXCLUSIVE
    assert not got.should_be_ok


def test_ldapr_rs_is_an_opcode_field(words):
    """LDAPR's Rs=11111 is opcode: with any other Rs the word is not LDAPR."""
    got = classify(words["ldapr x0, [x1]"] ^ (1 << 16))
    assert got.form != "LDAPR"
    assert got.kind is Kind.OTHER


def test_cas_rt2_is_an_opcode_field(words):
    """CAS's bits 14:10 are 11111 (LLVM and the kernel's cas mask agree): other
    values are not CAS."""
    assert classify(words["cas w1, w0, [x2]"] ^ (1 << 10)).form != "CAS"


NOT_WORDS = [-1, 1.5, 1 << 32, 1 << 40, [0xB8200041], None, True, "b8200041"]
ENTRY_POINTS = {"classify": classify, "upgrades": upgrades, "decide": decide, "decode": decode}


@pytest.mark.parametrize("bad", NOT_WORDS, ids=repr)
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_what_is_not_a_word_is_an_input_error(entry, bad):
    with pytest.raises(InputError, match="instruction|4 bytes"):
        ENTRY_POINTS[entry](bad)


@pytest.mark.parametrize("address", [-1, -4, 1 << 64, 1.5, None])
def test_decode_refuses_an_address_outside_64_bits(address):
    with pytest.raises(InputError, match="address"):
        decode(0xB8200041, address)


def test_decode_takes_the_last_64_bit_address():
    assert str(decode(0x14000001, (1 << 64) - 4)).startswith("b ")


@pytest.mark.parametrize("line", ["nop", "add x0, x1, x2", "b #8", "ret", "setf8 w0",
                                  "dmb ish", "msr tpidr_el0, x0"])
def test_non_memory_is_other(line):
    got = classify(assemble(line)[0])
    assert got.kind is Kind.OTHER and got.form is None and not got.writes
    assert got.feature is None and got.size is None


@pytest.mark.parametrize("line", ["casp x0, x1, x2, x3, [x4]", "caspalt x0, x1, x2, x3, [x4]",
                                  "rcwcasp x0, x1, x2, x3, [x4]", "rcwscasp x0, x1, x2, x3, [x4]"])
@pytest.mark.parametrize("bit", [16, 0])
def test_pair_cas_with_odd_register_is_undefined(line, bit):
    """Arm ARM: a pair compare-and-swap with Rs<0> (bit 16) or Rt<0> (bit 0) set is
    UNDEFINED, so it never accesses memory."""
    word = assemble(line)[0]
    assert classify(word).kind is Kind.COMPARE_AND_SWAP
    assert classify(word ^ (1 << bit)).kind is Kind.OTHER


# ---- register rules (Arm ARM decode pseudocode; see the comments in a64.patterns) ----
# Words that break a rule are made from LLVM's word by setting one register field
# (LLVM refuses to assemble them); field positions are the Arm ARM's diagrams.
RT, RT2_PAIR, RS = 0, 10, 16  # lsb of Rt, of a load pair's Rt2 (14:10), of Rs/Rt2 (20:16)
EXTRA = ["ldp x0, x1, [x2]", "ldxp x0, x1, [x2]", "cpyfp [x0]!, [x1]!, x2!", "setp [x0]!, x1!, x2"]


def _with_field(word: int, lsb: int, value: int) -> int:
    return (word & ~(0b11111 << lsb)) | (value << lsb)


@pytest.fixture(scope="module")
def extra():
    return dict(zip(EXTRA, assemble(*EXTRA)))


@pytest.mark.parametrize("rt", [0b00001, 0b11000, 0b11110, 0b11001])
def test_ls64_with_an_undefined_rt_is_other(words, rt):
    """LD64B/ST64B*: Rt<4:3> == '11' || Rt<0> == '1' is UNDEFINED (Arm ARM C6.2 LD64B)."""
    for line in ("ld64b x0, [x1]", "st64bv x1, x0, [x2]", "st64bv0 x1, x0, [x2]"):
        assert classify(_with_field(words[line], RT, rt)).kind is Kind.OTHER, line
    assert classify(_with_field(words["ld64b x0, [x1]"], RT, 0b10110)).form == "LD64B"  # x22


def test_ldp_with_rt_equal_rt2_is_the_form_flagged_unpredictable(extra):
    ldp = extra["ldp x0, x1, [x2]"]
    assert not classify(ldp).unpredictable
    same = _with_field(ldp, RT2_PAIR, 0)  # ldp x0, x0, [x2]
    got = classify(same)
    assert (got.form, got.kind, got.unpredictable, got.should_be_ok) == ("LDP", Kind.LOAD, True, True)
    ldxp = extra["ldxp x0, x1, [x2]"]
    assert classify(_with_field(ldxp, RT2_PAIR, 0)).unpredictable


def test_128_bit_pair_atomic_with_rt_equal_rt2_is_flagged(words):
    swpp = words["swpp x0, x1, [x2]"]
    assert not classify(swpp).unpredictable
    got = classify(_with_field(swpp, RS, 0))  # Rt2 (20:16) = Rt = x0
    assert (got.form, got.kind, got.unpredictable) == ("SWPP", Kind.ATOMIC_RMW, True)


PAIRS_128 = ["ldclrp x0, x1, [x2]", "ldsetpal x0, x1, [x2]", "swppl x0, x1, [x2]",
             "rcwclrp x0, x1, [x2]", "rcwswppa x0, x1, [x2]", "rcwsetp x0, x1, [x2]",
             "rcwsclrp x0, x1, [x2]", "rcwsswpp x0, x1, [x2]", "rcwssetpal x0, x1, [x2]"]


@pytest.mark.parametrize("line", PAIRS_128)
def test_128_bit_pair_atomic_with_xzr_is_undefined(line):
    """LSE128/THE pairs: t == 31 || t2 == 31 is UNDEFINED (Arm ARM C6.2 LDCLRP, SWPP,
    RCWCLRP, ... decode), so the word never accesses memory."""
    word = assemble(line)[0]
    assert classify(word).kind is Kind.ATOMIC_RMW
    for lsb in (RT, RS):  # Rt (4:0), Rt2 (20:16)
        assert classify(_with_field(word, lsb, 0b11111)).kind is Kind.OTHER, (line, lsb)
        assert classify(_with_field(word, lsb, 0b11110)).kind is Kind.ATOMIC_RMW, (line, lsb)
    assert upgrades(_with_field(word, RT, 0b11111), "atomic") is False


def test_mops_with_overlapping_or_zero_registers_is_flagged(extra):
    cpy, setp = extra["cpyfp [x0]!, [x1]!, x2!"], extra["setp [x0]!, x1!, x2"]
    assert not classify(cpy).unpredictable and not classify(setp).unpredictable
    assert classify(_with_field(cpy, RS, 0)).unpredictable          # Rs == Rd
    assert classify(_with_field(cpy, 5, 0b11111)).unpredictable     # Rn == 31
    assert classify(_with_field(setp, 5, 0)).unpredictable          # Rn == Rd
    assert not classify(_with_field(setp, RS, 0b11111)).unpredictable  # SET* may take XZR as data
    assert classify(_with_field(setp, RS, 0b11111)).form == "SETP"


def test_should_be_bits_make_a_word_unpredictable_too(words):
    odd = classify(words["ldxr w0, [x1]"] ^ (1 << 16))
    assert not odd.should_be_ok and odd.unpredictable
