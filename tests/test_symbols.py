"""Symbols of stripped files (separate debug files, PLT stubs) and C++/Rust names.

Fixtures (fixtures/build_elves.py): ``dso-stripped.so`` (LLVM-linked, stripped
by GNU strip, ``.gnu_debuglink`` to ``dso.debug`` made by GNU
``objcopy --only-keep-debug``) and ``mod.o``. Oracles: pyelftools reading
``dso.debug`` and the build-id note, GNU objdump's ``name@plt`` labels,
and the names as written in the assembly source.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from a64fault.decoder.elf import ElfImage
from tests.cli import run_in_process

ELF = Path(__file__).resolve().parent.parent / "fixtures" / "elf"
OBJDUMP = shutil.which("aarch64-linux-gnu-objdump")


def run(*args, expect=0):
    """Run the command line in this process (tests/cli.py)."""
    done = run_in_process(*args)
    assert "Traceback" not in done.stderr
    assert done.returncode == expect, done.stderr
    return done


def debug_symbols():
    """{name: st_value} of the functions in dso.debug (pyelftools)."""
    with open(ELF / "dso.debug", "rb") as handle:
        return {s.name: s["st_value"] for s in ELFFile(handle).get_section_by_name(".symtab")
                .iter_symbols() if s["st_info"]["type"] == "STT_FUNC"}


def build_id():
    with open(ELF / "dso-stripped.so", "rb") as handle:
        note = next(n for s in ELFFile(handle).iter_sections() if s["sh_type"] == "SHT_NOTE"
                    for n in s.iter_notes() if n["n_type"] == "NT_GNU_BUILD_ID")
    return note["n_desc"]


def _layout(tmp_path, where):
    """Copy the stripped file to tmp_path/lib and its debug file to ``where``."""
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(ELF / "dso-stripped.so", lib / "dso-stripped.so")
    target = {"next to it": lib / "dso.debug", ".debug": lib / ".debug" / "dso.debug",
              "debug dir": tmp_path / "debug" / lib.relative_to("/") / "dso.debug",
              "build-id": tmp_path / "debug" / ".build-id" / build_id()[:2]
              / f"{build_id()[2:]}.debug"}[where]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ELF / "dso.debug", target)
    return lib / "dso-stripped.so", tmp_path / "debug"


@pytest.mark.parametrize("where", ["next to it", ".debug", "debug dir", "build-id"])
def test_separate_debug_file_is_found(tmp_path, where):
    path, debug_dir = _layout(tmp_path, where)
    expected = debug_symbols()
    with ElfImage(path, debug_dir=debug_dir) as image:
        for name, value in expected.items():
            assert image.symbolize(value) == name
            assert image.address_of(name) == value
        assert image.debug_file is not None


def test_without_debug_file_only_dynamic_symbols(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(ELF / "dso-stripped.so", lib / "x.so")
    expected = debug_symbols()
    with ElfImage(lib / "x.so", debug_dir=tmp_path / "none") as image:
        assert image.symbolize(expected["entry"]) == "entry"  # exported: in .dynsym
        assert image.symbolize(expected["helper"]) is None  # local: only in the debug file
        assert image.debug_file is None


def test_a_debug_file_with_the_wrong_crc_is_not_used(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(ELF / "dso-stripped.so", lib / "dso-stripped.so")
    (lib / "dso.debug").write_bytes((ELF / "dso.debug").read_bytes() + b"\0")
    with ElfImage(lib / "dso-stripped.so", debug_dir=tmp_path / "none") as image:
        assert image.symbolize(debug_symbols()["helper"]) is None


@pytest.mark.skipif(OBJDUMP is None, reason="needs aarch64-linux-gnu-objdump (binutils)")
def test_plt_stubs_are_named_as_objdump_names_them():
    listing = subprocess.run([OBJDUMP, "-d", str(ELF / "dso-stripped.so")], capture_output=True,
                             text=True, check=True).stdout
    labels = {}
    for line in listing.splitlines():
        if line.endswith("@plt>:"):
            address, name = line.split()
            labels[name[1:-2]] = int(address, 16)
    assert set(labels) == {"puts@plt", "abort@plt"}
    with ElfImage(ELF / "dso-stripped.so") as image:
        for name, address in labels.items():
            assert image.symbolize(address) == name
            assert image.symbolize(address + 4) == f"{name}+0x4"
            assert image.address_of(name) == address


NAMES = {  # as written in MODULE_ASM -> as LLVM's and GNU's demanglers print them
    "_ZN3foo3barEv": "foo::bar()",
    "_RNvCs1234_7mycrate3foo": "mycrate::foo",
    "_ZN4core3fmt5write17h0123456789abcdefE": "core::fmt::write",
}


@pytest.mark.parametrize("raw, readable", NAMES.items())
def test_names_are_demangled_and_either_form_is_accepted(raw, readable):
    by_raw = json.loads(run("classify", "--json", "--elf", ELF / "mod.o", "--symbol", raw).stdout)
    by_readable = json.loads(run("classify", "--json", "--elf", ELF / "mod.o",
                                 "--symbol", readable).stdout)
    assert by_raw == by_readable
    assert (by_raw["symbol"], by_raw["demangled"]) == (raw, readable)
    text = run("classify", "--elf", ELF / "mod.o", "--symbol", raw).stdout
    assert f"<{readable}>" in text
    plain = run("classify", "--no-demangle", "--elf", ELF / "mod.o", "--symbol", raw).stdout
    assert f"<{raw}>" in plain


def test_long_names_are_cut_in_text_only():
    result = json.loads(run("scan", "--json", ELF / "mod.o").stdout)
    (item,) = [i for i in result["listed"] if i["symbol"].startswith("_ZNSt6vector")]
    assert item["demangled"].startswith("std::vector<") and "…" not in item["demangled"]
    assert item["demangled"].endswith("::push_back(__gnu_cxx::__normal_iterator<char const*, "
                                      "std::__cxx11::basic_string<char, std::char_traits<char>, "
                                      "std::allocator<char>>> const&)")
    lines = [line for line in run("scan", ELF / "mod.o").stdout.splitlines()
             if item["address"] in line]
    assert len(lines) == 1 and "…" in lines[0] and "std::vector<" in lines[0]
    columns = [line.index(" 0x") for line in run("scan", ELF / "mod.o").stdout.splitlines()
               if line.startswith("    ") and " 0x" in line]
    assert len(set(columns)) == 1  # the word column stays aligned


def test_a_demangled_name_with_spaces_takes_an_offset():
    with ElfImage(ELF / "mod.o") as image:
        raw = next(s.name for s in image.symbols.symbols if s.name.startswith("_ZNSt6vector"))
        readable = image.symbolize(image.address_of(raw), demangled=True)
        assert " " in readable
        assert image.address_of(f"{readable}+0x4") == image.address_of(raw) + 4
        assert image.address_of(f"{readable} + 4") == image.address_of(raw) + 4
