"""`a64fault scan` on the fixture ELFs (fixtures/elf/, built from fixtures/build_elves.py)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from a64fault import classify, policies
from a64fault.scan import data_ranges, scan_file
from tests.cli import run_in_process, run_subprocess

ELF = Path(__file__).resolve().parent.parent / "fixtures" / "elf"
WITH_SYMBOLS = ["tiny-le", "tiny-be", "tiny-le.o", "tiny-be.o"]
# The atomics of the fixture source, by symbol+offset (pretouch: stadd;
# add_one: mov, ldaddal, swp, cas).
EXPECTED_LISTED = [("pretouch", "LDADD", "stadd"), ("add_one+0x4", "LDADD", "ldaddal"),
                   ("add_one+0x8", "SWP", "swp"), ("add_one+0xc", "CAS", "cas")]
# The literal pool (one 8-byte literal) and the 4-byte jump table.
DATA_WORDS = 3


def run(*args):
    return run_in_process(*args)


def reference(path: Path):
    """Independently of a64fault: .text words, and those outside $d ranges, via pyelftools."""
    with open(path, "rb") as handle:
        elf = ELFFile(handle)
        text = elf.get_section_by_name(".text")
        raw = text.data()
        words = [w for (w,) in struct.iter_unpack("<I", raw[: len(raw) // 4 * 4])]
        base = text["sh_addr"]
        marks = []
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None:
            index = elf.get_section_index(".text")
            marks = sorted((s["st_value"], s.name[:2]) for s in symtab.iter_symbols()
                           if s.name[:2] in ("$x", "$d") and s["st_shndx"] == index)
    data = set()
    for i, (start, kind) in enumerate(marks):
        if kind == "$d":
            end = marks[i + 1][0] if i + 1 < len(marks) else base + len(raw)
            data.update(range((start - base) // 4, -(-(end - base) // 4)))
    code = [w for i, w in enumerate(words) if i not in data]
    return words, code


def kind_counts(words):
    counts = Counter(classify(w).kind.value for w in words)
    return {k: n for k, n in counts.items() if n}


@pytest.mark.parametrize("name", WITH_SYMBOLS)
def test_counts_equal_the_scalar_classifier(name):
    words, code = reference(ELF / name)
    assert len(words) - len(code) == DATA_WORDS
    result = scan_file(ELF / name)
    assert result.instructions == len(code)
    assert result.data_words == DATA_WORDS
    assert {k: n for k, n in result.counts.items() if n} == kind_counts(code)
    features = Counter((classify(w).feature or "base") for w in code
                       if classify(w).kind.value != "other")
    assert result.features == dict(features)


@pytest.mark.parametrize("name", WITH_SYMBOLS)
def test_listing_symbols_and_text(name):
    result = scan_file(ELF / name)
    got = [(item["symbol"], item["form"], item["text"].split()[0]) for item in result.listed]
    assert got == EXPECTED_LISTED
    for item in result.listed:
        assert int(item["word"], 16) in reference(ELF / name)[1]


def test_data_words_are_not_instructions():
    """The literal 0x123456789abcdef0 and the jump table bytes are never classified."""
    with_marks = scan_file(ELF / "tiny-le", kinds=["other", "load", "store"])
    stripped = scan_file(ELF / "tiny-le-stripped", kinds=["other", "load", "store"])
    listed = {int(i["word"], 16) for i in with_marks.listed}
    assert 0x9ABCDEF0 not in listed and 0x12345678 not in listed
    assert {0x9ABCDEF0, 0x12345678} <= {int(i["word"], 16) for i in stripped.listed}
    assert stripped.instructions == with_marks.instructions + DATA_WORDS


def test_big_endian_same_as_little():
    le, be = scan_file(ELF / "tiny-le"), scan_file(ELF / "tiny-be")
    assert le.as_json() | {"file": ""} == be.as_json() | {"file": ""}


@pytest.mark.parametrize("name", ["tiny-le-stripped", "tiny-le-sectionless"])
def test_stripped_files(name):
    words, _ = reference(ELF / "tiny-le")
    result = scan_file(ELF / name)
    assert result.instructions == len(words)  # no mapping symbols: every word counts
    assert [i["form"] for i in result.listed] == [f for _, f, _ in EXPECTED_LISTED]
    assert all(i["symbol"] is None for i in result.listed)


def test_kernel_v5_listing_is_the_policy_function():
    _, code = reference(ELF / "tiny-le")
    result = scan_file(ELF / "tiny-le", policy="kernel-v5")
    assert [int(i["word"], 16) for i in result.listed] == [w for w in code
                                                           if policies.kernel_v5(w)]


def test_data_ranges_stop_at_the_next_symbol_or_range_end():
    ranges = [(".text", 0x100, 0, 0x40), (".text.b", 0x200, 0x40, 0x10)]
    marks = [(0x100, "$x"), (0x110, "$d"), (0x118, "$x"), (0x130, "$d"), (0x200, "$x"),
             (0x204, "$d")]
    assert data_ranges(marks, ranges) == [(0x110, 0x118), (0x130, 0x140), (0x204, 0x210)]


def test_cli_json_lines_many_files_with_a_corrupt_one(tmp_path):
    bad = tmp_path / "not-elf"
    bad.write_bytes(b"hello, not an ELF file\n")
    files = [str(ELF / "tiny-le"), str(bad), str(ELF / "tiny-le-truncated"),
             str(ELF / "tiny-be")]
    for jobs in ("1", "2"):
        done = run("scan", "--json", "-j", jobs, *files)
        assert done.returncode == 1
        errors = done.stderr.splitlines()
        assert len(errors) == 2 and all(e.startswith("a64fault: error: ") for e in errors)
        assert "not-elf" in errors[0] and "tiny-le-truncated" in errors[1]
        objects = [json.loads(line) for line in done.stdout.splitlines()]
        assert [o["file"] for o in objects] == files
        assert [set(objects[i]) for i in (1, 2)] == [{"file", "error"}] * 2
        assert [objects[i]["error"] for i in (1, 2)] == [e[len("a64fault: error: "):]
                                                        for e in errors]
        for o in (objects[0], objects[3]):
            assert {"file", "instructions", "counts", "features", "listed"} <= set(o)
            assert set(o["listed"][0]) >= {"address", "symbol", "word", "text", "kind", "form"}


def test_cli_text_and_usage_errors():
    done = run("scan", str(ELF / "tiny-le"))
    assert done.returncode == 0 and done.stderr == ""  # piped: no progress bar
    assert "pretouch" in done.stdout and "ldaddal" in done.stdout
    for args in (["scan"], ["scan", "--policy", "bogus", str(ELF / "tiny-le")],
                 ["scan", "--policy", "atomic", "--kind", "load", str(ELF / "tiny-le")],
                 ["scan", "-j", "0", str(ELF / "tiny-le")]):
        done = run(*args)
        assert done.returncode == 2, args
        assert done.stderr.startswith("a64fault: error:") and done.stderr.count("\n") == 1


def test_missing_file_is_a_file_error(tmp_path):
    done = run("scan", str(tmp_path / "nope"), str(ELF / "tiny-le"))
    assert done.returncode == 1 and "nope" in done.stderr
    assert "tiny-le" in done.stdout


NAMED_TYPES = {"STT_FUNC", "STT_OBJECT", "STT_NOTYPE", "STT_GNU_IFUNC", "STT_TLS"}


def _pyelftools_symbols(image, path):
    """The symbol rule, read symbol by symbol through pyelftools (the oracle)."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as handle:
        elf = ELFFile(handle)
        symbols, mapping = [], set()
        for table_name in (".symtab", ".dynsym"):
            table = elf.get_section_by_name(table_name)
            if table is None:
                continue
            found = []
            for symbol in table.iter_symbols():
                shndx = symbol["st_shndx"]
                if not isinstance(shndx, int):
                    continue
                # In a .o a place is (section, offset): compare it so.
                vaddr = ((elf.get_section(shndx).name, symbol["st_value"])
                         if image.elf_type == "ET_REL" else symbol["st_value"])
                name = symbol.name
                if name in ("$x", "$d") or name.startswith(("$x.", "$d.")):
                    if table_name == ".symtab" and \
                            elf.get_section(shndx)["sh_flags"] & SH_FLAGS.SHF_EXECINSTR:
                        mapping.add((vaddr, name[:2]))
                    continue
                if name and symbol["st_info"]["type"] in NAMED_TYPES:
                    found.append((name, vaddr, symbol["st_size"],
                                  symbol["st_info"]["bind"] != "STB_LOCAL"))
            if found:
                symbols = found
                break
    return symbols, sorted(mapping)


