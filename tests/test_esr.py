"""ESR_ELx decoding.

Expected values are built in the tests from the bit positions the Arm ARM
gives (ESR_EL1: EC [31:26], IL [25], ISS [24:0], ISS2 [55:32]; data-abort
ISS and ISS2 fields as in docs/design.md, "ESR_ELx fields"), with plain shifts, not from
the decoder's own tables.
"""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from a64fault import esr
from a64fault.errors import InputError

DABT_LOWER, DABT_SAME, IABT_LOWER, IABT_SAME = 0x24, 0x25, 0x20, 0x21


def make(ec, iss=0, il=1, iss2=0):
    return (iss2 << 32) | (ec << 26) | (il << 25) | iss


def test_worked_example_read_translation_fault_from_el0():
    s = esr.decode(0x92000007)
    assert (s.ec, s.il, s.iss, s.iss2) == (DABT_LOWER, 1, 7, 0)
    assert s.ec_name == "Data Abort from a lower Exception level"
    assert s.dfsc == 0b000111
    assert s.dfsc_name == "translation fault, level 3"
    assert s.fault_type == "translation"
    assert (s.wnr, s.cm, s.isv) == (0, 0, 0)
    assert s.is_data_abort and not s.is_instruction_abort
    assert s.from_lower_el is True
    assert s.is_write_abort is False


def test_write_permission_fault_is_a_write_abort():
    s = esr.decode(make(DABT_LOWER, (1 << 6) | 0b001111))
    assert s.wnr == 1 and s.cm == 0
    assert s.dfsc_name == "permission fault, level 3"
    assert s.fault_type == "permission"
    assert s.is_write_abort


def test_cache_maintenance_sets_wnr_but_is_not_a_write_abort():
    s = esr.decode(make(DABT_LOWER, (1 << 8) | (1 << 6) | 0b000111))
    assert (s.wnr, s.cm) == (1, 1)
    assert not s.is_write_abort
    assert "cache maintenance" in str(s)


def test_same_el_data_abort():
    s = esr.decode(make(DABT_SAME, 0b000101))
    assert s.from_lower_el is False
    assert s.dfsc_name == "translation fault, level 1"


@pytest.mark.parametrize("ec, lower", [(IABT_LOWER, True), (IABT_SAME, False)])
def test_instruction_abort_has_ifsc_and_no_data_fields(ec, lower):
    s = esr.decode(make(ec, (1 << 6) | 0b001111))
    assert s.is_instruction_abort and not s.is_data_abort
    assert s.from_lower_el is lower
    assert s.dfsc_name == "permission fault, level 3"
    # WnR, CM, ISV... are RES0 in an instruction abort's ISS: not decoded.
    assert s.wnr is None and s.cm is None and s.isv is None
    assert not s.is_write_abort
    assert "IFSC" in str(s)


def test_instruction_syndrome_fields_when_isv_set():
    iss = (1 << 24) | (0b10 << 22) | (1 << 21) | (5 << 16) | (1 << 15) | (1 << 14) | 0b000111
    s = esr.decode(make(DABT_LOWER, iss))
    assert (s.isv, s.sas, s.sse, s.srt, s.sf, s.ar) == (1, 0b10, 1, 5, 1, 1)
    assert s.access_size == 4
    assert "register 5" in str(s)


def test_other_iss_fields():
    iss = (1 << 13) | (0b11 << 11) | (1 << 10) | (1 << 9) | (1 << 7)
    s = esr.decode(make(DABT_LOWER, iss))
    assert (s.vncr, s.set, s.fnv, s.ea, s.s1ptw) == (1, 0b11, 1, 1, 1)
    assert (s.wnr, s.cm, s.dfsc) == (0, 0, 0)


