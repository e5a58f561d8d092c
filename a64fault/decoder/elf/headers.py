"""The headers of an AArch64 ELF file and where its sections sit in the address space.

``ElfLayout`` reads the ELF header, the section headers and the program
headers straight from the file bytes (``struct``; pyelftools is imported only
to name a foreign machine in an error message) and derives:

* the *address space* the rest of the reader works in: virtual addresses
  for executables and shared objects; for relocatable objects (ET_REL,
  every section at address 0) each section gets its own disjoint slot
  (``.text`` at 0, section ``i`` at ``i << SLOT_BITS``), so an address
  names one section and an offset within it, as ``objdump -d`` numbers them;
* the mappings from addresses to file bytes (PT_LOAD segments, else the
  allocated sections);
* the executable ranges (sections with SHF_EXECINSTR, else executable
  PT_LOAD segments) and which section holds an address.

Numbers below are the ELF specification's (gABI) constants.
"""

from __future__ import annotations

import bisect
import mmap
import os
import struct
from typing import NamedTuple, TypeAlias

from ...errors import InputError
from ...word import WORD_BYTES  # noqa: F401  (the unit of every code range)

ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
_ET_NAMES = {0: "ET_NONE", ET_REL: "ET_REL", ET_EXEC: "ET_EXEC", ET_DYN: "ET_DYN", 4: "ET_CORE"}
EM_AARCH64 = 183
ELFCLASS64 = 2
ELFDATA2LSB, ELFDATA2MSB = 1, 2

SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA = 1, 2, 3, 4
SHT_NOTE, SHT_NOBITS, SHT_DYNSYM = 7, 8, 11
SHF_ALLOC, SHF_EXECINSTR, SHF_TLS = 0x2, 0x4, 0x400
PT_LOAD = 1
PF_X = 0x1
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00  # ABS, COMMON and the other reserved indexes lie at and above
_SHN_XINDEX = 0xFFFF  # e_shstrndx escape: the real index is in section 0's sh_link

#: ET_REL: section i's offset 0 is at address i << SLOT_BITS (``.text`` at 0).
#: Sections with bytes fit in the file, so far below one slot (1 TiB).
SLOT_BITS = 40
SLOT_SIZE = 1 << SLOT_BITS

