"""Event counters of one simulation: additive, so a run of identical regions scales them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

#: Counted by the reported and effective access and the fault type (DFSC):
#: (reported, effective, fault type) -> user faults.
FaultClass = tuple[str, str, str]
#: Counters.as_dict(): each integer counter, ``tlbi``, and ``fault_classes`` keyed by text.
CountsDict = dict[str, "int | dict[str, int]"]


@dataclass(eq=False)
class Counters:
    """What happened, event by event. ``faults``, ``read_faults`` and
    ``write_faults`` count user faults by the access the kernel handled
    (effective); ``reported_*`` by what the ESR said."""

    faults: int = 0               # user data aborts taken (each one a kernel entry and exit)
    read_faults: int = 0          # ... handled as reads
    write_faults: int = 0         # ... handled as writes
    reported_read: int = 0        # ... the ESR reported as reads (WnR=0, or CM=1)
    reported_write: int = 0       # ... the ESR reported as writes
    upgraded: int = 0             # read faults handled as writes by the policy
    decisions: int = 0            # read faults where the policy read the instruction at ELR and decoded it
    translation_faults: int = 0
    permission_faults: int = 0
    populate_faults: int = 0      # faults the kernel takes on the user's behalf (MADV_POPULATE_WRITE)
    zero_page_maps: int = 0       # PTEs pointed at the shared zero page
    huge_zero_maps: int = 0       # PMDs pointed at the huge zero page
    cow: int = 0                  # copy-on-write breaks of a zero page (PTE level)
    pmd_splits: int = 0           # huge zero PMDs split into a table of zero-page PTEs
    thp_allocated: int = 0        # PMD-size THPs allocated (and zeroed) by a fault or populate
    thp_fallbacks: int = 0        # PMD-size THP allocations that failed, handled with smaller pages
    mthp_allocated: int = 0       # smaller-than-PMD large folios (mTHP) allocated by a fault
    mthp_fallbacks: int = 0       # mTHP allocations that failed (one per order tried)
    base_pages: int = 0           # single pages allocated (and zeroed)
    tlbi_page: int = 0            # TLB invalidations of one page
    tlbi_pmd: int = 0             # TLB invalidations of one PMD mapping
    llsc_retries: int = 0         # LL/SC loops rerun after a fault cleared the exclusive monitor
    segv: int = 0                 # accesses the kernel refused (SIGSEGV)
    collapses: int = 0            # khugepaged: page tables collapsed into a THP
    collapse_freed: int = 0       # khugepaged: pages freed by collapses
    #: (reported, effective, DFSC type) -> user faults.
    fault_classes: Counter[FaultClass] = field(default_factory=Counter)
    #: folio order -> mTHP folios allocated (the per-size split of ``mthp_allocated``).
    mthp_orders: Counter[int] = field(default_factory=Counter)

    def add(self, other: Counters, times: int = 1) -> None:
        """Add ``times`` copies of ``other`` to these counters."""
        mine, theirs = self.__dict__, other.__dict__
        mine.update({name: mine[name] + times * theirs[name] for name in FIELDS if theirs[name]})
        for key, value in other.fault_classes.items():
            self.fault_classes[key] += times * value
        for order, value in other.mthp_orders.items():
            self.mthp_orders[order] += times * value

    @property
    def tlbi(self) -> int:
        """All TLB invalidations, page and PMD."""
        return self.tlbi_page + self.tlbi_pmd

    @property
    def mthp_pages(self) -> int:
        """Pages in the mTHP folios allocated."""
        return sum(n << order for order, n in self.mthp_orders.items())

    def as_dict(self) -> CountsDict:
        """The integer counters, ``tlbi``, and ``fault_classes`` keyed by text."""
        data: CountsDict = {name: getattr(self, name) for name in FIELDS}
        data["tlbi"] = self.tlbi
        data["fault_classes"] = {
            f"{reported}->{effective} {dfsc}": n
            for (reported, effective, dfsc), n in sorted(self.fault_classes.items())
        }
        return data

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Counters) and self.as_dict() == other.as_dict()
                and self.mthp_orders == other.mthp_orders)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.as_dict().items() if v)
        return f"Counters({shown})"


#: The integer counters, in report order.
FIELDS = tuple(f.name for f in fields(Counters) if f.type in ("int", int))
