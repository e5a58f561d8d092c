"""Read A64 instruction words, symbols and code ranges out of an AArch64 ELF file.

``ElfImage`` is the one ELF reader of the project. Its parts:

* ``headers.py``: the ELF, section and program headers and the address
  layout (``ElfLayout``);
* ``symbols.py``: symbol tables, PLT stub names, demangling, and the
  address <-> name queries (``SymbolTable``);
* ``debugfile.py``: finding the separate debug file of a stripped file.

Addresses are virtual addresses (what ELR_ELx holds) for executables and
shared objects. In a relocatable object (``.o``, ``.ko``: ET_REL) every
section starts at 0, and an address is a section and an offset in it, shown
as ``objdump -d`` numbers them: ``.exit.text+0x58``. A plain number is an
offset in ``.text``; ``parse_address`` and ``address_of`` also take
``SECTION+OFFSET``, and ``describe`` / ``location`` give the section back.

A64 instructions are always little-endian in memory, also in big-endian
(aarch64_be) ELF files, where only the ELF headers and data are big-endian:
``word_at`` always reads code little-endian.
"""

from __future__ import annotations

import bisect
import mmap
import os
import re
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from ...errors import InputError, open_input, reading
from ...numbers import parse_int
from ...word import WORD_BYTES
from .debugfile import DEFAULT_DEBUG_DIR, find_debug_file
from .headers import SHF_ALLOC, SLOT_BITS, CodeRange, ElfLayout, Section
from .symbols import (
    LazySymbols,
    Symbol,
    SymbolTable,
    demangle,
    plt_symbols,
    read_lazy_symbols,
    read_mapping_symbols,
    read_symbol_table,
)

if TYPE_CHECKING:
    from ...word import WordArray
    from .symbols import MappingSymbols, NamedSymbols, Remap

__all__ = ["DEFAULT_DEBUG_DIR", "CodeRange", "ElfImage", "Section", "Symbol", "demangle"]

#: "name", "name+0x10", "name-16", "name + 0x10"; a name may hold spaces and
#: signs (a demangled ``ns::operator+(int) const``): the offset is the last term.
_SYMBOL_EXPR = re.compile(r"^\s*(?P<name>.+?)\s*(?:(?P<sign>[+-])\s*(?P<offset>\w+))?\s*$", re.S)

_PARSE_ERRORS = (ValueError, IndexError, KeyError, TypeError, OverflowError)


