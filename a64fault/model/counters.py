"""Event counters of one simulation: additive, so a run of identical regions scales them."""

from __future__ import annotations

from collections import Counter

#: The integer counters, in report order. ``faults``, ``read_faults`` and
#: ``write_faults`` count user faults by the access the kernel handled
#: (effective); ``reported_*`` by what the ESR said.
FIELDS = (
    "faults",             # user data aborts taken (each one a kernel entry and exit)
    "read_faults",        # ... handled as reads
    "write_faults",       # ... handled as writes
    "reported_read",      # ... the ESR reported as reads (WnR=0, or CM=1)
    "reported_write",     # ... the ESR reported as writes
    "upgraded",           # read faults handled as writes by the policy
    "translation_faults",
    "permission_faults",
    "populate_faults",    # faults the kernel takes on the user's behalf (MADV_POPULATE_WRITE)
    "zero_page_maps",     # PTEs pointed at the shared zero page
    "huge_zero_maps",     # PMDs pointed at the huge zero page
    "cow",                # copy-on-write breaks of a zero page (PTE level)
    "pmd_splits",         # huge zero PMDs split into 512 zero-page PTEs
    "thp_allocated",      # THPs allocated (and zeroed) by a fault or populate
    "thp_fallbacks",      # THP allocations that failed, handled with base pages
    "base_pages",         # 4 KiB pages allocated (and zeroed)
    "tlbi_page",          # TLB invalidations of one page
    "tlbi_pmd",           # TLB invalidations of one PMD mapping
    "llsc_retries",       # LL/SC loops rerun after a fault cleared the exclusive monitor
    "segv",               # accesses the kernel refused (SIGSEGV)
    "collapses",          # khugepaged: page tables collapsed into a THP
    "collapse_freed",     # khugepaged: 4 KiB pages freed by collapses
)


class Counters:
    """Integer counters (FIELDS) plus ``fault_classes``:
    (reported, effective, DFSC type) -> number of user faults."""

    __slots__ = FIELDS + ("fault_classes",)

    def __init__(self):
        for name in FIELDS:
            setattr(self, name, 0)
        self.fault_classes = Counter()

    def add(self, other: Counters, times: int = 1) -> None:
        """Add ``times`` copies of ``other`` to these counters."""
        for name in FIELDS:
            setattr(self, name, getattr(self, name) + times * getattr(other, name))
        for key, value in other.fault_classes.items():
            self.fault_classes[key] += times * value

    @property
    def tlbi(self) -> int:
        """All TLB invalidations, page and PMD."""
        return self.tlbi_page + self.tlbi_pmd

    def as_dict(self) -> dict:
        data = {name: getattr(self, name) for name in FIELDS}
        data["tlbi"] = self.tlbi
        data["fault_classes"] = {
            f"{reported}->{effective} {dfsc}": n
            for (reported, effective, dfsc), n in sorted(self.fault_classes.items())
        }
        return data

    def __eq__(self, other) -> bool:
        return isinstance(other, Counters) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.as_dict().items() if v)
        return f"Counters({shown})"
