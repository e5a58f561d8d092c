"""The THP tunables (/sys/kernel/mm/transparent_hugepage), checked once, here.

* ``enabled``: the top-level mode, never / madvise / always;
* per-size ``hugepages-<size>kB/enabled`` (anonymous multi-size THP, "mTHP",
  Linux 6.8 and later): never / madvise / always / inherit. The PMD size
  defaults to inherit (it follows ``enabled``), every smaller size to never;
* ``use_zero_page``: a read fault on an empty PMD maps the huge zero page;
* ``khugepaged/max_ptes_none``: how many empty (or zero-page) PTEs a page
  table may have and still be collapsed into a THP.

``Tunables.orders(hugepage)`` is the set of folio orders a fault in a VMA may
allocate, the way thp_vma_allowable_orders() computes it: the orders set to
always, plus those set to madvise in a VMA with MADV_HUGEPAGE, plus those set
to inherit when ``enabled`` is always (or madvise, with MADV_HUGEPAGE).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from .geometry import DEFAULT_GEOMETRY, Geometry, size_name
from .kernel import Kernel

NEVER, MADVISE, ALWAYS, INHERIT = "never", "madvise", "always", "inherit"
#: Values of transparent_hugepage/enabled.
MODES = (NEVER, MADVISE, ALWAYS)
#: Values of hugepages-<size>kB/enabled.
SIZE_MODES = MODES + (INHERIT,)
#: The smallest anonymous THP order: orders 0 and 1 are never large anonymous
#: folios (THP_ORDERS_ALL_ANON leaves them out).
MIN_ANON_ORDER = 2


def check_mode(mode: str) -> str:
    """``mode`` if it is a value of transparent_hugepage/enabled, else InputError."""
    if mode not in MODES:
        raise InputError(f"unknown THP mode {mode!r}: choose one of {', '.join(MODES)}")
    return mode


@dataclass(frozen=True)
class Tunables:
    """The THP sysfs settings of one run, for one page size."""

    geometry: Geometry = DEFAULT_GEOMETRY
    enabled: str = NEVER
    #: Explicit per-size settings: (order, mode), orders MIN_ANON_ORDER..PMD order.
    sizes: tuple[tuple[int, str], ...] = ()
    use_zero_page: bool = True
    #: None: the kernel's default, HPAGE_PMD_NR - 1.
    max_ptes_none: int | None = None
    _modes: dict[int, str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        check_mode(self.enabled)
        pmd = self.geometry.pmd_order
        modes: dict[int, str] = {}
        for order, mode in self.sizes:
            if not MIN_ANON_ORDER <= order <= pmd:
                raise InputError(f"no anonymous THP of {self.geometry.size_name(order)} with "
                                 f"{self.geometry.name} pages: sizes are "
                                 f"{', '.join(self.size_names())}")
            if mode not in SIZE_MODES:
                raise InputError(f"unknown mTHP mode {mode!r} for {self.geometry.size_name(order)}: "
                                 f"choose one of {', '.join(SIZE_MODES)}")
            modes[order] = mode
        object.__setattr__(self, "_modes", modes)
        if self.max_ptes_none is not None and not 0 <= self.max_ptes_none < (1 << pmd):
            raise InputError(f"max_ptes_none {self.max_ptes_none} is out of range: a page table "
                             f"has {1 << pmd} PTEs with {self.geometry.name} pages, so 0 to "
                             f"{(1 << pmd) - 1}")

    def size_names(self) -> list[str]:
        """The anonymous THP sizes of this page size, smallest first."""
        return [self.geometry.size_name(o) for o in range(MIN_ANON_ORDER, self.geometry.pmd_order + 1)]

    @property
    def ptes_none_limit(self) -> int:
        """khugepaged's max_ptes_none (default: all PTEs but one)."""
        return self.geometry.ptes_per_table - 1 if self.max_ptes_none is None else self.max_ptes_none

    def size_mode(self, order: int) -> str:
        """hugepages-<size>kB/enabled for ``order``: explicit, else inherit (PMD) or never."""
        default = INHERIT if order == self.geometry.pmd_order else NEVER
        return self._modes.get(order, default)

    def orders(self, hugepage: bool) -> frozenset[int]:
        """Folio orders (above 0) a fault may allocate in a VMA; ``hugepage``: MADV_HUGEPAGE."""
        inherit = self.enabled == ALWAYS or (hugepage and self.enabled == MADVISE)
        allowed = {ALWAYS} | ({MADVISE} if hugepage else set()) | ({INHERIT} if inherit else set())
        return frozenset(o for o in range(MIN_ANON_ORDER, self.geometry.pmd_order + 1)
                         if self.size_mode(o) in allowed)

    def check_kernel(self, kernel: Kernel) -> None:
        """InputError if per-size settings are given for a kernel without mTHP (before 6.8)."""
        if self._modes and not kernel.anon_mthp:
            raise InputError(f"kernel {kernel.name} has no per-size (mTHP) settings: anonymous "
                             "mTHP came in Linux 6.8")


def parse_sizes(items: Iterable[str] | Mapping[int | str, str],
                geometry: Geometry) -> tuple[tuple[int, str], ...]:
    """``["64K=always", "2M=inherit"]`` (each item may be a comma list), or a mapping
    ``{64: "always"}`` (an int key is KiB, as in hugepages-64kB), as (order, mode) pairs."""
    from .workloads import parse_size

    if isinstance(items, Mapping):
        items = [f"{size}K={mode}" if isinstance(size, int) else f"{size}={mode}"
                 for size, mode in items.items()]
    pairs = {}
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            size_text, sep, mode = part.partition("=")
            if not sep:
                raise InputError(f"bad mTHP setting {part!r}: expected SIZE=MODE, e.g. 64K=always")
            size_text = size_text.strip().removeprefix("hugepages-")
            size = parse_size(size_text, "mTHP size")
            order = geometry.order_of(size)
            if order is None:
                raise InputError(f"bad mTHP size {size_text!r}: not a power-of-two multiple of "
                                 f"the {geometry.name} page")
            pairs[order] = mode.strip()
    return tuple(sorted(pairs.items()))


def describe(tunables: Tunables) -> str:
    """``64K=always,2M=inherit``: the per-size settings given, for reports."""
    return ",".join(f"{size_name(tunables.geometry.page_size << o)}={m}" for o, m in tunables.sizes)