class ElfImage:
    """An AArch64 ELF file opened for reading instruction words and symbols.

    Raises InputError for a missing or unreadable file, a file that is not
    ELF, an ELF for another machine, or a truncated/corrupt ELF. Headers are
    read here; symbols on first use (a separate debug file, found under
    ``debug_dir``, then too). Query methods raise InputError only for bad
    addresses and symbol names. Use as a context manager or call close().
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 debug_dir: str | os.PathLike[str] = DEFAULT_DEBUG_DIR) -> None:
        self.path = Path(path)
        self.debug_dir = Path(debug_dir)
        self._data: mmap.mmap | None = _map_regular_file(path)
        if self._data is None:  # open_input's checks name what is wrong
            with open_input(self.path, "ELF file") as handle, reading(self.path, "ELF file"):
                if os.fstat(handle.fileno()).st_size == 0:
                    raise InputError(f"{self.path}: not an ELF file (empty)")
                self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            self.layout = ElfLayout(self._data, self.path)
        except InputError:
            self.close()
            raise
        except _PARSE_ERRORS as error:
            self.close()
            raise InputError(f"{self.path}: truncated or corrupt ELF ({_first_line(error)})") from None
        self.little_endian: bool = self.layout.little_endian
        self.elf_type: str = self.layout.elf_type
        self.is_relocatable: bool = self.layout.is_relocatable
        self._symbol_table: SymbolTable | None = None
        self._names_from: str | None = None
        self._named: list[Symbol] | LazySymbols | None = []
        self._mapping_symbols: list[tuple[int, str]] = []
        #: The separate debug file the symbols came from, if any (after the first query).
        self.debug_file: Path | None = None

    # -- symbols (read on first use) ---------------------------------------

    @property
    def symbols(self) -> SymbolTable:
        """All named symbols, PLT stubs included (read on first use)."""
        if self._symbol_table is None:
            source = self._source()
            try:
                named: list[Symbol] | LazySymbols
                if source == ".dynsym":
                    named = _read_names(self.layout, ".dynsym")
                else:
                    if self._named is None:  # names not read with the mapping symbols
                        self._named = (_read_names(self.layout, ".symtab")
                                       if source == ".symtab" else
                                       self._debug_file_symbols(names=True)[0])
                    named = self._named
                self._symbol_table = SymbolTable(named, self.layout, plt_symbols(self.layout))
            except _PARSE_ERRORS as error:
                raise InputError(f"{self.path}: corrupt symbol table ({_first_line(error)})") \
                    from None
        return self._symbol_table

    def _source(self) -> str:
        """Where the names come from: ".symtab", "debug" (the separate debug file)
        or ".dynsym". Reads .symtab (or the debug file's) once, names and mapping
        symbols together; .dynsym only when a name is asked for (a scan needs
        every file's mapping symbols, names only where it lists something).
        Once numpy is loaded, .symtab's names wait for the first name asked
        for (read_mapping_symbols)."""
        if self._names_from is None:
            layout = self.layout
            try:
                if "numpy" in sys.modules:
                    self._mapping_symbols, has_named = read_mapping_symbols(layout, ".symtab")
                    self._named = None
                else:
                    self._named, self._mapping_symbols = read_symbol_table(layout, ".symtab")
                    has_named = bool(self._named)
                self._names_from = ".symtab"
                if not has_named and layout.sections:
                    named, mapping, has_named = self._debug_file_symbols(
                        names="numpy" not in sys.modules)
                    if has_named:
                        self._names_from, self._named, self._mapping_symbols = \
                            "debug", named, mapping
                if not has_named:
                    self._names_from = ".dynsym"
            except _PARSE_ERRORS as error:
                raise InputError(f"{self.path}: corrupt symbol table ({_first_line(error)})") \
                    from None
        return self._names_from

    @overload
    def _debug_file_symbols(self, names: Literal[True]
                            ) -> tuple[NamedSymbols, MappingSymbols, bool]: ...

    @overload
    def _debug_file_symbols(self, names: bool
                            ) -> tuple[NamedSymbols | None, MappingSymbols, bool]: ...

    def _debug_file_symbols(self, names: bool
                            ) -> tuple[NamedSymbols | None, MappingSymbols, bool]:
        """(named symbols, mapping symbols, whether it has named symbols) of the
        separate debug file's .symtab, its sections mapped to ours by name
        (nothing when there is no usable debug file). Without ``names`` the
        named symbols are None: only the mapping symbols are read
        (read_mapping_symbols), the names on the first name asked for."""
        path = self.debug_file if self.debug_file is not None else \
            find_debug_file(self.layout, self.path, self.debug_dir)
        if path is None:
            return [], [], False
        try:
            with open_input(path, "debug file") as handle, reading(path, "debug file"):
                data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (InputError, ValueError):
            return [], [], False
        symbols: list[Symbol] | LazySymbols | None
        try:
            debug = ElfLayout(data, path, require_bytes=False)
            ours = {s.name: s.index for s in self.layout.sections if s.name}
            section_names = [s.name for s in debug.sections]

            def remap(shndx: int) -> int | None:
                return ours.get(section_names[shndx]) if shndx < len(section_names) else None

            if names and "numpy" not in sys.modules:  # names and mapping symbols at once
                symbols, mapping = read_symbol_table(debug, ".symtab", remap, self.layout)
                has_named = bool(symbols)
            elif names:  # the names only: the mapping symbols were read before
                symbols, mapping = read_lazy_symbols(debug, ".symtab", remap, self.layout)[0], []
                has_named = bool(len(symbols))
            else:
                symbols = None
                mapping, has_named = read_mapping_symbols(debug, ".symtab", remap, self.layout)
        except (InputError, *_PARSE_ERRORS):
            symbols, mapping, has_named = [], [], False  # unusable: as good as none
        finally:
            try:
                data.close()
            except BufferError:  # a numpy view of it is still alive; the GC unmaps it
                pass
        if has_named:
            self.debug_file = path
        return symbols, mapping, has_named

    def symbolize(self, vaddr: int, *, demangled: bool = False) -> str | None:
        """``name`` or ``name+0x10`` for the symbol holding vaddr (demangled on request)."""
        held = self.symbols.holder(vaddr)
        if held is None:
            return None
        symbol, delta = held
        name = demangle(symbol.name) if demangled else symbol.name
        return name if delta == 0 else f"{name}+{delta:#x}"

    def symbol_at(self, vaddr: int) -> tuple[Symbol, int] | None:
        """(symbol, offset from its start) naming vaddr, or None."""
        return self.symbols.holder(vaddr)

    def symbol_span(self, vaddr: int) -> tuple[Symbol | None, int]:
        """(the symbol naming vaddr, or None; the end of the addresses from
        vaddr on that the same symbol names): a listing asks once per span."""
        return self.symbols.holder_span(vaddr)

    def lookup(self, name: str) -> Symbol | None:
        """The symbol called ``name`` (raw or demangled), or None."""
        return self.symbols.lookup(name)

    def address_of(self, expr: str) -> int:
        """The address of ``name``, ``name+0x10``, ``name-8`` (raw or demangled name),
        or ``SECTION+OFFSET`` such as ``.exit.text+0x58`` (an allocated section).

        A symbol whose whole name matches ``expr`` (e.g. ``foo-bar``, or a
        demangled ``ns::f(int)``) wins over reading a ``-``/``+`` in it as an offset.
        """
        text = (expr or "").strip()
        whole = self.lookup(text)
        if whole is not None:
            return whole.vaddr
        match = _SYMBOL_EXPR.match(text)
        if not match:
            raise InputError(f"cannot read symbol expression {expr!r} (want name or name+0x10)")
        name = match["name"]
        offset = 0
        if match["offset"] is not None:
            offset = parse_int(match["offset"], f"bad offset in {expr!r}:")
            if match["sign"] == "-":
                offset = -offset
        symbol = self.lookup(name)
        if symbol is not None:
            return self._in_range(symbol.vaddr, offset, expr)
        section = self.layout.section_named(name)
        if section is not None and section.flags & SHF_ALLOC:
            return self._in_range(self.layout.base_of(section.index), offset, expr)
        where = "symbol table" if len(self.symbols) else "symbol table (the file has none)"
        raise InputError(f"unknown symbol {name!r}: not in the {where} of {self.path}")

    def _in_range(self, base: int, offset: int, expr: str) -> int:
        """base + offset, refused outside the 64-bit address space or, in a
        relocatable object, outside the section ``base`` lies in."""
        address = base + offset
        if not 0 <= address < 1 << 64:
            raise InputError(f"{expr!r} is outside the 64-bit address space")
        if self.is_relocatable and address >> SLOT_BITS != base >> SLOT_BITS:
            raise InputError(f"{expr!r} runs past the end of its section")
        return address

    def parse_address(self, text: str) -> int:
        """An address typed by a user: a number (hex, ``0x`` optional; in a
        relocatable object, an offset in ``.text``) or ``SECTION+OFFSET``."""
        stripped = (text or "").strip()
        if stripped[:1] == ".":
            return self.address_of(stripped)
        return parse_int(stripped, "--addr", hex_default=True)

    def describe(self, vaddr: int) -> str:
        """The address as ``objdump -d`` shows it: ``0x..``, or ``.section+0x..`` in ET_REL."""
        return self.layout.describe(vaddr)

    def pc(self, vaddr: int) -> int:
        """The address an instruction at vaddr is disassembled at: vaddr, or in
        a relocatable object its offset in its section (as ``objdump -d`` does)."""
        place = self.location(vaddr)
        return vaddr if place is None else place[1]

    def location(self, vaddr: int) -> tuple[str, int] | None:
        """(section name, offset in it) of vaddr in a relocatable object, else None."""
        if not self.is_relocatable:
            return None
        section = self.layout.section_at(vaddr)
        if section is None:
            return None
        return section.name, vaddr - self.layout.base_of(section.index)

    # -- words -------------------------------------------------------------

    def word_at(self, vaddr: int) -> int:
        """The 32-bit instruction word at address vaddr (always little-endian)."""
        if vaddr < 0:
            raise InputError(f"address {vaddr:#x} is negative")
        if vaddr % WORD_BYTES:
            raise InputError(f"address {self.describe(vaddr)} is not 4-byte aligned "
                             "(A64 instructions are)")
        offset = self.layout.locate(vaddr, WORD_BYTES)
        if offset is None:
            section = self.layout.section_at(vaddr)
            if section is not None:
                raise InputError(f"address {self.describe(vaddr)} is in {section.name}, "
                                 f"which has no bytes in {self.path}")
            where = ("section with bytes" if self.is_relocatable or not self.layout.segments
                     else "loaded segment")
            raise InputError(f"address {self.describe(vaddr)} is outside every {where} "
                             f"of {self.path}")
        return int.from_bytes(self.layout.bytes_at(offset, WORD_BYTES, "code"), "little")

    def words_at(self, vaddr: int, count: int) -> list[int]:
        """count consecutive instruction words from vaddr (see word_at)."""
        return [self.word_at(vaddr + WORD_BYTES * i) for i in range(count)]

    def executable_ranges(self) -> list[CodeRange]:
        """(name, vaddr, file_offset, size) of each executable section, by address.

        Without a section header table (sstrip'd files), the executable
        PT_LOAD segments instead, named ``LOAD[i]``.
        """
        return list(self.layout.exec_ranges)

    def mapping_symbols(self) -> list[tuple[int, str]]:
        """Sorted (vaddr, "$x" | "$d") mapping symbols of the executable sections.

        ``$x`` starts A64 code, ``$d`` data (literal pools, jump tables).
        ``$x.foo``/``$d.foo`` count as ``$x``/``$d``. Empty for stripped files.
        """
        self._source()
        return list(self._mapping_symbols)

    def mapping_at(self, vaddr: int) -> str | None:
        """``"$x"`` or ``"$d"``: the mapping symbol in force at vaddr, or None if none precedes it.

        Only meaningful inside an executable range.
        """
        marks = self.mapping_symbols()
        index = bisect.bisect_right(marks, (vaddr, "\uffff"))
        return marks[index - 1][1] if index else None

    def read(self, file_offset: int, size: int) -> bytes:
        """size raw bytes of the file from file_offset (for scanning a range)."""
        return self.layout.bytes_at(file_offset, size, "the requested bytes")

    def code_words(self, file_offset: int, count: int) -> WordArray:
        """A read-only numpy view of ``count`` instruction words at ``file_offset``
        (little-endian, as A64 fetches them), over the file's mmap: no copy.

        Valid until close(); raises InputError where the file is too short.
        """
        import numpy as np

        self.layout.check_in_file("code", file_offset, count * WORD_BYTES)
        return np.frombuffer(self.layout.data, dtype="<u4", count=count, offset=file_offset)

    def close(self) -> None:
        data = getattr(self, "_data", None)
        if data is not None:
            try:
                data.close()
            except BufferError:  # a code_words() view is still alive; the GC unmaps it
                pass
            self._data = None

    def __enter__(self) -> ElfImage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        endian = "little" if getattr(self, "little_endian", True) else "big"
        return f"ElfImage({str(self.path)!r}, {getattr(self, 'elf_type', '?')}, {endian}-endian)"


def _read_names(layout: ElfLayout, table_name: str, remap: Remap | None = None,
                target: ElfLayout | None = None) -> NamedSymbols:
    """The named symbols of a table: LazySymbols once numpy is loaded (names
    decoded for the symbols asked for), else read_symbol_table's list."""
    if "numpy" in sys.modules:
        return read_lazy_symbols(layout, table_name, remap, target)[0]
    return read_symbol_table(layout, table_name, remap, target)[0]


def _map_regular_file(path: str | os.PathLike[str]) -> mmap.mmap | None:
    """The file mapped read-only if it opens at once as a non-empty regular
    file, else None. open_input's rules (never block, regular files only)
    with fewer system calls and no file object: a scan opens thousands of
    files; anything else goes through open_input, for its error message."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError, TypeError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            return None
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
