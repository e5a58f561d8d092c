"""Read A64 instruction words, symbols and code ranges out of an AArch64 ELF file.

Addresses are virtual addresses (what ELR_ELx holds) for executables and
shared objects: an address is mapped to the file through the PT_LOAD
segments (or, for a file without program headers, its allocated sections).

Relocatable objects (``.o``, ET_REL) have every section at address 0. Here an
address in a ``.o`` means a *section-relative offset*: the allocated sections
that hold bytes are laid out one after another from 0, in section-header
order, each at its own alignment, as a linker would place them. The first
such section is ``.text`` in compiler and assembler output, so an address in
a ``.o`` is the offset within ``.text`` (``objdump -d`` shows the same
numbers); later sections (``.text.foo``, ``.rodata``) follow it. Symbol
values, mapping symbols and executable ranges all use this layout.

A64 instructions are always little-endian in memory, also in big-endian
(aarch64_be) ELF files, where only the ELF headers and data are big-endian:
``word_at`` always reads code little-endian.
"""

from __future__ import annotations

import bisect
import mmap
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from elftools.common.exceptions import ELFError, ELFParseError
from elftools.construct import ConstructError
from elftools.elf.constants import P_FLAGS, SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.enums import ENUM_P_TYPE_BASE, ENUM_SH_TYPE_BASE

from ..errors import InputError, reading
from ..word import WORD_BYTES

#: How many symbols below an address symbolize() looks at (nested/overlapping symbols).
_SYMBOLIZE_WINDOW = 64

#: Symbol types that name code or data a fault address can be inside (ELF st_info
#: low nibble): STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2, STT_TLS 6, STT_GNU_IFUNC 10.
_NAMED_TYPE_CODES = (0, 1, 2, 6, 10)
_ST_BIND_SHIFT = 4  # st_info = bind << 4 | type
_ST_TYPE_MASK = (1 << _ST_BIND_SHIFT) - 1
_STB_LOCAL = 0
_SHN_UNDEF = 0
_SHN_LORESERVE = 0xFF00  # ABS, COMMON and the other reserved indexes lie above

#: "name", "name+0x10", "name-16", "name + 0x10".
_SYMBOL_EXPR = re.compile(r"^\s*(?P<name>[^+\s]+?)\s*(?:(?P<sign>[+-])\s*(?P<offset>\w+))?\s*$")

_PARSE_ERRORS = (ELFError, ELFParseError, ConstructError, struct.error, ValueError, IndexError,
                 KeyError, TypeError, AttributeError)


@dataclass(frozen=True)
class _Mapping:
    """A run of file bytes seen at [vaddr, vaddr + size)."""

    vaddr: int
    file_offset: int
    size: int
    name: str


class _Header(dict):
    """One section or program header: its fields under pyelftools' names (and a
    section's ``name``)."""

    name = ""


#: Elf64_Shdr and Elf64_Phdr, fields in file order.
_SHDR_FIELDS = ("sh_name", "sh_type", "sh_flags", "sh_addr", "sh_offset", "sh_size", "sh_link",
                "sh_info", "sh_addralign", "sh_entsize")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_PHDR_FIELDS = ("p_type", "p_flags", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz",
                "p_align")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHN_XINDEX = 0xFFFF  # e_shstrndx escape: the real index is in section 0's sh_link
_SH_TYPE_NAMES = {v: k for k, v in ENUM_SH_TYPE_BASE.items() if isinstance(v, int)}
_PT_NAMES = {v: k for k, v in ENUM_P_TYPE_BASE.items() if isinstance(v, int)}


class _Symbol(NamedTuple):
    """A named symbol (a tuple: tens of thousands are made per shared library)."""

    name: str
    vaddr: int
    size: int
    is_global: bool


