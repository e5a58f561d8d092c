"""The table reader and the overlap rule.

Expected masks are written as bit strings so they read like the diagrams.
"""

import numpy as np
import pytest

from a64fault.kinds import Kind
from a64fault.patterns import Table, TableError, default_table, read_rows
from a64fault.patterns.reader import parse_diagram, parse_row
from a64fault.patterns.table import AMBIGUOUS, NO_ROW, key_of, keys_of


def bits(text: str) -> int:
    return int(text.replace(" ", ""), 2)


def test_diagram_fields_and_masks():
    mask, value, sb_mask, sb_value, fields, excluded = parse_diagram(
        "size:2 111 0 00 A R 1 Rs=(11111) o3=1 opc=1x0 00 Rn:5 Rt:5")
    assert excluded == ()
    assert mask == bits("00 111 1 11 0 0 1 00000 1 101 11 00000 00000")
    assert value == bits("00 111 0 00 0 0 1 00000 1 100 00 00000 00000")
    assert sb_mask == bits("00 000 0 00 0 0 0 11111 0 000 00 00000 00000")
    assert sb_value == sb_mask
    assert (fields["size"].lsb, fields["size"].width) == (30, 2)
    assert (fields["Rs"].lsb, fields["Rs"].width) == (16, 5)
    assert (fields["A"].lsb, fields["A"].width) == (23, 1)
    assert fields["Rt"].extract(bits("0" * 27 + "10110")) == 0b10110


@pytest.mark.parametrize("diagram,message", [
    ("111", "3 bits"),
    ("size:2 " + "0" * 31, "33 bits"),
    ("Rt:5 Rt:5 " + "0" * 22, "named twice"),
    ("Rs=(1x111) " + "0" * 27, "free bits"),
    ("Rs=(11111 " + "0" * 27, "unbalanced"),
    ("?? " + "0" * 30, "cannot read"),
    ("Rt!=111,11 " + "0" * 29, "differ in width"),
])
def test_bad_diagrams(diagram, message):
    with pytest.raises(TableError, match=message):
        parse_diagram(diagram)


def test_field_constraint_is_a_free_field_with_excluded_cubes():
    mask, value, _, _, fields, excluded = parse_diagram("Rt!=11xxx,xxxx1 " + "0" * 22 + " Rn:5")
    assert mask == bits("00000" + "1" * 22 + "00000") and value == 0  # Rt is free for matching
    assert (fields["Rt"].lsb, fields["Rt"].width) == (27, 5)
    assert excluded == ((bits("11000" + "0" * 27), bits("11000" + "0" * 27)),
                        (bits("00001" + "0" * 27), bits("00001" + "0" * 27)))


def test_field_constraints_become_disjoint_unallocated_rows():
    """CASP-style: Rs odd, then Rt odd among the rest; every excluded word once."""
    rows = read_rows("P | 1111 Rs!=xxxx1 Rt!=xxxx1 " + "0" * 18 + " | load | - | -")
    main, *carved = rows
    assert [r.kind for r in carved] == [Kind.OTHER, Kind.OTHER]
    assert {r.form for r in carved} == {"UNALLOCATED"}
    for w in range(1 << 10):  # Rs and Rt, with the fixed bits of the row
        word = (0b1111 << 28) | (w << 18)
        rs_odd, rt_odd = (w >> 5) & 1, w & 1
        holders = [r for r in carved if r.matches(word)]
        assert main.matches(word)
        assert len(holders) == (1 if rs_odd or rt_odd else 0)
    table = Table(rows)  # nests: no overlap error
    assert table.lookup((0b1111 << 28) | (0b00010 << 23) | (0b00001 << 18)).form == "UNALLOCATED"
    assert table.lookup((0b1111 << 28) | (0b00010 << 23) | (0b00010 << 18)).form == "P"


def test_field_constraint_on_a_row_of_kind_other_is_refused():
    with pytest.raises(TableError, match="excludes nothing"):
        parse_row("X | Rt!=11111 " + "0" * 27 + " | other | - | -")


def test_row_columns_kind_and_bytes():
    row = parse_row("LDADD | size:2 111 0 00 A R 1 Rs:5 0 000 00 Rn:5 Rt:5 | atomic-rmw | LSE"
                    " | 1<<size", 7)
    assert (row.form, row.kind, row.feature, row.line) == ("LDADD", Kind.ATOMIC_RMW, "LSE", 7)
    assert row.access_size(bits("11" + "0" * 30)) == 8
    with pytest.raises(TableError, match="unknown kind"):
        parse_row("X | " + "0" * 32 + " | exotic | - | -")
    with pytest.raises(TableError, match="bytes"):
        parse_row("X | " + "0" * 32 + " | load | - | 1<<nosuchfield")
    with pytest.raises(TableError, match="5 '|'-separated"):
        parse_row("X | " + "0" * 32 + " | load")


WIDE = "WIDE | 1111 x:28 | load | - | -"
NARROW = "NARROW | 1111 0000 x:24 | store | - | -"
CROSS = "CROSS | x:4 0000 1111 y:20 | prefetch | - | -"


