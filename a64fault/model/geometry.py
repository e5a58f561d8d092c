"""Page sizes: the translation granule and what follows from it.

An arm64 kernel is built for one granule (CONFIG_ARM64_4K_PAGES, _16K_PAGES
or _64K_PAGES). A page table holds ``PAGE_SIZE / 8`` entries, so a PMD entry
maps 512 x 4 KiB = 2 MiB, 2048 x 16 KiB = 32 MiB or 8192 x 64 KiB = 512 MiB;
that block is the PMD THP (and the huge zero page), and the unit the model
calls a region. In every granule a PMD is a level-2 and a PTE a level-3
translation table entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError

#: Bytes in a page-table entry (a 64-bit descriptor).
ENTRY_BYTES = 8


@dataclass(frozen=True)
class Geometry:
    """One granule: page size and the PMD block built from it."""

    name: str
    page_shift: int
    #: Bits of a user virtual address (the kernel's VA_BITS, at most 48 for user space).
    va_bits: int = 48

    @property
    def address_space(self) -> int:
        """Where the user address space ends: every modelled address is below it."""
        return 1 << self.va_bits

    @property
    def page_size(self) -> int:
        return 1 << self.page_shift

    @property
    def ptes_per_table(self) -> int:
        """PTEs in one page table: PAGE_SIZE / 8."""
        return self.page_size // ENTRY_BYTES

    @property
    def pmd_order(self) -> int:
        """log2 of the pages a PMD entry maps (HPAGE_PMD_ORDER)."""
        return self.ptes_per_table.bit_length() - 1

    @property
    def pmd_shift(self) -> int:
        return self.page_shift + self.pmd_order

    @property
    def pmd_size(self) -> int:
        return 1 << self.pmd_shift

    def order_of(self, size: int) -> int | None:
        """The folio order whose size is ``size`` bytes, or None."""
        if size < self.page_size or size & (size - 1) or size % self.page_size:
            return None
        return (size // self.page_size).bit_length() - 1

    def size_name(self, order: int) -> str:
        """``64K``, ``2M``: the folio size of ``order`` in binary units."""
        return size_name(self.page_size << order)


def size_name(size: int) -> str:
    """A power-of-two byte count as ``16K``, ``2M``, ``1G``."""
    for suffix, shift in (("G", 30), ("M", 20), ("K", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift}{suffix}"
    return str(size)


#: 16K: Debian's arm64-16k kernels are built with 47-bit virtual addresses (three
#: levels of tables): their mmap base sits just below 2^47 in the recorded boots
#: (tests/data/measure), where the 4K kernel's sits just below 2^48.
GEOMETRIES = {g.name: g for g in (Geometry("4K", 12), Geometry("16K", 14, va_bits=47),
                                  Geometry("64K", 16))}
DEFAULT_GEOMETRY = GEOMETRIES["4K"]


def geometry(name: str | int | Geometry) -> Geometry:
    """The Geometry called ``name`` (4K, 16K or 64K; KiB spellings accepted) or of
    ``name`` bytes (4096, 16384, 65536)."""
    if isinstance(name, Geometry):
        return name
    if isinstance(name, int) and not isinstance(name, bool):
        for g in GEOMETRIES.values():
            if g.page_size == name:
                return g
    key = str(name).strip().upper().removesuffix("B").removesuffix("I")
    if key in GEOMETRIES:
        return GEOMETRIES[key]
    raise InputError(f"unknown page size {name!r}: choose one of {', '.join(GEOMETRIES)}")
