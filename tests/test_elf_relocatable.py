"""Relocatable objects (ET_REL, kernel modules): section-relative addresses, and
symbols that name addresses only in their own section.

Fixture: fixtures/elf/mod.o, assembled by LLVM from MODULE_ASM in
fixtures/build_elves.py. The oracle is that source (a CASA after 22 NOPs of
.exit.text, i.e. at .exit.text+0x58; a 64-byte .bss object ``hash_rnd`` at
.bss+0x4) and pyelftools reading the symbol table; never ElfImage itself.
"""

import json
import shutil
import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from a64fault.decoder.elf import ElfImage
from a64fault.errors import InputError

ELF = Path(__file__).resolve().parent.parent / "fixtures" / "elf"
MOD = ELF / "mod.o"


@pytest.fixture
def run(cli):
    """Run the CLI (in this process); ``expect`` is the exit status wanted (None: any)."""
    def invoke(*args, expect=0):
        done = cli(*args)
        if expect is not None:
            assert done.returncode == expect, done.stderr
        return done
    return invoke


def _oracle_symbols():
    """{name: (section name or UND/ABS/COM, value, size)} via pyelftools."""
    with open(MOD, "rb") as handle:
        elf = ELFFile(handle)
        found = {}
        for sym in elf.get_section_by_name(".symtab").iter_symbols():
            shndx = sym["st_shndx"]
            where = elf.get_section(shndx).name if isinstance(shndx, int) else shndx
            found[sym.name] = (where, sym["st_value"], sym["st_size"])
        code = {s.name: s.data() for s in elf.iter_sections() if s["sh_flags"] & 4}
    return found, code


def test_the_casa_is_at_exit_text_0x58(run):
    done = run("classify", "--elf", str(MOD), "--addr", ".exit.text+0x58", "--json")
    record = json.loads(done.stdout)
    assert record["text"].startswith("casa w0, w1")
    assert record["kind"] == "compare-and-swap"
    assert (record["section"], record["offset"], record["address"]) == (
        ".exit.text", "0x58", ".exit.text+0x58")
    assert record["symbol"] == "mod_exit+0x58"


def test_a_bare_number_is_an_offset_in_text(run):
    symbols, code = _oracle_symbols()
    done = run("classify", "--elf", str(MOD), "--addr", "0x14", "--json")
    record = json.loads(done.stdout)
    assert record["word"] == "0x" + code[".text"][0x14:0x18][::-1].hex()
    assert record["text"].startswith("ldxr")
    assert (record["section"], record["symbol"]) == (".text", "percpu_add")


def test_symbols_name_only_their_own_section():
    """Every code word's symbol lies in the word's section and holds or precedes
    it; .bss, COMMON, ABS and UNDEF symbols never name code."""
    symbols, code = _oracle_symbols()
    with ElfImage(MOD) as image:
        for section, data in code.items():
            base = image.address_of(f"{section}+0")
            for offset in range(0, len(data), 4):
                name = image.symbolize(base + offset)
                assert name is not None
                symbol, _, delta = name.partition("+0x")
                where, value, _ = symbols[symbol]
                assert where == section
                assert value + int(delta or "0", 16) == offset


def test_a_bss_symbol_has_no_code_words(run):
    done = run("classify", "--elf", str(MOD), "--symbol", "hash_rnd", expect=2)
    assert "hash_rnd" not in done.stdout
    assert ".bss" in done.stderr and "no bytes" in done.stderr


def test_scan_lists_section_relative_addresses(run):
    symbols, _ = _oracle_symbols()
    done = run("scan", "--json", str(MOD))
    listed = {item["address"]: item for item in json.loads(done.stdout)["listed"]}
    assert listed[".exit.text+0x58"]["symbol"] == "mod_exit+0x58"
    stadd_offset = symbols[next(n for n in symbols if n.startswith("_ZNSt6vector"))][1]
    item = listed[f".text+{stadd_offset:#x}"]
    assert item["symbol"].startswith("_ZNSt6vector")
    assert item["demangled"].startswith("std::vector<")
    assert (item["section"], item["offset"]) == (".text", f"{stadd_offset:#x}")


def _section_header_offset(path, name):
    with open(path, "rb") as handle:
        elf = ELFFile(handle)
        index = next(i for i, s in enumerate(elf.iter_sections()) if s.name == name)
        return elf["e_shoff"] + index * elf["e_shentsize"]


# Elf64_Shdr: sh_size at byte 32, sh_addralign at byte 48.
@pytest.mark.parametrize("section, field_at, value", [
    (".bss", 48, 1 << 63), (".exit.text", 48, 1 << 63), (".text", 48, 1 << 63),
    (".exit.text", 48, (1 << 64) - 1),
    (".bss", 32, (1 << 64) - 16), (".exit.text", 32, (1 << 64) - 16),
])
def test_huge_alignment_or_size_is_one_input_error(tmp_path, run, section, field_at, value):
    """A section alignment of 2**63 or a size near 2**64 in a real .o: a clean
    result or one InputError line, never OverflowError."""
    bad = tmp_path / "bad.o"
    shutil.copy(MOD, bad)
    data = bytearray(bad.read_bytes())
    struct.pack_into("<Q", data, _section_header_offset(MOD, section) + field_at, value)
    bad.write_bytes(bytes(data))
    try:
        with ElfImage(bad) as image:
            image.symbolize(0)
            image.executable_ranges()
    except InputError:
        pass
    for args in (("scan", str(bad)), ("classify", "--elf", str(bad), "--addr", "0x14")):
        done = run(*args, expect=None)
        assert "Traceback" not in done.stderr
        assert done.returncode in (0, 1, 2)
        if done.returncode:
            assert done.stderr.count("\n") == 1 and done.stderr.startswith("a64fault: error:")


def test_section_expressions_work_in_linked_files_too(run):
    """``.text+4`` in an executable is the .text section's address + 4 (pyelftools)."""
    with open(ELF / "tiny-le", "rb") as handle:
        text = ELFFile(handle).get_section_by_name(".text")
        base, data = text["sh_addr"], text.data()
    record = json.loads(run("classify", "--json", "--elf", str(ELF / "tiny-le"), "--addr",
                            ".text+4").stdout)
    assert record["address"] == f"{base + 4:#x}"
    assert record["word"] == "0x" + data[4:8][::-1].hex()


def test_past_the_end_of_a_section_is_one_error(run):
    done = run("classify", "--elf", str(MOD), "--addr", ".text+0x1000", expect=2)
    assert "outside every section with bytes" in done.stderr
