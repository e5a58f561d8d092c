"""ElfImage on the zig/LLVM-built fixtures in fixtures/elf/ (see fixtures/build_elves.py).

The oracle is pyelftools read directly here (section bytes, symbol values)
plus what the fixture's assembly source says; never ElfImage itself.
"""

import shutil
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from a64fault.decoder.elf import ElfImage
from a64fault.errors import InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "elf"
FUNCTIONS = ["_start", "pretouch", "add_one", "llsc_add", "pick"]


def raw_elf(name):
    """(.text sh_addr, .text bytes, {symbol: st_value}, [(st_value, name) of $x/$d]) via pyelftools."""
    with open(FIXTURES / name, "rb") as handle:
        elf = ELFFile(handle)
        text = elf.get_section_by_name(".text")
        text_index = next(i for i, s in enumerate(elf.iter_sections()) if s.name == ".text")
        symbols, mapping = {}, []
        for sym in elf.get_section_by_name(".symtab").iter_symbols():
            if sym.name in ("$x", "$d"):
                if sym["st_shndx"] == text_index:
                    mapping.append((sym["st_value"], sym.name))
            elif sym.name:
                symbols[sym.name] = sym["st_value"]
        return text["sh_addr"], text.data(), symbols, sorted(mapping)


@pytest.fixture(scope="module")
def le():
    with ElfImage(FIXTURES / "tiny-le") as image:
        yield image


@pytest.mark.parametrize("name, little, elf_type", [
    ("tiny-le", True, "ET_EXEC"), ("tiny-be", False, "ET_EXEC"),
    ("tiny-le.o", True, "ET_REL"), ("tiny-be.o", False, "ET_REL"),
])
def test_headers(name, little, elf_type):
    with ElfImage(FIXTURES / name) as image:
        assert image.little_endian is little
        assert image.elf_type == elf_type
        assert image.path == FIXTURES / name


