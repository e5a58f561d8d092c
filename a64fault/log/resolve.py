"""Find the instruction word behind a fault's pc.

Sources, in order: the word in parentheses on an oops's ``Code:`` line; for a
kernel pc, ``--vmlinux`` at ``sym+off`` (or the pc itself); for a user pc,
``--elf PROG`` at the ELF address the pc maps to:

* with ``--maps`` (a copy of /proc/PID/maps): the line holding the pc gives the
  file offset (pc - start + offset), which the ELF's executable sections turn
  into an ELF address;
* with ``--base`` (the load bias: where PROG's address 0 is mapped): pc - base;
* with the ``prog[offset,start+size]`` 7.x prints: the pc's file offset, exactly;
* with the ``prog[start+size]`` older kernels print, for a PIE: the pc
  executes in that mapping, so it holds the executable segment, whose first
  page is the page of the lowest executable section: pc - start + that page
  (a pc outside the printed mapping, e.g. a jump to nowhere, is not looked up:
  print_vma_addr names the next mapping up);
* otherwise, for a non-PIE (ET_EXEC) PROG: the pc itself.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, open_input, reading
from .records import Vma

if TYPE_CHECKING:
    from ..decoder.elf import ElfImage

PAGE_BYTES = 4096
#: A task's comm holds 15 characters (TASK_COMM_LEN 16 with the NUL).
TASK_COMM_CHARS = 15


@dataclass(frozen=True)
class Lookup:
    """The word found for a pc (None if not found), where it came from, or why not."""

    word: int | None
    source: str | None = None
    address: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class MapsLine:
    """One line of /proc/PID/maps."""

    start: int
    end: int
    perms: str
    offset: int
    path: str


def read_maps(path: str | os.PathLike[str]) -> list[MapsLine]:
    """The mappings of a /proc/PID/maps copy; InputError naming the first bad line."""
    lines: list[MapsLine] = []
    with open_input(path, "maps file") as raw, reading(path, "maps file"), \
            io.TextIOWrapper(raw, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, 1):
            fields = text.split(maxsplit=5)
            if not fields:
                continue
            try:
                start, end = (int(part, 16) for part in fields[0].split("-"))
                perms, offset = fields[1], int(fields[2], 16)
            except (ValueError, IndexError):
                raise InputError(f"{path}:{number}: not a /proc/PID/maps line") from None
            lines.append(MapsLine(start, end, perms, offset,
                                  fields[5].strip() if len(fields) > 5 else ""))
    return lines


class Resolver:
    """Instruction lookup for user pcs (``elf``, ``maps``, ``base``) and kernel pcs (``vmlinux``)."""

    def __init__(self, elf: ElfImage | None = None, maps: list[MapsLine] | None = None,
                 base: int | None = None, vmlinux: ElfImage | None = None,
                 modules: dict[str, ElfImage] | None = None) -> None:
        self.elf = elf
        self.maps = maps or []
        self.base = base
        self.vmlinux = vmlinux
        #: module name (as the kernel prints it in "[name]") -> its .ko ElfImage
        self.modules = modules or {}
        self._elf_name = Path(elf.path).name if elf is not None else None

    def _elf_word(self, image: ElfImage, address: int, how: str) -> Lookup:
        try:
            return Lookup(image.word_at(address), how, address)
        except InputError as error:
            return Lookup(None, note=str(error))

    @staticmethod
    def _file_offset_to_address(elf: ElfImage, offset: int) -> int | None:
        for _name, vaddr, file_offset, size in elf.executable_ranges():
            if file_offset <= offset < file_offset + size:
                return int(vaddr + offset - file_offset)
        return None

    @staticmethod
    def _lowest_exec_page(elf: ElfImage) -> int | None:
        ranges = elf.executable_ranges()
        return min(vaddr for _n, vaddr, _o, _s in ranges) // PAGE_BYTES * PAGE_BYTES \
            if ranges else None

    def runs_elf(self, process: str | None) -> bool:
        """Whether a task named ``process`` may be running --elf (comm is cut to 15 chars)."""
        return self._elf_name is not None and process == self._elf_name[:TASK_COMM_CHARS]

    def user(self, pc: int | None, vma: Vma | None = None) -> Lookup:
        """The word at a user pc, from --elf."""
        if pc is None:
            return Lookup(None, note="no pc printed")
        if self.elf is None:
            return Lookup(None, note="give --elf PROG to read user instructions")
        name = f"--elf {self._elf_name}"
        if self.maps:
            for line in self.maps:
                if line.start <= pc < line.end and Path(line.path).name == self._elf_name:
                    address = self._file_offset_to_address(self.elf, pc - line.start + line.offset)
                    if address is None:
                        return Lookup(None, note=f"pc {pc:#x} is not in an executable section "
                                                 f"of {self._elf_name}")
                    return self._elf_word(self.elf, address, f"{name} via --maps")
            return Lookup(None, note=f"pc {pc:#x} is in no --maps line of {self._elf_name}")
        if self.base is not None:
            return self._elf_word(self.elf, pc - self.base, f"{name} at pc - --base")
        if vma is not None:
            if Path(vma.name).name != self._elf_name:
                return Lookup(None, note=f"pc {pc:#x} is in {vma.name}, not {self._elf_name}")
            if vma.offset is not None:
                address = self._file_offset_to_address(self.elf, vma.offset)
                if address is None:
                    return Lookup(None, note=f"file offset {vma.offset:#x} is not in an "
                                             f"executable section of {self._elf_name}")
                return self._elf_word(self.elf, address, f"{name} at the printed file offset")
            if not vma.start <= pc < vma.start + vma.size:
                # print_vma_addr() names the first mapping ending above the pc.
                return Lookup(None, note=f"pc {pc:#x} is outside the mapping the kernel "
                                         f"printed ({vma.name}[{vma.start:x}+{vma.size:x}])")
            if self.elf.elf_type != "ET_EXEC":
                # The pc executes there, so the mapping holds the executable segment.
                page = self._lowest_exec_page(self.elf)
                if page is None:
                    return Lookup(None, note=f"{self._elf_name} has no executable section")
                return self._elf_word(self.elf, pc - vma.start + page,
                                      f"{name} at pc - mapping start")
        if self.elf.elf_type == "ET_EXEC":
            return self._elf_word(self.elf, pc, f"{name} at the pc")
        return Lookup(None, note=f"{self._elf_name} is position-independent: give --base or --maps")

    @property
    def has_kernel_files(self) -> bool:
        return self.vmlinux is not None or bool(self.modules)

    def kernel(self, pc: int | None, symbol: str | None, module: str | None) -> Lookup:
        """The word at a kernel pc, from --vmlinux, or from --module for a pc printed
        as ``sym+off/size [module]`` (sym+off preferred: KASLR moves the pc)."""
        if module:
            image = self.modules.get(module)
            if image is None:
                return Lookup(None, note=f"pc is in module {module}: give --module "
                                         f"{module}.ko to read it")
            source = f"--module {module}"
        elif self.vmlinux is None:
            return Lookup(None, note="give --vmlinux to read kernel instructions")
        else:
            image, source = self.vmlinux, "--vmlinux"
        if symbol:
            expression = symbol.split("/")[0]
            try:
                address = image.address_of(expression)
            except InputError as error:
                return Lookup(None, note=str(error))
            return self._elf_word(image, address, f"{source} at {expression}")
        if module:
            return Lookup(None, note="no symbol printed for the module pc")
        if pc is not None:
            return self._elf_word(image, pc, "--vmlinux at the pc")  # image is vmlinux here
        return Lookup(None, note="no pc printed")
