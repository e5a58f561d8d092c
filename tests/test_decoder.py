"""The Capstone wrapper and the hex/bytes/file word parsers.

Words come from fixtures/elf/tiny-le.o, assembled by LLVM (ziglang) from
fixtures/build_elves.py's FIXTURE_ASM; they are read here with pyelftools
directly, and the expected Capstone text is that assembly source line.
"""

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

import a64fault
from a64fault.decoder import Fetched, decode, parse_bytes, parse_words, read_file_words
from a64fault.decoder.words import parse_word
from a64fault.errors import InputError
from a64fault.numbers import parse_int

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "elf"

# symbol, byte offset, the source line in FIXTURE_ASM.
SOURCE_LINES = [
    ("pretouch", 0, "stadd wzr, [x0]"),
    ("add_one", 4, "ldaddal w1, w2, [x0]"),
    ("add_one", 8, "swp w2, w3, [x0]"),
    ("add_one", 12, "cas w3, w4, [x0]"),
    ("llsc_add", 0, "ldxr w1, [x0]"),
    ("llsc_add", 8, "stxr w2, w1, [x0]"),
    ("pick", 4, "ldrb w2, [x1, x0]"),
]


def llvm_word(symbol, offset, name="tiny-le.o"):
    """The LE word at symbol+offset of a fixture object, read with pyelftools alone."""
    with open(FIXTURES / name, "rb") as handle:
        elf = ELFFile(handle)
        text = elf.get_section_by_name(".text")
        (sym,) = elf.get_section_by_name(".symtab").get_symbol_by_name(symbol)
        start = sym["st_value"] + offset
        return int.from_bytes(text.data()[start:start + 4], "little")


# The README's worked example, `stadd w0, [x0]` (LLVM: ldadd w0, wzr, [x0]).
STADD_W0 = 0xB820001F


@pytest.mark.parametrize("symbol, offset, source", SOURCE_LINES)
def test_decode_gives_the_assembly_source(symbol, offset, source):
    word = llvm_word(symbol, offset)
    text = decode(word)
    assert str(text) == source
    assert text.mnemonic == source.split()[0]
    assert text.op_str == source.split(" ", 1)[1]


@pytest.mark.parametrize("symbol, offset, source", SOURCE_LINES)
def test_decode_accepts_memory_bytes(symbol, offset, source):
    word = llvm_word(symbol, offset)
    assert str(decode(word.to_bytes(4, "little"))) == source
    assert a64fault.decode(word) == decode(word)


def test_decode_uses_the_address_for_pc_relative_operands():
    # llsc_add+12 is `cbnz w2, 1b`, back to llsc_add (12 bytes earlier).
    word = llvm_word("llsc_add", 12)
    assert str(decode(word, 0x1000)) == "cbnz w2, 0xff4"
    assert decode(word, 0x1000).mnemonic == "cbnz"


def test_decode_returns_none_where_capstone_cannot():
    # pick+0x14 is the jump table `.byte 0, 2, 4, 0`: not an instruction.
    table = llvm_word("pick", 0x14)
    assert table == int.from_bytes(bytes([0, 2, 4, 0]), "little")
    assert decode(table) is None


@pytest.mark.parametrize("bad", [1 << 32, -1, b"\x00\x00\x20", "b820001f", None])
def test_decode_rejects_non_words(bad):
    with pytest.raises(InputError):
        decode(bad)


@pytest.mark.parametrize("text, words", [
    (["b820001f"], [STADD_W0]),
    (["0xb820001f"], [STADD_W0]),
    (["0XB820001F"], [STADD_W0]),
    (["b820001f,d503201f"], [STADD_W0, 0xD503201F]),
    (["b820001f", "d503201f"], [STADD_W0, 0xD503201F]),
    (["b820001f d503201f\n0x1f , 00"], [STADD_W0, 0xD503201F, 0x1F, 0]),
    (["0x1"], [1]),
    (["00b820001f"], [STADD_W0]),
])
def test_parse_words(text, words):
    assert parse_words(text) == words