@pytest.mark.parametrize("name", ["tiny-le", "tiny-be", "tiny-le.o", "tiny-be.o"])
def test_every_text_word_is_read_little_endian(name):
    base, data, _, _ = raw_elf(name)
    with ElfImage(FIXTURES / name) as image:
        words = image.words_at(base, len(data) // 4)
    assert words == [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]


def code_addresses(image):
    """Addresses of the words of .text that mapping symbols mark as code ($x)."""
    (_, start, _, size), = image.executable_ranges()
    marks = image.mapping_symbols() + [(start + size, "end")]
    return [address for (begin, kind), (end, _) in zip(marks, marks[1:]) if kind == "$x"
            for address in range(begin, end, 4)]


def test_big_endian_elf_gives_the_same_words_as_little_endian():
    with ElfImage(FIXTURES / "tiny-le") as le_image, ElfImage(FIXTURES / "tiny-be") as be_image:
        assert not be_image.little_endian
        for name in FUNCTIONS:
            address = le_image.address_of(name)
            assert be_image.address_of(name) == address
            assert be_image.words_at(address, 2) == le_image.words_at(address, 2)
        code = code_addresses(le_image)
        assert code == code_addresses(be_image) and len(code) == 37 - 3  # 148 bytes less 12 of data
        assert [be_image.word_at(a) for a in code] == [le_image.word_at(a) for a in code]


def test_big_endian_data_stays_big_endian():
    """Only code is little-endian in aarch64_be: the literal pool's constant is stored BE."""
    constant = 0x123456789ABCDEF0  # `ldr x1, =0x123456789abcdef0` in FIXTURE_ASM
    for name, order in (("tiny-le", "little"), ("tiny-be", "big")):
        with ElfImage(FIXTURES / name) as image:
            literal = image.mapping_symbols()[1][0]
            (_, start, offset, _), = image.executable_ranges()
            stored = image.read(offset + literal - start, 8)
            assert int.from_bytes(stored, order) == constant


def test_big_endian_headers_really_are_big_endian():
    head = (FIXTURES / "tiny-be").read_bytes()[:6]
    assert head[:4] == b"\x7fELF" and head[5] == 2  # EI_DATA = ELFDATA2MSB
    assert (FIXTURES / "tiny-le").read_bytes()[5] == 1


@pytest.mark.parametrize("name", ["tiny-le", "tiny-be", "tiny-le.o"])
def test_address_of_and_symbolize(name):
    _, _, symbols, _ = raw_elf(name)
    with ElfImage(FIXTURES / name) as image:
        for function in FUNCTIONS:
            assert image.address_of(function) == symbols[function]
            assert image.symbolize(symbols[function]) == function
        assert image.address_of("add_one+0x8") == symbols["add_one"] + 8
        assert image.address_of("add_one + 8") == symbols["add_one"] + 8
        assert image.address_of("llsc_add-4") == symbols["llsc_add"] - 4
        assert image.symbolize(symbols["add_one"] + 8) == "add_one+0x8"
        # llsc_add is 5 instructions; the next address is pick.
        assert image.symbolize(symbols["llsc_add"] + 16) == "llsc_add+0x10"
        assert image.symbolize(symbols["llsc_add"] + 20) == "pick"


def test_symbolize_outside_everything(le):
    assert le.symbolize(0) is None
    assert le.symbolize(4) is None


@pytest.mark.parametrize("expr, message", [
    ("nope", "unknown symbol 'nope'"), ("add_one+zz", "bad offset"), ("", "cannot read"),
])
def test_address_of_errors(le, expr, message):
    with pytest.raises(InputError, match=message):
        le.address_of(expr)


def test_word_at_address_errors(le):
    start = le.address_of("pretouch")
    with pytest.raises(InputError, match="not 4-byte aligned"):
        le.word_at(start + 2)
    with pytest.raises(InputError, match="outside every loaded segment"):
        le.word_at(0x10)
    with pytest.raises(InputError, match="outside every loaded segment"):
        le.word_at(1 << 60)


@pytest.mark.parametrize("name", ["tiny-le", "tiny-be", "tiny-le.o"])
def test_mapping_symbols_match_the_symbol_table(name):
    _, _, _, mapping = raw_elf(name)
    with ElfImage(FIXTURES / name) as image:
        assert image.mapping_symbols() == mapping
        kinds = [kind for _, kind in image.mapping_symbols()]
        # code, literal pool, code, jump table, code.
        assert kinds == ["$x", "$d", "$x", "$d", "$x"]
        # The first $d is the literal pool right after _start's svc.
        assert image.mapping_symbols()[1][0] == image.address_of("_start") + 0x28


def test_mapping_at(le):
    marks = le.mapping_symbols()
    assert le.mapping_at(marks[0][0] - 4) is None
    for (start, kind), (end, _) in zip(marks, marks[1:]):
        assert le.mapping_at(start) == kind and le.mapping_at(end - 1) == kind
    assert le.mapping_at(le.address_of("pick") + 0x14) == "$d"
    assert le.mapping_at(le.address_of("pick") + 0x18) == "$x"


@pytest.mark.parametrize("name", ["tiny-le", "tiny-be", "tiny-le.o"])
def test_executable_ranges_are_text(name):
    base, data, _, _ = raw_elf(name)
    with ElfImage(FIXTURES / name) as image:
        ((section, vaddr, offset, size),) = image.executable_ranges()
        assert (section, vaddr, size) == (".text", base, len(data))
        assert image.read(offset, size) == data


def test_relocatable_addresses_are_text_offsets():
    with ElfImage(FIXTURES / "tiny-le.o") as image:
        # pretouch follows _start's 10 instructions and its 8-byte literal pool.
        assert image.address_of("pretouch") == 0x30
        assert image.executable_ranges()[0][1] == 0
        data = raw_elf("tiny-le.o")[1]
        assert image.word_at(0x30) == int.from_bytes(data[0x30:0x34], "little")
    with ElfImage(FIXTURES / "tiny-le") as linked:
        assert linked.word_at(linked.address_of("pretouch")) == image_word_at_30()


def image_word_at_30():
    with ElfImage(FIXTURES / "tiny-le.o") as image:
        return image.word_at(0x30)


def test_stripped_file_has_ranges_but_no_symbols():
    base, data, _, _ = raw_elf("tiny-le")
    with ElfImage(FIXTURES / "tiny-le-stripped") as image:
        assert image.mapping_symbols() == []
        assert image.symbolize(base) is None
        assert [r[0] for r in image.executable_ranges()] == [".text"]
        assert image.words_at(base, 4) == [int.from_bytes(data[i:i + 4], "little")
                                           for i in range(0, 16, 4)]
        with pytest.raises(InputError, match="has none"):
            image.address_of("pretouch")


def test_sectionless_file_uses_executable_segments():
    base, data, _, _ = raw_elf("tiny-le")
    with ElfImage(FIXTURES / "tiny-le-sectionless") as image:
        ((name, vaddr, _, size),) = image.executable_ranges()
        assert name.startswith("LOAD[") and vaddr == base and size == len(data)
        assert image.word_at(base + 4) == int.from_bytes(data[4:8], "little")


@pytest.mark.parametrize("path, message", [
    (FIXTURES / "tiny-le-truncated", "truncated"),
    (FIXTURES / "missing-file", "no such file"),
    (FIXTURES, "directory"),
    (Path(__file__), "not an ELF file"),
])
def test_bad_files(path, message):
    with pytest.raises(InputError, match=message):
        ElfImage(path)


def test_empty_file(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        ElfImage(tmp_path / "empty")


def test_truncated_inside_text(tmp_path):
    """Cut inside .text with the headers intact: still refused, not read short."""
    data = (FIXTURES / "tiny-le").read_bytes()
    base, text, _, _ = raw_elf("tiny-le")
    with open(FIXTURES / "tiny-le", "rb") as handle:
        text_offset = ELFFile(handle).get_section_by_name(".text")["sh_offset"]
    cut = tmp_path / "cut"
    cut.write_bytes(data[:text_offset + 8])
    with pytest.raises(InputError, match="truncated"):
        ElfImage(cut)


@pytest.mark.skipif(shutil.which("ls") is None, reason="needs an x86-64 binary")
def test_x86_64_elf_is_refused():
    ls = Path(shutil.which("ls")).resolve()
    if ls.read_bytes()[:4] != b"\x7fELF":
        pytest.skip("ls is not an ELF file here")
    with pytest.raises(InputError, match="not AArch64"):
        ElfImage(ls)


def test_code_words_is_a_view_of_the_text(le):
    name, vaddr, offset, size = le.executable_ranges()[0]
    words = le.code_words(offset, size // 4)
    assert [int(w) for w in words[:4]] == [le.word_at(vaddr + 4 * i) for i in range(4)]
    with pytest.raises(InputError, match="truncated"):
        le.code_words(offset, 1 << 30)


def test_elf32_is_rejected(tmp_path):
    """EI_CLASS (byte 4) = 1 marks a 32-bit ELF (AArch64 ILP32): not supported."""
    data = bytearray((FIXTURES / "tiny-le").read_bytes())
    data[4] = 1
    (tmp_path / "ilp32").write_bytes(bytes(data))
    with pytest.raises(InputError):
        ElfImage(tmp_path / "ilp32")


@pytest.mark.parametrize("field,offset", [("e_shoff", 0x28), ("e_phoff", 0x20)])
def test_header_table_past_the_end_is_truncated(tmp_path, field, offset):
    """An Elf64 header whose section/program header table lies past the end of the file."""
    data = bytearray((FIXTURES / "tiny-le").read_bytes())
    data[offset:offset + 8] = (len(data) + 64).to_bytes(8, "little")
    (tmp_path / field).write_bytes(bytes(data))
    with pytest.raises(InputError, match="truncated|corrupt"):
        ElfImage(tmp_path / field)


def test_symbol_names_with_a_dash_are_whole_names(tmp_path):
    """A symbol literally named ``foo-8`` is found as such, not as foo minus 8."""
    from a64fault.decoder.elf import Symbol

    with ElfImage(FIXTURES / "tiny-le") as image:
        base = image.address_of("add_one")
        image.symbols._by_name["add_one-8"] = Symbol("add_one-8", base + 0x40, 4, True)
        assert image.address_of("add_one-8") == base + 0x40
        assert image.address_of("add_one - 8") == base - 8
