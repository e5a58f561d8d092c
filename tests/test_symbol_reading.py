"""The ways of reading a symbol table agree with the entry-by-entry Python
reader (read_table_py): read_symbol_table with numpy (the same named and
mapping symbols) and read_mapping_symbols (no names; a scan's first pass:
the mapping symbols and whether there is a named one), on every fixture ELF,
on seeded random corruptions of a relocatable object's and a big-endian
file's symbol and string tables, and on a debug file's table mapped to its
stripped file; and SymbolTable orders symbols by (address, -size, name)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from a64fault.decoder.elf.headers import ElfLayout
from a64fault.decoder.elf.symbols import (
    Symbol,
    SymbolTable,
    _address_order,
    plt_symbols,
    read_lazy_symbols,
    read_mapping_symbols,
    read_symbol_table,
    read_table_py,
)
from a64fault.errors import InputError

pytest.importorskip("numpy")
ELF = Path(__file__).resolve().parent.parent / "fixtures" / "elf"
FIXTURES = sorted(p.name for p in ELF.iterdir() if p.is_file() and p.suffix != ".s"
                  and p.read_bytes()[:4] == b"\x7fELF")


def answers_of(layout, name: str, remap=None, target=None) -> list:
    """Per reader, its answer as (named symbols, mapping symbols, any named)
    (read_mapping_symbols: named None), or its error's text."""
    answers = []
    for read in (read_table_py, read_symbol_table, read_mapping_symbols):
        try:
            got = read(layout, name, remap, target)
        except InputError as error:
            answers.append(str(error))
            continue
        if read is read_mapping_symbols:
            answers.append((None, got[0], got[1]))
        else:
            answers.append((got[0], got[1], bool(got[0])))
    return answers


def agree(answers: list) -> bool:
    python, with_numpy, mapping_only = answers
    if isinstance(python, str):
        return with_numpy == python and mapping_only == python
    return with_numpy == python and mapping_only == (None, python[1], python[2])


def both(data: bytes, name: str):
    try:
        layout = ElfLayout(data, "f", require_bytes=False)
    except InputError:
        return None
    return answers_of(layout, name)


@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures(name):
    data = (ELF / name).read_bytes()
    for table in (".symtab", ".dynsym"):
        answers = both(data, table)
        if answers is not None:
            assert agree(answers)


@pytest.mark.parametrize("name", ["mod.o", "tiny-be", "table"])
def test_corrupted_tables(name):
    data = (ELF / name).read_bytes()
    layout = ElfLayout(data, name)
    spans = [(s.offset, s.size) for s in layout.sections
             if s.name in (".symtab", ".strtab") and s.size]
    assert len(spans) == 2
    rng = random.Random(name)
    mapped = 0
    for _ in range(300):
        mutant = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            offset, size = rng.choice(spans)
            at = offset + rng.randrange(size)
            mutant[at] = rng.choice([0, ord("$"), ord("x"), ord("d"), ord("."), 0xFF,
                                     rng.randrange(256)])
        answers = both(bytes(mutant), ".symtab")
        if answers is not None:
            assert agree(answers)
            mapped += isinstance(answers[0], tuple) and bool(answers[0][1])
    assert mapped > 0


def random_symbols(rng: random.Random, count: int) -> list[Symbol]:
    """Symbols with many shared addresses, sizes and names (ties at every level)."""
    return [Symbol(rng.choice("abc") * rng.randrange(1, 3), rng.randrange(4) * 4,
                   rng.randrange(3) * 8, rng.random() < 0.5, 1) for _ in range(count)]


@pytest.mark.parametrize("with_numpy", [False, True])
def test_symbol_order(with_numpy):
    rng = random.Random(5)
    for count in (0, 1, 2, 300):
        symbols = random_symbols(rng, count)
        order = _address_order([s.vaddr for s in symbols], [s.size for s in symbols],
                               lambda k, symbols=symbols: symbols[k].name, with_numpy)
        assert [symbols[k] for k in order] == sorted(symbols,
                                                     key=lambda s: (s.vaddr, -s.size, s.name))
    table = SymbolTable(symbols, ElfLayout((ELF / "tiny-le").read_bytes(), "tiny-le"))
    assert table.sorted_symbols() == sorted(symbols, key=lambda s: (s.vaddr, -s.size, s.name))


@pytest.mark.parametrize("name", FIXTURES)
def test_lazy_symbols_name_the_same_addresses(name):
    """The names decoded on demand (LazySymbols) are read_table_py's symbols,
    and a table over them answers holder_span as one over the list does, at
    every word of every executable range and a few past them."""
    data = (ELF / name).read_bytes()
    try:
        layout = ElfLayout(data, name)
    except InputError:
        return
    for table_name in (".symtab", ".dynsym"):
        lazy, mapping = read_lazy_symbols(layout, table_name)
        listed, listed_mapping = read_table_py(layout, table_name)
        assert lazy.to_list() == listed and mapping == listed_mapping
        extra = plt_symbols(layout)
        eager = SymbolTable(listed, layout, extra)
        on_demand = SymbolTable(read_lazy_symbols(layout, table_name)[0], layout, extra)
        assert on_demand.symbols == eager.symbols and len(on_demand) == len(eager)
        for _name, vaddr, _offset, size in layout.exec_ranges:
            for address in range(vaddr, vaddr + size + 64, 4):
                assert on_demand.holder_span(address) == eager.holder_span(address)


def test_debug_file_tables_mapped_to_the_stripped_file():
    """A debug file's table read for its stripped file (sections mapped by name),
    with seeded corruptions of the table, its strings and its section names."""
    target = ElfLayout((ELF / "dso-stripped.so").read_bytes(), "dso-stripped.so")
    ours = {s.name: s.index for s in target.sections if s.name}
    data = (ELF / "dso.debug").read_bytes()
    clean = ElfLayout(data, "dso.debug", require_bytes=False)
    spans = [(s.offset, s.size) for s in clean.sections if s.name in (".symtab", ".strtab")]
    names = clean.sections[clean.section_named(".shstrtab").index]
    spans.append((names.offset, names.size))
    rng = random.Random(3)
    agreed = 0
    for trial in range(300):
        mutant = bytearray(data)
        for _ in range(rng.randrange(0 if trial == 0 else 1, 5)):
            offset, size = rng.choice(spans)
            mutant[offset + rng.randrange(size)] = rng.choice([0, ord("$"), ord("."),
                                                               rng.randrange(256)])
        try:
            debug = ElfLayout(bytes(mutant), "dso.debug", require_bytes=False)
        except InputError:
            continue
        section_names = [s.name for s in debug.sections]

        def remap(shndx, section_names=section_names):
            return ours.get(section_names[shndx]) if shndx < len(section_names) else None

        answers = answers_of(debug, ".symtab", remap, target)
        assert agree(answers)
        agreed += answers[0][2] is True if isinstance(answers[0], tuple) else 0
    assert agreed > 100
