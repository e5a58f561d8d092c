"""The bulk model against a small, independent per-page reference simulation.

The reference keeps a dict entry per PMD and per PTE and runs every access
of every page, one after another, writing the kernel's rules out again from
docs/design.md and the README's model section (not importing the model's kernel, cpu or state code). The bulk
model simulates one region per distinct state and multiplies; on small
sizes the two must agree exactly, counter for counter.
"""

import functools
import itertools

import pytest

from a64fault import classify, decide
from a64fault.model import Setup, simulate
from a64fault.model.encodings import WORDS
from a64fault.model.runner import DEFAULT_BASE

PAGE, PMD = 1 << 12, 1 << 21
PROGRAMS = {
    "pretouch-lse": ["stadd wzr, [x0]"],
    "pretouch-llsc": ["ldxr w8, [x0]", "add w8, w8, #0", "stxr w9, w8, [x0]"],
    "memset": ["str xzr, [x0]"],
    "populate-read": ["ldrb w8, [x0]"],
    "read-then-write": ["ldr x8, [x0]", "str x8, [x0]"],
    "madv-populate-write": None,
}

@functools.cache
def kind_of(word):
    return classify(word).kind.value


@functools.cache
def decision(word, esr_value, policy):
    d = decide(word, esr_value, el=0, vma_writable=True, policy=policy)
    return d.effective, d.upgraded


# ESR fields (docs/design.md, "ESR_ELx fields"), spelled out here independently of the model.
EC_DABT_LOW = 0b100100


def esr(wnr, fault_type, level, cm=False):
    dfsc = (0b0001 if fault_type == "translation" else 0b0011) << 2 | level
    return EC_DABT_LOW << 26 | 1 << 25 | int(cm) << 8 | int(wnr) << 6 | dfsc