@pytest.mark.parametrize("text, message", [
    (["b820001"], "odd number of hex digits"),
    (["xyz"], "not a hex instruction word"),
    (["0x"], "not a hex instruction word"),
    (["b820_001f"], "not a hex instruction word"),
    (["-1"], "not a hex instruction word"),
    (["1b820001f0"], "wider than 32 bits"),
    (["0x100000000"], "wider than 32 bits"),
    ([""], "no instruction words"),
    ([" , \n"], "no instruction words"),
    ([], "no instruction words"),
])
def test_parse_words_errors(text, message):
    with pytest.raises(InputError, match=message):
        parse_words(text)


def test_parse_word_single():
    assert parse_word("d503201f") == 0xD503201F


@pytest.mark.parametrize("text, endian, words", [
    ("1f 00 20 b8", "little", [STADD_W0]),
    ("1f0020b8", "little", [STADD_W0]),
    ("1f,00,20,b8 1f2003d5", "little", [STADD_W0, 0xD503201F]),
    ("b8 20 00 1f", "big", [STADD_W0]),
    ("0x1f0020b8", "little", [STADD_W0]),
])
def test_parse_bytes(text, endian, words):
    assert parse_bytes(text, endian) == words


@pytest.mark.parametrize("text, message", [
    ("1f 00 20", "not a multiple of 4"),
    ("1 00 20 b8", "odd number of hex digits"),
    ("gg 00 20 b8", "not hex bytes"),
    ("", "no bytes"),
])
def test_parse_bytes_errors(text, message):
    with pytest.raises(InputError, match=message):
        parse_bytes(text)


def test_parse_bytes_bad_endian():
    with pytest.raises(InputError, match="little or big"):
        parse_bytes("1f0020b8", "middle")


@pytest.mark.parametrize("text, hex_default, value", [
    ("0x10", False, 16), ("10", False, 10), ("10", True, 16), ("0x92000007", True, 0x92000007),
    ("ffffffffffffffff", True, (1 << 64) - 1),
])
def test_parse_int(text, hex_default, value):
    assert parse_int(text, "x", hex_default=hex_default) == value


@pytest.mark.parametrize("text, hex_default, message", [
    ("0x10000000000000000", False, "wider than 64 bits"),
    ("ab", False, "not a number"), ("-1", True, "not a hex number"), ("", True, "not a hex"),
])
def test_parse_int_errors(text, hex_default, message):
    with pytest.raises(InputError, match=message):
        parse_int(text, "x", hex_default=hex_default)


def test_read_file_words(tmp_path):
    path = tmp_path / "code.bin"
    path.write_bytes(b"\xaa\xbb" + STADD_W0.to_bytes(4, "little") + (0xD503201F).to_bytes(4, "little"))
    assert read_file_words(path, 2) == [Fetched(2, STADD_W0), Fetched(6, 0xD503201F)]
    assert read_file_words(path, 2, 1) == [Fetched(2, STADD_W0)]
    big = tmp_path / "big.bin"
    big.write_bytes(STADD_W0.to_bytes(4, "big"))
    assert read_file_words(big, endian="big") == [Fetched(0, STADD_W0)]
    assert Fetched(0, STADD_W0).raw == bytes.fromhex("1f0020b8")


@pytest.mark.parametrize("offset, count, message", [
    (0, None, "not a multiple of 4"),
    (11, None, "past the end"),
    (2, 3, "run past its end"),
    (10, None, "no bytes"),
])
def test_read_file_words_errors(tmp_path, offset, count, message):
    path = tmp_path / "code.bin"
    path.write_bytes(bytes(10))
    with pytest.raises(InputError, match=message):
        read_file_words(path, offset, count)


def test_read_file_words_missing(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_file_words(tmp_path / "nope.bin")
    with pytest.raises(InputError, match="directory"):
        read_file_words(tmp_path)


def test_file_words_from_a_device_need_a_count():
    """A character device (/dev/zero) is read only as far as --count asks."""
    from a64fault.decoder.words import read_file_words
    from a64fault.errors import InputError

    assert [w.word for w in read_file_words("/dev/zero", offset=8, count=2)] == [0, 0]
    with pytest.raises(InputError, match="not a regular file"):
        read_file_words("/dev/zero")
