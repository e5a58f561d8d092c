"""The Linux anonymous-memory fault handler, as far as the model needs it.

One call handles one fault on one page of one PMD-size region (a
state.Region), the way handle_mm_fault() does for a private anonymous VMA
(docs/design.md, "The fault model", names the kernel functions):

* empty PMD in a VMA where a PMD-size THP is allowed (and the region lies
  wholly inside it): a read maps the huge zero page (when ``use_zero_page``
  is on, the default), a write (or a read with ``use_zero_page`` off)
  allocates a THP; if no THP can be had, fall back to a page table;
* write to the huge zero page: before 6.13 the PMD is split (the faulting
  PTE then copies on write, the others map the small zero page); 6.13 and
  later allocate a THP instead (commit 1ced09e0331f), falling back to the
  split if they cannot;
* PTE level: a read of an empty PTE maps the zero page, whatever mTHP
  allows; a write allocates a folio of the highest allowed order whose
  aligned block lies in the VMA and is wholly empty (order 0, one page, when
  no such order or every larger allocation fails); a write to a zero-page PTE
  copies on write into one page, which replaces a live PTE and so
  invalidates its TLB entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError
from .counters import Counters
from .state import Pmd, Pte, Region

#: The oldest kernel the model was read against.
OLDEST = (6, 1)
#: Anonymous multi-size THP (per-size hugepages-*/enabled) came in 6.8.
ANON_MTHP_SINCE = (6, 8)
#: A write fault on the huge zero PMD allocates a THP since 6.13 (commit 1ced09e0331f).
HUGE_ZERO_WRITE_THP_SINCE = (6, 13)


@dataclass(frozen=True)
class Kernel:
    """A kernel version's behaviour, as far as it differs for the model."""

    name: str
    #: A write fault on a huge zero PMD allocates a THP (commit 1ced09e0331f).
    huge_zero_write_allocates_thp: bool
    #: Anonymous mTHP: per-size settings and large folios on write faults.
    anon_mthp: bool = True


def behaviour(version: tuple[int, int], name: str) -> Kernel:
    """The Kernel model of ``version`` (major, minor), called ``name``."""
    return Kernel(name, huge_zero_write_allocates_thp=version >= HUGE_ZERO_WRITE_THP_SINCE,
                  anon_mthp=version >= ANON_MTHP_SINCE)


#: The two behaviours compared by default: before and after commit 1ced09e0331f.
KERNELS = {
    "6.10": behaviour((6, 10), "6.10"),
    "6.13": behaviour((6, 13), "6.13"),
}

_VERSION = re.compile(r"(\d+)\.(\d+)(?:[.\-+~_ ].*|\.x)?", re.IGNORECASE)


def version_of(release: str) -> tuple[int, int] | None:
    """(major, minor) of a kernel release such as ``6.1.0-28-arm64``, ``7.2`` or ``7.2.x``."""
    match = _VERSION.fullmatch(release.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def kernel(name: str | Kernel) -> Kernel:
    """The Kernel for ``name``: 6.10, 6.13, or any release string (``6.1.0-28-arm64``, ``7.2``).

    A release maps to the behaviours of its major.minor version; InputError
    for text that is not a release or a version older than the model covers.
    """
    if isinstance(name, Kernel):
        return name
    if name in KERNELS:
        return KERNELS[name]
    version = version_of(name) if len(name) <= 100 else None
    if version is None:
        raise InputError(f"unknown kernel {name!r}: give a release such as 6.1, 6.13, 7.2 or "
                         f"6.1.0-28-arm64 (named models: {', '.join(KERNELS)})")
    if version < OLDEST:
        raise InputError(f"kernel {name!r}: the model covers Linux {OLDEST[0]}.{OLDEST[1]} and later")
    short = f"{version[0]}.{version[1]}"
    return KERNELS.get(short) or behaviour(version, short)


@dataclass
class FaultContext:
    """Everything the handler needs besides the region: kernel, VMA and sysfs knobs."""

    kernel: Kernel
    counters: Counters
    writable: bool = True
    thp_eligible: bool = False      # a PMD-size THP allowed for the VMA, the region lies inside it
    use_zero_page: bool = True      # /sys/kernel/mm/transparent_hugepage/use_zero_page
    thp_available: bool = True      # False: every large folio allocation fails (fragmented memory)
    #: mTHP orders below the PMD order allowed for the VMA, highest first.
    mthp_orders: tuple[int, ...] = ()
    #: [lo, hi): the region's pages inside the VMA (an mTHP block must lie inside).
    vma_pages: tuple[int, int] = (0, 1 << 62)


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
        counters.zero_page_maps += region.ptes_per_table
    elif region.pmd is Pmd.THP:
        return True  # spurious: a THP is readable and writable
    return _pte_fault(region, page, write, ctx)


def _pte_fault(region: Region, page: int, write: bool, ctx: FaultContext) -> bool:
    counters = ctx.counters
    ptes = region.ptes
    assert ptes is not None
    pte = ptes[page]
    if pte is Pte.NONE:
        if write:
            order = _anon_order(ptes, page, ctx)
            if order:
                region.set_ptes(page >> order << order, 1 << order, Pte.LARGE)
                counters.mthp_allocated += 1
                counters.mthp_orders[order] += 1
            else:
                region.set_ptes(page, 1, Pte.PRIVATE)
                counters.base_pages += 1
        else:
            region.set_ptes(page, 1, Pte.ZERO)
            counters.zero_page_maps += 1
    elif pte is Pte.ZERO and write:
        region.set_ptes(page, 1, Pte.PRIVATE)  # the copy is one page, whatever mTHP allows
        counters.base_pages += 1
        counters.cow += 1
        counters.tlbi_page += 1
    return True


def _anon_order(ptes: list[Pte], page: int, ctx: FaultContext) -> int:
    """The order of the folio a write fault on an empty PTE allocates (0: one page).

    The highest allowed order whose aligned block lies inside the VMA and
    has only empty PTEs; then that order and each lower allowed one is
    tried in turn, and a failed allocation counts one fallback.
    """
    lo, hi = ctx.vma_pages
    candidates = []
    for order in ctx.mthp_orders:
        first = page >> order << order
        if lo <= first and first + (1 << order) <= hi:
            candidates.append(order)
    for i, order in enumerate(candidates):
        first = page >> order << order
        if ptes[first:first + (1 << order)].count(Pte.NONE) == 1 << order:
            for tried in candidates[i:]:
                if ctx.thp_available:
                    return tried
                ctx.counters.mthp_fallbacks += 1
            return 0
    return 0


def _allocate_thp(region: Region, ctx: FaultContext, counters: Counters) -> bool:
    """Map a freshly allocated THP at the PMD; False (a fallback) when none can be had."""
    if not ctx.thp_available:
        counters.thp_fallbacks += 1
        return False
    region.set_huge(Pmd.THP)
    counters.thp_allocated += 1
    return True
