"""The counters a measurement compares, read from a probe run and from a model row.

Each Counter names one number the kernel reports and says where the model
keeps the same number. What the kernel's numbers mean:

* ``minflt``: the process's minor faults (getrusage). Counted once per call of
  handle_mm_fault() that did not need I/O, for user faults and for faults the
  kernel takes on the process's behalf (MADV_POPULATE_WRITE population goes
  through the same handler, so each populated page or PMD counts).
* ``majflt``: major faults (I/O); anonymous memory without swap has none.
* ``pgfault``: /proc/vmstat, every handle_mm_fault() call system-wide (the
  probe is the only process, so it equals minflt + majflt).
* ``thp_fault_alloc``: PMD-size THPs a fault allocated (mTHP sizes are not
  counted here but in their hugepages-<size>kB/stats/anon_fault_alloc).
* ``thp_fault_fallback``: PMD-size THP allocations that failed at fault time.
* ``thp_split_pmd``: PMD mappings split into page tables (a write to the huge
  zero page before 6.13 splits it).
* ``thp_collapse_alloc``: THPs khugepaged allocated to collapse page tables
  (the probe quiets khugepaged, so 0 unless something is wrong).
* ``llsc_retries``: LL/SC loops the probe reran because the store-exclusive
  failed (a fault between load- and store-exclusive clears the monitor).
* ``private_pages``: base pages of the range mapped to private (non-zero)
  memory that are not part of a large folio (pagemap + kpageflags).
* ``pmd_thps``: PMD-mapped THPs in the range (smaps AnonHugePages / PMD size).
* ``zero_pages``: PTEs of the range mapping the shared zero page.
* ``huge_zero_pmds``: PMDs of the range mapping the huge zero page.
* ``mthp_alloc[SIZE]`` / ``mthp_folios[SIZE]``: per mTHP size below the PMD
  size, the faults that allocated a folio of that size
  (hugepages-<KB>kB/stats/anon_fault_alloc), and the folios of that size
  mapped at the end.

Not compared: ``thp_zero_page_alloc`` counts allocations of the one huge zero
page (once per boot, or again after the shrinker freed it), not mappings of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model.runner import ResultRow
    from .report import ProbeRecord

#: A counter's value in a model row (None when the row does not provide it).
Getter = Callable[["ResultRow"], "int | None"]
#: A counter's value in a probe run, given the page and PMD sizes.
Measured = Callable[["ProbeRecord", int, int], "int | None"]


@dataclass(frozen=True)
class Counter:
    """One compared number: how to read it from a probe run and from a model row
    (None when that side does not provide it)."""

    name: str
    measured: Measured
    model: Getter


def _event(name: str) -> Measured:
    return lambda run, page, pmd: run["counters"].get(name)


def _row(*keys: str) -> Getter:
    """The sum of model row keys (None if the row has none of them)."""
    def get(row: ResultRow) -> int | None:
        values = [row[key] for key in keys if key in row]
        return sum(values) if values else None
    return get


def _private_pages(run: ProbeRecord, page: int, pmd: int) -> int:
    in_folios: int = sum(int(kb) * 1024 // page * n for kb, n in run["mapping"]["folios"].items())
    private: int = run["mapping"]["private"]  # the probe prints page counts as JSON integers
    return private - in_folios


def _pmd_thps(run: ProbeRecord, page: int, pmd: int) -> int | None:
    kb: int = run["mapping"]["anon_huge_kb"]
    return None if kb < 0 else kb * 1024 // pmd


def _huge_zero_pmds(run: ProbeRecord, page: int, pmd: int) -> int:
    pages: int = run["mapping"]["huge_zero_page"]
    return pages * page // pmd


def _mapping(key: str) -> Measured:
    return lambda run, page, pmd: run["mapping"][key]


COUNTERS = (
    Counter("minflt", _event("minflt"), _row("faults", "populate_faults")),
    Counter("majflt", _event("majflt"), lambda row: 0),
    Counter("pgfault", _event("pgfault"), _row("faults", "populate_faults")),
    Counter("thp_fault_alloc", _event("thp_fault_alloc"), _row("thp_allocated")),
    Counter("thp_fault_fallback", _event("thp_fault_fallback"), _row("thp_fallbacks")),
    Counter("thp_split_pmd", _event("thp_split_pmd"), _row("pmd_splits")),
    Counter("thp_collapse_alloc", _event("thp_collapse_alloc"), _row("collapses")),
    Counter("llsc_retries", _event("llsc_retries"), _row("llsc_retries")),
    Counter("private_pages", _private_pages, _row("resident_pages")),
    Counter("pmd_thps", _pmd_thps, _row("resident_thp")),
    Counter("zero_pages", _mapping("zero_page"), _row("mapped_zero_pages")),
    Counter("huge_zero_pmds", _huge_zero_pmds, _row("mapped_huge_zero")),
)


def mthp_counters(run: ProbeRecord, row: ResultRow | None, pmd: int) -> list[tuple[str, int, int | None]]:
    """(name, measured, model) for each mTHP size below the PMD size that either
    side saw: ``mthp_alloc[64K]`` (stats/anon_fault_alloc against the row's
    ``mthp`` {size: allocations}) and ``mthp_folios[64K]`` (folios mapped at the
    end against the row's ``resident_mthp``; None where the row has no value)."""
    allocated: dict[int, int] = {}
    for kb, stats in run.get("mthp_stats", {}).items():
        if int(kb) * 1024 < pmd and stats.get("anon_fault_alloc"):
            allocated[int(kb)] = stats["anon_fault_alloc"]
    folios = {int(kb): n for kb, n in run["mapping"]["folios"].items() if int(kb) * 1024 < pmd}
    out: list[tuple[str, int, int | None]] = []
    for label, measured, key in (("mthp_alloc", allocated, "mthp"),
                                 ("mthp_folios", folios, "resident_mthp")):
        has = row is not None and key in row
        modelled = {_kib(size): n for size, n in (row or {}).get(key, {}).items() if n}
        for kb in sorted(set(measured) | set(modelled)):
            out.append((f"{label}[{_size(kb)}]", measured.get(kb, 0),
                        modelled.get(kb, 0) if has else None))
    return out


def _kib(size: str) -> int:
    """``64K`` -> 64, ``2M`` -> 2048 (the model's size names)."""
    units = {"K": 1, "M": 1 << 10, "G": 1 << 20}
    return int(size[:-1]) * units[size[-1].upper()]


def _size(kb: int) -> str:
    if kb % (1 << 20) == 0:
        return f"{kb >> 20}G"
    if kb % (1 << 10) == 0:
        return f"{kb >> 10}M"
    return f"{kb}K"