class ElfImage:
    """An AArch64 ELF file opened for reading instruction words and symbols.

    Raises InputError for a missing or unreadable file, a file that is not
    ELF, an ELF for another machine, or a truncated/corrupt ELF. All parsing
    happens here, so the query methods only raise InputError for bad
    addresses and symbol names. Use as a context manager or call close().
    """

    def __init__(self, path):
        self.path = Path(path)
        with reading(self.path, "ELF file"), open(self.path, "rb") as handle:
            if self.path.stat().st_size == 0:
                raise InputError(f"{self.path}: not an ELF file (empty)")
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self._data[:4] != b"\x7fELF":
            self.close()
            raise InputError(f"{self.path}: not an ELF file")
        try:
            self._load()
        except InputError:
            self.close()
            raise
        except _PARSE_ERRORS as error:
            self.close()
            raise InputError(f"{self.path}: truncated or corrupt ELF ({_first_line(error)})") from None

    # -- loading -----------------------------------------------------------

    def _load(self) -> None:
        elf = ELFFile(self._data)
        machine = elf["e_machine"]
        if machine != "EM_AARCH64":
            raise InputError(f"{self.path}: ELF for {_machine_name(machine)}, not AArch64")
        if elf.elfclass != 64:
            raise InputError(f"{self.path}: 32-bit ELF (AArch64 ILP32) is not supported")
        self.little_endian: bool = elf.little_endian
        self.elf_type: str = elf["e_type"]
        self.elfclass: int = elf.elfclass
        self._file_size = len(self._data)
        sections = self._section_headers(elf)
        segments = self._segment_headers(elf)
        self._section_base = self._section_bases(sections)
        self._mappings = self._build_mappings(sections, segments)
        self._exec_ranges = self._build_exec_ranges(sections, segments)
        self._symbols, self._mapping_symbols = self._read_symbols(elf, sections)
        self._by_name: dict[str, _Symbol] = {}
        for symbol in self._symbols:
            known = self._by_name.get(symbol.name)
            if known is None or (symbol.is_global and not known.is_global):
                self._by_name[symbol.name] = symbol
        self._sorted = sorted(self._symbols, key=lambda s: (s.vaddr, -s.size, s.name))
        self._sorted_addrs = [s.vaddr for s in self._sorted]

    def _check_in_file(self, what: str, offset: int, size: int) -> None:
        if offset + size > self._file_size:
            raise InputError(
                f"{self.path}: truncated ELF: {what} ends at byte {offset + size:#x}, "
                f"the file has {self._file_size:#x} bytes")

    def _header_table(self, what: str, offset: int, count: int, entry_size: int,
                      layout: struct.Struct, fields: tuple[str, ...]) -> list[_Header]:
        """Records of a header table (sections or segments), read directly.

        pyelftools' iter_sections()/iter_segments() build an object per header
        and parse hash tables and the dynamic segment whole while doing so (a
        third of a second on a large shared library); only the headers are
        needed here.
        """
        if offset == 0 or count == 0:
            return []
        if entry_size != layout.size:
            raise InputError(f"{self.path}: corrupt ELF: {what} entry size {entry_size}")
        self._check_in_file(what, offset, count * layout.size)
        order = "<" if self.little_endian else ">"
        record = struct.Struct(order + layout.format[1:])
        return [_Header(zip(fields, record.unpack_from(self._data, offset + i * record.size)))
                for i in range(count)]

    def _section_headers(self, elf) -> list[_Header]:
        """The section headers, sh_type as pyelftools names it, each with ``name``."""
        count = elf["e_shnum"]
        if count == 0 and elf["e_shoff"]:  # extended numbering: section 0's sh_size
            count = self._header_table("the section header table", elf["e_shoff"], 1,
                                       elf["e_shentsize"], _SHDR, _SHDR_FIELDS)[0]["sh_size"]
        headers = self._header_table("the section header table", elf["e_shoff"], count,
                                     elf["e_shentsize"], _SHDR, _SHDR_FIELDS)
        names_index = elf["e_shstrndx"]
        if names_index == _SHN_XINDEX and headers:
            names_index = headers[0]["sh_link"]
        table = b""
        if 0 < names_index < len(headers):
            names = headers[names_index]
            self._check_in_file("the section name table", names["sh_offset"], names["sh_size"])
            table = bytes(self._data[names["sh_offset"]:names["sh_offset"] + names["sh_size"]])
        for header in headers:
            header["sh_type"] = _SH_TYPE_NAMES.get(header["sh_type"], header["sh_type"])
            start = header["sh_name"]
            if start < len(table):
                header.name = _c_string(table, start)
        return headers

    def _segment_headers(self, elf) -> list[_Header]:
        """The program headers, p_type as pyelftools names it."""
        headers = self._header_table("the program header table", elf["e_phoff"],
                                     elf["e_phnum"], elf["e_phentsize"], _PHDR, _PHDR_FIELDS)
        for header in headers:
            header["p_type"] = _PT_NAMES.get(header["p_type"], header["p_type"])
        return headers

    def _section_bases(self, sections) -> dict[int, int]:
        """Section index -> the address its offset 0 has (sh_addr, or the .o layout)."""
        bases = {}
        if self.elf_type != "ET_REL":
            for index, section in enumerate(sections):
                bases[index] = section["sh_addr"]
            return bases
        cursor = 0
        for index, section in enumerate(sections):
            if not _has_bytes(section):
                bases[index] = 0
                continue
            align = max(section["sh_addralign"], 1)
            cursor = -(-cursor // align) * align
            bases[index] = cursor
            cursor += section["sh_size"]
        return bases

    def _build_mappings(self, sections, segments) -> list[_Mapping]:
        mappings = []
        if self.elf_type != "ET_REL":
            for index, segment in enumerate(segments):
                if segment["p_type"] != "PT_LOAD" or segment["p_filesz"] == 0:
                    continue
                name = f"LOAD[{index}]"
                self._check_in_file(f"segment {name}", segment["p_offset"], segment["p_filesz"])
                mappings.append(_Mapping(segment["p_vaddr"], segment["p_offset"],
                                         segment["p_filesz"], name))
        if not mappings:
            for index, section in enumerate(sections):
                if _has_bytes(section):
                    self._check_in_file(f"section {section.name}", section["sh_offset"],
                                        section["sh_size"])
                    mappings.append(_Mapping(self._section_base[index], section["sh_offset"],
                                             section["sh_size"], section.name))
        for index, section in enumerate(sections):
            if _has_bytes(section) or section["sh_type"] in ("SHT_SYMTAB", "SHT_DYNSYM",
                                                              "SHT_STRTAB"):
                self._check_in_file(f"section {section.name or index}", section["sh_offset"],
                                    section["sh_size"])
        return sorted(mappings, key=lambda m: m.vaddr)

    def _build_exec_ranges(self, sections, segments) -> list[tuple[str, int, int, int]]:
        ranges = []
        for index, section in enumerate(sections):
            if _has_bytes(section) and section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR:
                ranges.append((section.name, self._section_base[index], section["sh_offset"],
                               section["sh_size"]))
        if not ranges and not sections:
            for index, segment in enumerate(segments):
                if (segment["p_type"] == "PT_LOAD" and segment["p_flags"] & P_FLAGS.PF_X
                        and segment["p_filesz"]):
                    ranges.append((f"LOAD[{index}]", segment["p_vaddr"], segment["p_offset"],
                                   segment["p_filesz"]))
        return sorted(ranges, key=lambda r: r[1])

    def _read_symbols(self, elf, sections):
        """(symbols of .symtab, else .dynsym; sorted mapping symbols of .symtab).

        Elf64_Sym entries are read as one numpy array per table: pyelftools'
        per-symbol parser takes seconds on a large shared library's dynsym.
        """
        import numpy as np

        order = "<" if self.little_endian else ">"
        sym_dtype = np.dtype([("name", order + "u4"), ("info", "u1"), ("other", "u1"),
                              ("shndx", order + "u2"), ("value", order + "u8"),
                              ("size", order + "u8")])
        exec_sections = [index for index, section in enumerate(sections)
                         if _has_bytes(section) and section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR]
        bases = np.zeros(max(len(sections), 1), dtype=np.uint64)
        if self.elf_type == "ET_REL":
            for index, base in self._section_base.items():
                bases[index] = base
        symbols: list[_Symbol] = []
        mapping: set[tuple[int, str]] = set()
        for table_name in (".symtab", ".dynsym"):
            # Not elf.get_section_by_name: it rebuilds every section object.
            table = next((t for t in sections if t.name == table_name), None)
            if table is None or table["sh_type"] not in ("SHT_SYMTAB", "SHT_DYNSYM"):
                continue
            strtab = sections[table["sh_link"]]
            self._check_in_file(f"section {table_name}", table["sh_offset"], table["sh_size"])
            self._check_in_file("its string table", strtab["sh_offset"], strtab["sh_size"])
            strings = bytes(self._data[strtab["sh_offset"]:strtab["sh_offset"] + strtab["sh_size"]])
            entries = np.frombuffer(self._data, dtype=sym_dtype, offset=table["sh_offset"],
                                    count=table["sh_size"] // sym_dtype.itemsize)
            shndx = entries["shndx"].astype(np.int64)
            keep = (shndx != _SHN_UNDEF) & (shndx < _SHN_LORESERVE)  # not UNDEF/ABS/COMMON
            vaddr = entries["value"].copy()
            if self.elf_type == "ET_REL":
                vaddr[keep] += bases[np.minimum(shndx[keep], len(bases) - 1)]
            # Mapping symbols ("$x", "$d", "$x.foo"...) by their first three name bytes.
            raw = np.frombuffer(strings + b"\0\0\0", dtype=np.uint8)
            offsets = np.minimum(entries["name"].astype(np.int64), len(strings))
            third = raw[offsets + 2]
            is_mapping = ((raw[offsets] == ord("$")) & np.isin(raw[offsets + 1], (ord("x"), ord("d")))
                          & ((third == 0) | (third == ord("."))))
            if table_name == ".symtab":
                here = keep & is_mapping & np.isin(shndx, exec_sections)
                for addr, letter in zip(vaddr[here].tolist(), raw[offsets[here] + 1].tolist()):
                    mapping.add((addr, "$" + chr(letter)))
            named = (keep & ~is_mapping & (raw[offsets] != 0)
                     & np.isin(entries["info"] & _ST_TYPE_MASK, _NAMED_TYPE_CODES))
            found = [_Symbol(_c_string(strings, start),
                             addr, size, info >> _ST_BIND_SHIFT != _STB_LOCAL)
                     for start, addr, size, info in zip(
                         offsets[named].tolist(), vaddr[named].tolist(),
                         entries["size"][named].tolist(), entries["info"][named].tolist())]
            if found:
                symbols = found
                break
        return symbols, sorted(mapping)

    # -- queries -----------------------------------------------------------

    def _locate(self, vaddr: int, size: int) -> int | None:
        """File offset of [vaddr, vaddr+size) if one mapping holds all of it."""
        for mapping in self._mappings:
            if mapping.vaddr <= vaddr and vaddr + size <= mapping.vaddr + mapping.size:
                return mapping.file_offset + vaddr - mapping.vaddr
        return None

    def word_at(self, vaddr: int) -> int:
        """The 32-bit instruction word at virtual address vaddr (always little-endian)."""
        if vaddr < 0:
            raise InputError(f"address {vaddr:#x} is negative")
        if vaddr % WORD_BYTES:
            raise InputError(f"address {vaddr:#x} is not 4-byte aligned (A64 instructions are)")
        offset = self._locate(vaddr, WORD_BYTES)
        if offset is None:
            raise InputError(f"address {vaddr:#x} is outside every loaded segment of {self.path}")
        return int.from_bytes(self._data[offset:offset + WORD_BYTES], "little")

    def words_at(self, vaddr: int, count: int) -> list[int]:
        """count consecutive instruction words from vaddr (see word_at)."""
        return [self.word_at(vaddr + WORD_BYTES * i) for i in range(count)]

    def address_of(self, expr: str) -> int:
        """The address of a symbol expression such as ``name``, ``name+0x10`` or ``name-8``.

        A symbol whose whole name matches ``expr`` (e.g. ``foo-bar``) wins over
        reading a ``-``/``+`` in it as an offset.
        """
        whole = self._by_name.get((expr or "").strip())
        if whole is not None:
            return whole.vaddr
        match = _SYMBOL_EXPR.match(expr or "")
        if not match:
            raise InputError(f"cannot read symbol expression {expr!r} (want name or name+0x10)")
        name = match["name"]
        offset = 0
        if match["offset"] is not None:
            try:
                offset = int(match["offset"], 0)
            except ValueError:
                raise InputError(f"bad offset {match['offset']!r} in {expr!r}") from None
            if match["sign"] == "-":
                offset = -offset
        symbol = self._by_name.get(name)
        if symbol is None:
            where = "symbol table" if self._symbols else "symbol table (the file has none)"
            raise InputError(f"unknown symbol {name!r}: not in the {where} of {self.path}")
        return symbol.vaddr + offset

    def symbolize(self, vaddr: int) -> str | None:
        """``name`` or ``name+0x10`` for the symbol holding vaddr (.symtab, else .dynsym)."""
        index = bisect.bisect_right(self._sorted_addrs, vaddr)
        best = None
        # Walk back over the symbols at or below vaddr: a sized symbol that
        # holds vaddr wins; else the nearest label (size 0) before it.
        for symbol in reversed(self._sorted[max(0, index - _SYMBOLIZE_WINDOW):index]):
            if symbol.size and vaddr < symbol.vaddr + symbol.size:
                best = symbol
                break
            if not symbol.size and best is None:
                best = symbol
        if best is None:
            return None
        delta = vaddr - best.vaddr
        return best.name if delta == 0 else f"{best.name}+{delta:#x}"

    def executable_ranges(self) -> list[tuple[str, int, int, int]]:
        """(name, vaddr, file_offset, size) of each executable section, by address.

        Without a section header table (sstrip'd files), the executable
        PT_LOAD segments instead, named ``LOAD[i]``.
        """
        return list(self._exec_ranges)

    def mapping_symbols(self) -> list[tuple[int, str]]:
        """Sorted (vaddr, "$x" | "$d") mapping symbols of the executable sections.

        ``$x`` starts A64 code, ``$d`` data (literal pools, jump tables).
        ``$x.foo``/``$d.foo`` count as ``$x``/``$d``. Empty for stripped files.
        """
        return list(self._mapping_symbols)

    def mapping_at(self, vaddr: int) -> str | None:
        """``"$x"`` or ``"$d"``: the mapping symbol in force at vaddr, or None if none precedes it.

        Only meaningful inside an executable range.
        """
        index = bisect.bisect_right(self._mapping_symbols, (vaddr, "\uffff"))
        return self._mapping_symbols[index - 1][1] if index else None

    def read(self, file_offset: int, size: int) -> bytes:
        """size raw bytes of the file from file_offset (for scanning a range)."""
        return bytes(self._data[file_offset:file_offset + size])

    def code_words(self, file_offset: int, count: int):
        """A read-only numpy view of ``count`` instruction words at ``file_offset``
        (little-endian, as A64 fetches them), over the file's mmap: no copy.

        Valid until close(); raises InputError where the file is too short.
        """
        import numpy as np

        self._check_in_file("code", file_offset, count * WORD_BYTES)
        return np.frombuffer(self._data, dtype="<u4", count=count, offset=file_offset)

    def close(self) -> None:
        data = getattr(self, "_data", None)
        if data is not None:
            try:
                data.close()
            except BufferError:  # a code_words() view is still alive; the GC unmaps it
                pass
            self._data = None  # type: ignore[assignment]  # closed: no use after this

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        endian = "little" if getattr(self, "little_endian", True) else "big"
        return f"ElfImage({str(self.path)!r}, {getattr(self, 'elf_type', '?')}, {endian}-endian)"


def _has_bytes(section) -> bool:
    return (bool(section["sh_flags"] & SH_FLAGS.SHF_ALLOC) and section["sh_type"] != "SHT_NOBITS"
            and section["sh_size"] > 0)


def _machine_name(machine) -> str:
    names = {"EM_X86_64": "x86-64", "EM_386": "i386", "EM_ARM": "32-bit Arm",
             "EM_RISCV": "RISC-V", "EM_PPC64": "PowerPC64", "EM_S390": "s390"}
    return f"{names.get(machine, machine)} ({machine})" if machine in names else str(machine)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _c_string(table: bytes, start: int) -> str:
    """The NUL-terminated string at ``start`` of a string table (to its end if unterminated)."""
    end = table.find(b"\0", start)
    return table[start:end if end >= 0 else None].decode("utf-8", "replace")