class Reference:
    """Per-page dictionaries; counts faults, copies, TLB invalidations, THPs and splits."""

    def __init__(self, kernel, policy, vma_start, vma_end, thp_enabled, use_zero_page=True,
                 thp_available=True):
        self.kernel, self.policy = kernel, policy
        self.vma_start, self.vma_end = vma_start, vma_end
        self.thp_enabled, self.use_zero_page = thp_enabled, use_zero_page
        self.thp_available = thp_available
        self.pmd = {}   # region index -> "none" | "hzp" | "thp" | "table"
        self.pte = {}   # page index -> "none" | "zero" | "private"
        self.c = dict.fromkeys(("faults", "read_faults", "write_faults", "upgraded", "cow",
                                "tlbi", "thp_allocated", "pmd_splits", "base_pages",
                                "huge_zero_maps", "llsc_retries", "populate_faults",
                                "collapses"), 0)

    def eligible(self, region):
        return (self.thp_enabled and region * PMD >= self.vma_start
                and (region + 1) * PMD <= self.vma_end)

    def mapping(self, address):
        region, page = address // PMD, address // PAGE
        state = self.pmd.get(region, "none")
        if state == "hzp":
            return "ro", 2
        if state == "thp":
            return "rw", 2
        if state == "none":
            return "none", 2
        pte = self.pte.get(page, "none")
        return {"none": "none", "zero": "ro", "private": "rw"}[pte], 3

    def kernel_fault(self, address, write):
        region, page = address // PMD, address // PAGE
        state = self.pmd.get(region, "none")
        if state == "none" and self.eligible(region):
            if not write and self.use_zero_page:
                self.pmd[region] = "hzp"
                self.c["huge_zero_maps"] += 1
                return
            if self.thp_available:
                self.pmd[region] = "thp"
                self.c["thp_allocated"] += 1
                return
        if state == "none":
            self.pmd[region] = "table"
        if state == "hzp":
            if not write:
                return
            self.c["tlbi"] += 1
            if self.kernel == "6.13" and self.thp_available:
                self.pmd[region] = "thp"
                self.c["thp_allocated"] += 1
                return
            self.pmd[region] = "table"
            self.c["pmd_splits"] += 1
            for p in range(region * 512, region * 512 + 512):
                self.pte[p] = "zero"
        pte = self.pte.get(page, "none")
        if write and pte != "private":
            if pte == "zero":
                self.c["cow"] += 1
                self.c["tlbi"] += 1
            self.pte[page] = "private"
            self.c["base_pages"] += 1
        elif not write and pte == "none":
            self.pte[page] = "zero"

    def run(self, word, address):
        """One instruction until it completes; returns the faults it took."""
        kind = kind_of(word)
        if kind in ("prefetch", "other"):
            return 0
        needs_write = kind not in ("load", "load-exclusive", "cache-maintenance")
        taken = 0
        while True:
            have, level = self.mapping(address)
            if have == "rw" or (have == "ro" and not needs_write):
                return taken
            fault_type = "translation" if have == "none" else "permission"
            if kind in ("atomic-rmw", "compare-and-swap"):
                wnr = have == "ro"
            else:
                wnr = needs_write
            effective, upgraded = decision(
                word, esr(wnr, fault_type, level, cm=kind == "cache-maintenance"), self.policy)
            self.c["faults"] += 1
            self.c[f"{effective}_faults"] += 1
            self.c["upgraded"] += upgraded
            self.kernel_fault(address, effective == "write")
            taken += 1

    def program(self, asm_lines, address):
        i = 0
        while i < len(asm_lines):
            line = asm_lines[i]
            taken = self.run(WORDS[line], address)
            if taken and line.startswith("stxr"):
                self.c["llsc_retries"] += 1
                i = 0  # back to the ldxr
                continue
            i += 1

    def populate(self, address):
        if self.mapping(address)[0] != "rw":
            self.c["populate_faults"] += 1
            self.kernel_fault(address, True)

    def collapse(self, max_ptes_none):
        for region, state in list(self.pmd.items()):
            if state != "table" or not self.eligible(region):
                continue
            ptes = [self.pte.get(p, "none") for p in range(region * 512, region * 512 + 512)]
            if "private" in ptes and sum(p != "private" for p in ptes) <= max_ptes_none:
                self.pmd[region] = "thp"
                self.c["collapses"] += 1
                self.c["tlbi"] += 1

    def rss(self):
        thps = sum(1 for r, s in self.pmd.items() if s == "thp")
        pages = sum(1 for p, s in self.pte.items()
                    if s == "private" and self.pmd.get(p // 512) == "table")
        return thps * PMD + pages * PAGE


def reference(workload, size, kernel, policy, thp, stride=PAGE, align=0, hugepage=False,
              collapse=False, max_ptes_none=511, **kw):
    start = DEFAULT_BASE + align
    end = start + -(-size // PAGE) * PAGE
    ref = Reference(kernel, policy, start, end,
                    thp == "always" or (thp == "madvise" and hugepage), **kw)
    program = PROGRAMS[workload]
    if program is None:
        for address in range(start, end, PAGE):
            ref.populate(address)
    else:
        for address in range(start, start + size, stride):
            ref.program(program, address)
    if collapse:
        ref.collapse(max_ptes_none)
    result = dict(ref.c)
    result["rss_bytes"] = ref.rss()
    return result


KEYS = ("faults", "read_faults", "write_faults", "upgraded", "cow", "tlbi", "thp_allocated",
        "pmd_splits", "base_pages", "huge_zero_maps", "llsc_retries", "populate_faults",
        "collapses", "rss_bytes")

SHAPES = [  # (size, stride, align): aligned, unaligned, sub-page, odd and huge strides
    (4 << 20, PAGE, 0),
    ((5 << 20) + 3 * PAGE, PAGE, 5 * PAGE),
    (4 << 20, 3 * PAGE, 0),
    (3 << 20, 2 << 20, 7 * PAGE),
    (10 << 20, 4 << 20, 0),
    (1 << 20, 1024, 0),
]
THP = [("never", False), ("always", False), ("madvise", True), ("madvise", False)]


@pytest.mark.parametrize("workload", list(PROGRAMS))
@pytest.mark.parametrize("thp,hugepage", THP)
def test_bulk_model_equals_per_page_reference(workload, thp, hugepage):
    kernels, policies = ("6.10", "6.13"), ("none", "kernel-v5", "atomic", "atomic+exclusive")
    for (size, stride, align), collapse in itertools.product(SHAPES, (False, True)):
        if collapse and stride != PAGE:
            continue
        setup = Setup(workload=workload, size=size, thp=thp, hugepage=hugepage, stride=stride,
                      align=align, collapse=collapse)
        for row in simulate(setup, kernels, policies):
            want = reference(workload, size, row["kernel"], row["policy"], thp, stride=stride,
                             align=align, hugepage=hugepage, collapse=collapse)
            got = {key: row[key] for key in KEYS}
            assert got == want, (workload, thp, hugepage, size, stride, align, collapse,
                                 row["kernel"], row["policy"])


@pytest.mark.parametrize("use_zero_page,thp_available", [(False, True), (True, False)])
def test_bulk_model_equals_reference_with_sysfs_knobs(use_zero_page, thp_available):
    for workload in PROGRAMS:
        setup = Setup(workload=workload, size=(4 << 20) + PAGE, thp="always", align=PAGE,
                      use_zero_page=use_zero_page, thp_available=thp_available)
        for row in simulate(setup):
            want = reference(workload, (4 << 20) + PAGE, row["kernel"], row["policy"], "always",
                             align=PAGE, use_zero_page=use_zero_page,
                             thp_available=thp_available)
            assert {key: row[key] for key in KEYS} == want, (workload, row["kernel"],
                                                             row["policy"])


def test_two_sweeps_over_one_vma_equal_reference():
    """A VMA wider than the sweeps; the second sweep starts from the first one's state."""
    from a64fault.model import Simulation, Vma
    from a64fault.model.cpu import Op
    from a64fault.model.kernel import KERNELS

    start, end = DEFAULT_BASE, DEFAULT_BASE + (8 << 20)
    read = (Op.of(WORDS["ldrb w8, [x0]"]),)
    lse = (Op.of(WORDS["stadd wzr, [x0]"]),)
    for kernel, policy in itertools.product(("6.10", "6.13"), ("none", "atomic")):
        sim = Simulation(KERNELS[kernel], policy, [Vma(start, end, thp="always")])
        sim.sweep(read, start + PAGE, 3 << 20)
        sim.sweep(lse, start, 8 << 20, 2 * PAGE)
        ref = Reference(kernel, policy, start, end, True)
        for address in range(start + PAGE, start + PAGE + (3 << 20), PAGE):
            ref.program(["ldrb w8, [x0]"], address)
        for address in range(start, end, 2 * PAGE):
            ref.program(["stadd wzr, [x0]"], address)
        got = sim.counters.as_dict()
        assert {k: got[k] for k in ref.c} == ref.c, (kernel, policy)
        assert sim.rss_bytes() == ref.rss()
