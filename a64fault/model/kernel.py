"""The Linux anonymous-memory fault handler, as far as the model needs it.

One call handles one fault on one page of one 2 MiB region (a state.Region),
the way handle_mm_fault() does for a private anonymous VMA:

* empty PMD in a THP-eligible VMA: a read maps the huge zero page (when
  ``use_zero_page`` is on, the default), a write (or a read with
  ``use_zero_page`` off) allocates a THP; if no THP can be had, fall back
  to a page table;
* write to the huge zero page: 6.10 splits the PMD (the faulting PTE then
  copies on write, the other 511 map the small zero page); 6.13 allocates a
  THP instead (commit 1ced09e0331f), falling back to the split if it cannot;
* PTE level (do_anonymous_page / do_wp_page): a read of an empty PTE maps the
  zero page, a write allocates a zeroed page; a write to a zero-page PTE
  copies on write, which replaces a live PTE and so invalidates its TLB entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from .counters import Counters
from .state import PTES_PER_PMD, Pmd, Pte, Region


@dataclass(frozen=True)
class Kernel:
    """A kernel version's behaviour, as far as it differs for the model."""

    name: str
    #: A write fault on a huge zero PMD allocates a THP (commit 1ced09e0331f).
    huge_zero_write_allocates_thp: bool


KERNELS = {
    "6.10": Kernel("6.10", huge_zero_write_allocates_thp=False),
    "6.13": Kernel("6.13", huge_zero_write_allocates_thp=True),
}


def kernel(name: str) -> Kernel:
    """The Kernel called ``name``, or InputError listing the known ones."""
    try:
        return KERNELS[name]
    except KeyError:
        raise InputError(f"unknown kernel {name!r}: choose one of {', '.join(KERNELS)}") from None


@dataclass
class FaultContext:
    """Everything the handler needs besides the region: kernel, VMA and sysfs knobs."""

    kernel: Kernel
    counters: Counters
    writable: bool = True
    thp_eligible: bool = False      # THP enabled for the VMA and the region lies inside it
    use_zero_page: bool = True      # /sys/kernel/mm/transparent_hugepage/use_zero_page
    thp_available: bool = True      # False: every THP allocation fails (fragmented memory)


def handle_fault(region: Region, page: int, write: bool, ctx: FaultContext) -> bool:
    """Handle one fault at page index ``page`` of ``region``; False means SIGSEGV."""
    if write and not ctx.writable:
        return False
    counters = ctx.counters
    if region.pmd is Pmd.NONE:
        if ctx.thp_eligible:
            if not write and ctx.use_zero_page:
                region.set_huge(Pmd.HUGE_ZERO)
                counters.huge_zero_maps += 1
                return True
            if _allocate_thp(region, ctx, counters):
                return True
        region.make_table(Pte.NONE)
    elif region.pmd is Pmd.HUGE_ZERO:
        if not write:
            return True  # spurious: the huge zero page is readable
        # Both paths replace a live PMD mapping: pmdp_huge_clear_flush().
        counters.tlbi_pmd += 1
        if ctx.kernel.huge_zero_write_allocates_thp and _allocate_thp(region, ctx, counters):
            return True
        region.make_table(Pte.ZERO)
        counters.pmd_splits += 1
        counters.zero_page_maps += PTES_PER_PMD
    elif region.pmd is Pmd.THP:
        return True  # spurious: a THP is readable and writable
    return _pte_fault(region, page, write, counters)


def _pte_fault(region: Region, page: int, write: bool, counters: Counters) -> bool:
    pte = region.ptes[page]
    if pte is Pte.NONE:
        if write:
            region.ptes[page] = Pte.PRIVATE
            counters.base_pages += 1
        else:
            region.ptes[page] = Pte.ZERO
            counters.zero_page_maps += 1
    elif pte is Pte.ZERO and write:
        region.ptes[page] = Pte.PRIVATE
        counters.base_pages += 1
        counters.cow += 1
        counters.tlbi_page += 1
    return True


def _allocate_thp(region, ctx, counters) -> bool:
    """Map a freshly allocated THP at the PMD; False (a fallback) when none can be had."""
    if not ctx.thp_available:
        counters.thp_fallbacks += 1
        return False
    region.set_huge(Pmd.THP)
    counters.thp_allocated += 1
    return True
