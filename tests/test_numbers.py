"""The one number parser (a64fault.numbers): length limit before conversion, one rule."""

import pytest

from a64fault.errors import InputError
from a64fault.numbers import MAX_NUMBER_CHARS, parse_field, parse_int, parse_size
from tests.expect import assert_one_error

HUGE = "9" * 5000  # past Python's 4,300-digit int-conversion limit


@pytest.mark.parametrize("text, value", [
    ("0x10", 16), ("10", 10), ("1_000", 1000), ("0xffff_ffff", 0xFFFFFFFF), (" 7 ", 7),
    ("18446744073709551615", (1 << 64) - 1),
])
def test_parse_int_accepts(text, value):
    assert parse_int(text, "x") == value


@pytest.mark.parametrize("text, message", [
    (HUGE, "too long for a number"), ("0x" + "f" * 5000, "too long"),
    ("1" * (MAX_NUMBER_CHARS + 1), "too long"),
    ("-1", "not a number"), ("+1", "not a number"), ("1_", "not a number"), ("_1", "not a number"),
    ("0o17", "not a number"), ("0b1", "not a number"), ("1e3", "not a number"),
    ("١٢", "not a number"),  # non-ASCII digits, which int() would take
    ("", "not a number"), ("0x", "not a hex number"),
])
def test_parse_int_refuses(text, message):
    with pytest.raises(InputError, match=message):
        parse_int(text, "x")


def test_parse_int_error_quotes_a_long_text_short():
    with pytest.raises(InputError) as caught:
        parse_int(HUGE, "--offset")
    assert len(str(caught.value)) < 200 and "5000 characters" in str(caught.value)


@pytest.mark.parametrize("text, message", [
    (HUGE, "too long"), ("99999999999999999999P", "wider than 64 bits"), ("16384P", "wider"),
])
def test_parse_size_refuses(text, message):
    with pytest.raises(InputError, match=message):
        parse_size(text, "--size")


@pytest.mark.parametrize("value, message", [
    (HUGE, "too long"), (True, "not a number"), (1.5, "not a number"), (None, "missing"),
    (-1, "out of range"), (1 << 32, "out of range"), ("0x100000000", "wider than 32 bits"),
])
def test_parse_field_refuses(value, message):
    with pytest.raises(InputError, match=message):
        parse_field(value, "word", 1 << 32)


@pytest.mark.parametrize("args", [
    ["simulate", "-w", "memset", "--size", HUGE],
    ["simulate", "-w", "memset", "--stride", HUGE],
    ["simulate", "-w", "memset", "--align", HUGE],
    ["classify", "--file", "fixtures/elf/tiny-le", "--offset", HUGE],
    ["classify", "--file", "fixtures/elf/tiny-le", "--count", HUGE],
    ["classify", "--elf", "fixtures/elf/tiny-le", "--addr", HUGE],
    ["classify", "b820001f", "--esr", HUGE],
    ["esr", HUGE],
    ["audit", f"{HUGE}:0"],
    ["scan", "--limit", HUGE, "fixtures/elf/tiny-le"],
    ["scan", "-j", HUGE, "fixtures/elf/tiny-le"],
    ["simulate", "-w", "memset", "--collapse", "--max-ptes-none", HUGE],
])
def test_cli_long_numbers_one_error_line(args):
    assert_one_error(args, contains="too long")


@pytest.mark.parametrize(("text", "bits", "value"), [
    ("-1", 64, 0xFFFF_FFFF_FFFF_FFFF), ("-8", 64, 0xFFFF_FFFF_FFFF_FFF8),
    ("-9223372036854775808", 64, 1 << 63), ("-128", 8, 0x80), ("0x10", 64, 16), ("5", 64, 5),
])
def test_wrap_negative_reads_a_signed_decimal_as_its_twos_complement(text, bits, value):
    assert parse_int(text, "x", bits=bits, wrap_negative=True) == value


@pytest.mark.parametrize("text", ["-9223372036854775809", "-0x5", "--1", "-"])
def test_wrap_negative_refuses_what_no_register_holds(text):
    with pytest.raises(InputError):
        parse_int(text, "x", wrap_negative=True)


def test_negative_is_refused_without_wrap_negative():
    with pytest.raises(InputError):
        parse_int("-1", "x")