# ISS2 positions within ESR (docs/design.md: Xs[4:0], DirtyBit 5, Overlay 6,
# AssuredOnly 7, GCS 8, TagAccess 9, TnD 10 of ISS2 = ESR[55:32]).
@pytest.mark.parametrize("name, esr_bit", [
    ("dirtybit", 37), ("overlay", 38), ("assuredonly", 39), ("gcs", 40),
    ("tagaccess", 41), ("tnd", 42),
])
def test_iss2_single_bits(name, esr_bit):
    s = esr.decode(make(DABT_LOWER, 0b000111) | (1 << esr_bit))
    assert getattr(s, name) == 1
    others = {"xs", "dirtybit", "overlay", "assuredonly", "gcs", "tagaccess", "tnd"} - {name}
    assert all(getattr(s, other) == 0 for other in others)
    assert s.iss2 == 1 << (esr_bit - 32)


def test_iss2_xs():
    s = esr.decode(make(DABT_LOWER, 0b000111) | (0b10110 << 32))
    assert s.xs == 0b10110 and s.dirtybit == 0


# The DFSC list of docs/design.md, "ESR_ELx fields".
DFSC_CASES = (
    [(0b000000 + level, f"address size fault, level {level}", "address-size") for level in range(4)]
    + [(0b000100 + level, f"translation fault, level {level}", "translation") for level in range(4)]
    + [(0b101011, "translation fault, level -1", "translation")]
    + [(0b001000 + level, f"access flag fault, level {level}", "access-flag") for level in range(4)]
    + [(0b001100 + level, f"permission fault, level {level}", "permission") for level in range(4)]
    + [(0b010000, None, "external"), (0b010001, None, "tag-check")]
    + [(0b010100 + level, None, "external") for level in range(4)]
    + [(0b100001, "alignment fault", "alignment"), (0b110000, None, "tlb-conflict"),
       (0b110001, None, "unsupported-atomic-update"), (0b110101, None, "implementation-defined")]
)


@pytest.mark.parametrize("dfsc, name, fault_type", DFSC_CASES)
def test_dfsc_names(dfsc, name, fault_type):
    s = esr.decode(make(DABT_LOWER, dfsc))
    assert s.dfsc == dfsc
    assert s.fault_type == fault_type
    if name is not None:
        assert s.dfsc_name == name
    if fault_type == "external" and dfsc != 0b010000:
        assert "walk" in s.dfsc_name and f"level {dfsc - 0b010100}" in s.dfsc_name
    if dfsc == 0b110101:
        assert "exclusive or atomic" in s.dfsc_name


def test_reserved_dfsc():
    s = esr.decode(make(DABT_LOWER, 0b111111))
    assert s.fault_type == "reserved" and "0b111111" in s.dfsc_name


@pytest.mark.parametrize("ec, words", [
    (0x00, "Unknown"), (0x01, "WF"), (0x07, "floating-point"), (0x0E, "Illegal"),
    (0x15, "SVC in AArch64"), (0x16, "HVC"), (0x17, "SMC"), (0x18, "MSR/MRS"),
    (0x22, "PC alignment"), (0x26, "SP alignment"), (0x27, "MOPS"), (0x2D, "Guarded Control Stack"),
    (0x2F, "SError"), (0x3C, "BRK"), (0x34, "Watchpoint"), (0x3F, "unallocated EC 0x3f"),
])
def test_ec_names_for_common_classes(ec, words):
    s = esr.decode(make(ec, 0x1234))
    assert words in s.ec_name
    assert not s.is_data_abort and not s.is_instruction_abort
    assert s.dfsc is None and s.wnr is None and s.xs is None and s.fault_type is None
    assert s.from_lower_el is None and not s.is_write_abort
    assert s.iss == 0x1234


@pytest.mark.parametrize("bad", [-1, 1 << 64, (1 << 70) + 7])
def test_out_of_range_raises_input_error(bad):
    with pytest.raises(InputError):
        esr.decode(bad)


@pytest.mark.parametrize("bad", ["0x92000007", 1.0, None, True])
def test_non_int_raises_input_error(bad):
    with pytest.raises(InputError):
        esr.decode(bad)