@pytest.mark.parametrize("name", WITH_SYMBOLS + ["tiny-le-stripped", "tiny-le-sectionless"])
def test_array_symbol_reader_equals_pyelftools(name):
    """ElfImage's symbol reader and pyelftools, symbol by symbol, agree."""
    from a64fault.decoder.elf import ElfImage

    with ElfImage(ELF / name) as image:
        symbols, mapping = _pyelftools_symbols(image, ELF / name)
        place = image.location if image.is_relocatable else (lambda vaddr: vaddr)
        assert [(place(vaddr), kind) for vaddr, kind in image.mapping_symbols()] == mapping
        assert [(s.name, place(s.vaddr), s.size, s.is_global)
                for s in image.symbols.symbols] == symbols


def test_progress_bar_only_on_a_terminal():
    import os
    import pty

    master, slave = pty.openpty()
    try:
        done = run_subprocess("scan", "--json", ELF / "tiny-le", ELF / "tiny-be",
                              stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert done.returncode == 0
    assert b"scanning" in seen  # the bar went to the terminal on stderr
    assert len(done.stdout.splitlines()) == 2  # and nothing of it into the JSON


def test_limit_caps_the_listing_not_the_count():
    """tiny-le has two loads (a literal LDR and an LDR): --limit 1 lists one, counts two."""
    full = json.loads(run("scan", "--json", "--kind", "load", str(ELF / "tiny-le")).stdout)
    capped = json.loads(run("scan", "--json", "--kind", "load", "--limit", "1",
                            str(ELF / "tiny-le")).stdout)
    assert full["selected"] == capped["selected"] == len(full["listed"]) == 2
    assert capped["listed"] == full["listed"][:1]


def test_text_listing_prints_dash_for_no_form():
    done = run("scan", "--kind", "other", "--limit", "2", str(ELF / "tiny-le"))
    assert done.returncode == 0, done.stderr
    listed = [line for line in done.stdout.splitlines() if line.startswith("    ")]
    assert len(listed) == 2 and "None" not in done.stdout
    assert all(line.split()[-1] == "-" for line in listed)


@pytest.mark.parametrize("policy, kinds", [("atomic", None), ("atomic+exclusive", None),
                                           ("none", None), (None, ["other", "load"]),
                                           (None, ["prefetch"]), ("kernel-v5", None)])
@pytest.mark.parametrize("name", ["tiny-le", "tiny-be.o", "mod.o"])
def test_small_and_vector_paths_agree_and_list_the_wanted_kinds(monkeypatch, name, policy,
                                                                 kinds):
    """Both classification paths give the same result; every listed word is of
    a wanted kind (per the scalar classifier) and every such word is listed."""
    from a64fault import scan
    from a64fault.kinds import Kind
    from a64fault.policies import POLICY_KINDS, upgrades

    calls = []
    with monkeypatch.context() as patch:
        patch.setattr(scan, "_numpy_loaded", lambda: False)  # numpy is loaded in tests
        small_path = scan._classify_small
        patch.setattr(scan, "_classify_small", lambda *a: calls.append(1) or small_path(*a))
        small = scan.scan_file(ELF / name, policy, kinds).as_json()
    assert calls == ([] if policy == "kernel-v5" else [1])
    monkeypatch.setattr(scan, "SMALL_WORDS", -1)
    assert scan.scan_file(ELF / name, policy, kinds).as_json() == small
    _, code = reference(ELF / name)
    if policy == "kernel-v5":
        expected = [w for w in code if upgrades(w, policy)]
    else:
        wanted = {Kind(k) for k in kinds} if kinds else POLICY_KINDS[policy]
        expected = [w for w in code if classify(w).kind in wanted]
    text = [int(item["word"], 16) for item in small["listed"]
            if item.get("section", ".text") == ".text"]
    assert text == expected


def test_parallel_output_is_in_the_given_order(tmp_path, monkeypatch):
    """Largest files are started first, some one by one and the rest in chunks,
    yet the output (text and JSON, --summary too) is what -j 1 writes."""
    from a64fault.commands import scan as scan_command

    monkeypatch.setattr(scan_command, "_ONE_BY_ONE", 3)
    monkeypatch.setattr(scan_command, "_CHUNK", 2)
    bad = tmp_path / "not-elf"
    bad.write_bytes(b"hello\n")
    files = sorted(str(p) for p in ELF.iterdir() if p.is_file() and p.suffix != ".s")
    files.insert(3, str(bad))
    sizes = [os.path.getsize(f) for f in files]
    assert len(files) > 8 and sizes != sorted(sizes, reverse=True)
    for form in ([], ["--json"]):
        serial = run("scan", "--summary", *form, "-j", "1", *files)
        parallel = run("scan", "--summary", *form, "-j", "2", *files)
        assert parallel.returncode == serial.returncode == 1
        assert parallel.stdout == serial.stdout and parallel.stderr == serial.stderr
        assert str(bad) in serial.stderr