_EHDR = struct.Struct("16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("IIQQQQIIQQ")
_PHDR = struct.Struct("IIQQQQQQ")


_new_tuple = tuple.__new__


#: An executable section (or segment): (name, vaddr, file offset, size).
CodeRange: TypeAlias = tuple[str, int, int, int]


class Section(NamedTuple):
    """One section header (Elf64_Shdr) with its name and index (a tuple: made
    for every section of every file a scan opens)."""

    index: int  # type: ignore[assignment]  # the header's number; shadows tuple.index
    name: str
    sh_type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    align: int
    entsize: int

    @property
    def has_bytes(self) -> bool:
        """Allocated, in the file (not NOBITS) and not empty: loaded from the file."""
        return bool(self.flags & SHF_ALLOC) and self.sh_type != SHT_NOBITS and self.size > 0

    @property
    def is_code(self) -> bool:
        return self.has_bytes and bool(self.flags & SHF_EXECINSTR)


class Segment(NamedTuple):
    """One program header (Elf64_Phdr)."""

    index: int  # type: ignore[assignment]  # the header's number; shadows tuple.index
    p_type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


class Mapping(NamedTuple):
    """A run of file bytes seen at [vaddr, vaddr + size)."""

    vaddr: int
    file_offset: int
    size: int
    name: str


class ElfLayout:
    """Headers, sections, segments and the address layout of one ELF file's bytes.

    ``data`` is the whole file (bytes or an mmap); ``path`` names it in
    messages. Raises InputError for a file that is not a 64-bit AArch64 ELF
    or whose header tables do not fit in it. ``require_bytes=False`` reads a
    separate debug file, whose segments and code sections have no bytes.
    """

    def __init__(self, data: bytes | mmap.mmap, path: str | os.PathLike[str], *,
                 require_bytes: bool = True) -> None:
        self.data = data
        self.path = path
        self.file_size = len(data)
        if bytes(data[:4]) != b"\x7fELF":
            raise InputError(f"{path}: not an ELF file")
        self.check_in_file("the ELF header", 0, _EHDR.size)
        ident = bytes(data[:16])
        if ident[5] not in (ELFDATA2LSB, ELFDATA2MSB):
            raise InputError(f"{path}: corrupt ELF: unknown data encoding {ident[5]}")
        self.little_endian = ident[5] == ELFDATA2LSB
        self._order = "<" if self.little_endian else ">"
        (_, e_type, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
         shstrndx) = struct.unpack_from(self._order + _EHDR.format, data, 0)
        if machine != EM_AARCH64:
            raise InputError(f"{path}: ELF for {_machine_name(machine)}, not AArch64")
        if ident[4] != ELFCLASS64:
            raise InputError(f"{path}: 32-bit ELF (AArch64 ILP32) is not supported")
        self.e_type = e_type
        self.elf_type = _ET_NAMES.get(e_type, f"ET_{e_type:#x}")
        self.is_relocatable = e_type == ET_REL
        self.sections = self._read_sections(shoff, shnum, shentsize, shstrndx)
        self.segments = self._read_segments(phoff, phnum, phentsize)
        self._base = {s.index: self._section_base(s) for s in self.sections}
        self.mappings = self._build_mappings(require_bytes)
        self.exec_ranges = self._build_exec_ranges()
        # Sections by address, for section_at(): allocated ones only, without
        # TLS NOBITS (.tbss overlaps the sections after it).
        placed = sorted((self.base_of(s.index), s.index) for s in self.sections
                        if s.flags & SHF_ALLOC and s.size and not (
                            s.flags & SHF_TLS and s.sh_type == SHT_NOBITS))
        self._placed_starts = [start for start, _ in placed]
        self._placed = [self.sections[index] for _, index in placed]
        self._text = self.section_named(".text")

    # -- reading -----------------------------------------------------------

    def check_in_file(self, what: str, offset: int, size: int) -> None:
        """Raise InputError unless [offset, offset + size) lies inside the file."""
        if offset < 0 or size < 0 or offset + size > self.file_size:
            raise InputError(
                f"{self.path}: truncated ELF: {what} ends at byte {offset + size:#x}, "
                f"the file has {self.file_size:#x} bytes")

    def bytes_at(self, offset: int, size: int, what: str) -> bytes:
        self.check_in_file(what, offset, size)
        return bytes(self.data[offset:offset + size])

    def _table(self, what: str, offset: int, count: int, entry_size: int,
               layout: struct.Struct) -> list[tuple[int, ...]]:
        if offset == 0 or count == 0:
            return []
        if entry_size != layout.size:
            raise InputError(f"{self.path}: corrupt ELF: {what} entry size {entry_size}")
        self.check_in_file(what, offset, count * layout.size)
        record = struct.Struct(self._order + layout.format)
        return list(record.iter_unpack(self.data[offset:offset + count * layout.size]))

    def _read_sections(self, shoff: int, shnum: int, shentsize: int, shstrndx: int) -> list[Section]:
        what = "the section header table"
        count = shnum
        if count == 0 and shoff:  # extended numbering: the count is section 0's sh_size
            count = self._table(what, shoff, 1, shentsize, _SHDR)[0][5]
        raw = self._table(what, shoff, count, shentsize, _SHDR)
        if shstrndx == _SHN_XINDEX and raw:
            shstrndx = raw[0][6]
        names = b""
        if 0 < shstrndx < len(raw):
            names = self.bytes_at(raw[shstrndx][4], raw[shstrndx][5], "the section name table")
        limit = len(names)
        # tuple.__new__: the NamedTuple constructor's Python frame cost more than
        # the rest of reading a header (a scan reads every section of every file).
        return [_new_tuple(Section, (i, c_string(names, r[0]) if r[0] < limit else "") + r[1:])
                for i, r in enumerate(raw)]

    def _read_segments(self, phoff: int, phnum: int, phentsize: int) -> list[Segment]:
        raw = self._table("the program header table", phoff, phnum, phentsize, _PHDR)
        return [Segment(i, r[0], r[1], r[2], r[3], r[5], r[6]) for i, r in enumerate(raw)]

    # -- layout ------------------------------------------------------------

    def _section_base(self, section: Section) -> int:
        if not self.is_relocatable:
            return section.addr
        return 0 if section.name == ".text" else section.index << SLOT_BITS

    def base_of(self, index: int) -> int:
        """The address of offset 0 of section ``index`` (sh_addr, or its ET_REL slot)."""
        return self._base[index]

    def _build_mappings(self, require_bytes: bool) -> list[Mapping]:
        mappings = []
        if not self.is_relocatable:
            for segment in self.segments:
                if segment.p_type != PT_LOAD or segment.filesz == 0:
                    continue
                name = f"LOAD[{segment.index}]"
                if require_bytes:
                    self.check_in_file(f"segment {name}", segment.offset, segment.filesz)
                mappings.append(Mapping(segment.vaddr, segment.offset, segment.filesz, name))
        with_bytes = [s for s in self.sections
                      if s.flags & SHF_ALLOC and s.sh_type != SHT_NOBITS and s.size > 0]
        if not mappings:
            for section in with_bytes:
                if require_bytes:
                    self.check_in_file(f"section {section.name}", section.offset, section.size)
                mappings.append(Mapping(self.base_of(section.index), section.offset,
                                        section.size, section.name))
        if require_bytes:
            size = self.file_size
            for section in self.sections:
                if section.offset + section.size <= size and section.offset >= 0:
                    continue  # in the file: nothing to check (the common case, kept cheap)
                if section.has_bytes or section.sh_type in (SHT_SYMTAB, SHT_DYNSYM, SHT_STRTAB):
                    self.check_in_file(f"section {section.name or section.index}",
                                       section.offset, section.size)
        return sorted(mappings, key=lambda m: m.vaddr)

    def _build_exec_ranges(self) -> list[CodeRange]:
        ranges = [(s.name, self.base_of(s.index), s.offset, s.size) for s in self.sections
                  if s.flags & SHF_EXECINSTR and s.flags & SHF_ALLOC and s.sh_type != SHT_NOBITS
                  and s.size > 0]
        if not ranges and not self.sections:
            ranges = [(f"LOAD[{seg.index}]", seg.vaddr, seg.offset, seg.filesz)
                      for seg in self.segments
                      if seg.p_type == PT_LOAD and seg.flags & PF_X and seg.filesz]
        return sorted(ranges, key=lambda r: r[1])

    # -- queries -----------------------------------------------------------

    def locate(self, vaddr: int, size: int) -> int | None:
        """File offset of [vaddr, vaddr+size) if one mapping holds all of it."""
        for mapping in self.mappings:
            if mapping.vaddr <= vaddr and vaddr + size <= mapping.vaddr + mapping.size:
                return mapping.file_offset + vaddr - mapping.vaddr
        return None

    def section_at(self, vaddr: int) -> Section | None:
        """The allocated section holding address ``vaddr``, or None."""
        if self.is_relocatable:
            index = 0 if vaddr < SLOT_SIZE else vaddr >> SLOT_BITS
            if index == 0:
                section = self._text
            else:
                section = self.sections[index] if index < len(self.sections) else None
            if section is None or not section.flags & SHF_ALLOC:
                return None
            offset = vaddr - self.base_of(section.index)
            return section if 0 <= offset < section.size else None
        at = bisect.bisect_right(self._placed_starts, vaddr) - 1
        if at < 0:
            return None
        section = self._placed[at]
        return section if vaddr < section.addr + section.size else None

    def section_named(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def describe(self, vaddr: int) -> str:
        """How ``objdump -d`` would show an address: ``0x..``, or ``section+0x..`` in ET_REL."""
        if self.is_relocatable:
            section = self.section_at(vaddr)
            if section is not None:
                return f"{section.name}+{vaddr - self.base_of(section.index):#x}"
        return f"{vaddr:#x}"


def c_string(table: bytes, start: int) -> str:
    """The NUL-terminated string at ``start`` of a string table (to its end if unterminated)."""
    end = table.find(b"\0", start)
    return table[start:end if end >= 0 else None].decode("utf-8", "replace")


def _machine_name(machine: int) -> str:
    """``x86-64 (EM_X86_64)`` and the like, via pyelftools' machine names."""
    from elftools.elf.enums import ENUM_E_MACHINE

    names = {v: k for k, v in ENUM_E_MACHINE.items() if isinstance(v, int)}
    symbol = names.get(machine, str(machine))
    common = {"EM_X86_64": "x86-64", "EM_386": "i386", "EM_ARM": "32-bit Arm",
              "EM_RISCV": "RISC-V", "EM_PPC64": "PowerPC64", "EM_S390": "s390"}
    return f"{common[symbol]} ({symbol})" if symbol in common else symbol