def test_str_is_readable_multiline():
    text = str(esr.decode(0x92000007))
    lines = text.splitlines()
    assert lines[0].startswith("ESR_ELx 0x0000000092000007")
    assert any(re.match(r"\s+DFSC\s+\[5:0\]\s+0x07\s+translation fault, level 3", l) for l in lines)
    assert any(re.match(r"\s+WnR\s+\[6\]\s+0\s+read fault", l) for l in lines)
    assert any(re.match(r"\s+EC\s+\[31:26\]\s+0x24", l) for l in lines)


def test_to_dict_is_json_and_complete():
    d = esr.decode(make(DABT_LOWER, (1 << 6) | 0b001111)).to_dict()
    again = json.loads(json.dumps(d))
    assert again["ec"] == DABT_LOWER and again["wnr"] == 1
    assert again["is_write_abort"] is True and again["fault_type"] == "permission"
    for key in ("value", "ec_name", "il", "iss", "iss2", "isv", "sas", "sse", "srt", "sf", "ar",
                "vncr", "set", "fnv", "ea", "cm", "s1ptw", "dfsc", "dfsc_name", "xs", "dirtybit",
                "overlay", "assuredonly", "gcs", "tagaccess", "tnd", "is_data_abort",
                "is_instruction_abort", "from_lower_el"):
        assert key in again


def test_tables_tile_their_registers():
    """The named ranges cover ESR, the data-abort ISS and ISS2[10:0] without overlap."""
    def tiles(ranges, width):
        seen = []
        for hi, lo in ranges:
            seen += range(lo, hi + 1)
        return sorted(seen) == list(range(width))

    assert tiles(esr.ESR_LAYOUT.values(), 64)
    assert tiles(esr.DATA_ABORT_ISS.values(), 25)
    assert tiles(esr.ABORT_ISS2.values(), 11)


def test_no_hand_written_masks_in_esr_module():
    source = Path(esr.__file__).read_text()
    assert not re.search(r"&\s*0x[0-9a-fA-F]+", source)
    assert not re.search(r"0x[0-9a-fA-F]+\s*&", source)


def _field(value, hi, lo):
    return (value >> lo) % (1 << (hi - lo + 1))


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_any_64_bit_value_decodes_and_round_trips(value):
    s = esr.decode(value)
    # Top-level fields reassemble to the value.
    whole = 0
    for name, (hi, lo) in esr.ESR_LAYOUT.items():
        whole |= esr.place(getattr(s, name), hi, lo)
    assert whole == value
    # Spot checks against positions written here from the Arm ARM.
    assert s.ec == _field(value, 31, 26)
    assert s.il == _field(value, 25, 25)
    assert s.iss == _field(value, 24, 0)
    assert s.iss2 == _field(value, 55, 32)
    str(s)
    json.dumps(s.to_dict())
    if s.is_data_abort:
        iss = 0
        for name, (hi, lo) in esr.DATA_ABORT_ISS.items():
            iss |= esr.place(getattr(s, name), hi, lo)
        assert iss == s.iss
        assert s.wnr == _field(value, 6, 6) and s.cm == _field(value, 8, 8)
        assert s.dfsc == _field(value, 5, 0) and s.isv == _field(value, 24, 24)
        assert s.srt == _field(value, 20, 16) and s.sas == _field(value, 23, 22)
        assert s.is_write_abort == (s.wnr == 1 and s.cm == 0)
    if s.is_data_abort or s.is_instruction_abort:
        iss2 = 0
        for name, (hi, lo) in esr.ABORT_ISS2.items():
            iss2 |= esr.place(getattr(s, name), hi, lo)
        assert iss2 == _field(value, 42, 32)
        assert s.tnd == _field(value, 42, 42) and s.xs == _field(value, 36, 32)
        assert s.dfsc_name and s.fault_type
    else:
        assert s.dfsc is None


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([DABT_LOWER, DABT_SAME]), st.integers(0, (1 << 25) - 1), st.integers(0, 1))
def test_abort_iss_fields_round_trip(ec, iss, il):
    s = esr.decode(make(ec, iss, il))
    assert s.is_data_abort and s.il == il and s.iss == iss