def test_more_specific_row_wins_whatever_the_order():
    for text in (f"{WIDE}\n{NARROW}", f"{NARROW}\n{WIDE}"):
        table = Table(read_rows(text))
        assert table.lookup(bits("1111 0000" + "1" * 24)).form == "NARROW"
        assert table.lookup(bits("1111 0001" + "1" * 24)).form == "WIDE"
        assert table.lookup(bits("0111" + "1" * 28)) is None


def test_partial_overlap_is_an_error():
    with pytest.raises(TableError, match="without nesting"):
        Table(read_rows(f"{WIDE}\n{CROSS}"))


def test_duplicate_rows_are_an_error():
    with pytest.raises(TableError, match="without nesting"):
        Table(read_rows(f"{WIDE}\n{WIDE.replace('WIDE', 'TWIN')}"))


def test_should_be_bits_do_not_take_part_in_matching():
    table = Table(read_rows("SB | 1111 (0000) x:24 | load | - | -"))
    assert table.lookup(bits("1111 1010" + "0" * 24)).form == "SB"


def test_default_table_loads_and_is_consistent():
    table = default_table()
    assert len(table.rows) > 100
    specificity = [r.specificity for r in table.rows]
    assert specificity == sorted(specificity, reverse=True)


def test_index_agrees_with_brute_force_rule():
    """The index + candidates give, for every sampled word, the matching row with
    the most fixed bits (the rule), computed here by brute force over all rows."""
    table = default_table()
    rng = np.random.default_rng(2024)
    words = rng.integers(0, 2**32, size=4000, dtype=np.uint64).tolist()
    # Also words built from each row's value with random free bits: they hit every row.
    for row in table.rows:
        noise = int(rng.integers(0, 2**32))
        words.append(row.value | (noise & ~row.mask & (2**32 - 1)))
    for word in words:
        matching = [r for r in table.rows if word & r.mask == r.value]
        expected = max(matching, key=lambda r: r.specificity) if matching else None
        assert table.lookup(word) is expected, hex(word)


def test_vector_keys_equal_scalar_keys():
    rng = np.random.default_rng(7)
    words = rng.integers(0, 2**32, size=1000, dtype=np.uint64).astype(np.uint32)
    assert keys_of(words).tolist() == [key_of(int(w)) for w in words]


def test_index_codes():
    index = default_table().index
    assert index.dtype == np.int16
    assert index.min() >= AMBIGUOUS and NO_ROW in index


# ---- the UNPREDICTABLE column: rules joined by ',' (or), comparisons by '&' (and) ----
RULE_ROW = "R | 1111 o Rt2:5 0000000 Rs:5 Rn:5 Rt:5 | load | - | 8 | "


def rule_word(o=0, rt2=0, rs=0, rn=0, rt=0) -> int:
    return bits("1111") << 28 | o << 27 | rt2 << 22 | rs << 10 | rn << 5 | rt


def test_rule_conjunction_and_disjunction():
    row = parse_row(RULE_ROW + "Rt==Rt2, o==0&Rt==Rn&Rn!=11111")
    assert row.unpredictable(rule_word(rt=3, rt2=3, rn=4))               # first rule
    assert row.unpredictable(rule_word(rt=4, rt2=1, rn=4))               # second: all three hold
    assert not row.unpredictable(rule_word(o=1, rt=4, rt2=1, rn=4))      # o == 0 fails
    assert not row.unpredictable(rule_word(rt=31, rt2=1, rn=31))         # Rn != 11111 fails
    assert not row.unpredictable(rule_word(rt=1, rt2=2, rn=3))


def test_rule_patterns_with_free_bits_and_not_equal():
    row = parse_row(RULE_ROW + "Rs==1xxx0 & Rt!=Rn")
    assert row.unpredictable(rule_word(rs=0b10010, rt=1, rn=2))
    assert not row.unpredictable(rule_word(rs=0b10011, rt=1, rn=2))     # Rs<0> is 1
    assert not row.unpredictable(rule_word(rs=0b10010, rt=2, rn=2))     # Rt == Rn
    assert not row.unpredictable(rule_word(rs=0b00010, rt=1, rn=2))     # Rs<4> is 0


@pytest.mark.parametrize("rule,message", [
    ("Rx==Rt", "cannot read register rule"),              # no such field
    ("Rt=Rn", "cannot read register rule"),               # not a comparison
    ("Rt==Rn&", "cannot read register rule"),             # empty comparison
    ("Rt==Rn,", "cannot read register rule"),             # empty rule
    ("", "cannot read register rule"),
    ("Rt==1111", "neither a field nor a 5-bit pattern"),  # too narrow
    ("Rt==11112", "neither a field nor a 5-bit pattern"),
    ("Rt==Rq", "neither a field nor a 5-bit pattern"),    # unknown field on the right
    ("o==Rt", "compares o with Rt"),                      # widths differ
    ("Rt==Rt", "compares Rt with Rt"),
])
def test_bad_rules_are_table_errors(rule, message):
    with pytest.raises(TableError, match=message):
        parse_row(RULE_ROW + rule, 3)


def test_field_insert_sets_one_field_only():
    row = parse_row(RULE_ROW + "Rt==Rt2")
    word = rule_word(o=1, rt2=7, rs=9, rn=11, rt=13)
    assert row.fields["Rn"].insert(word, 2) == rule_word(o=1, rt2=7, rs=9, rn=2, rt=13)
    with pytest.raises(ValueError, match="does not fit"):
        row.fields["o"].insert(word, 2)
