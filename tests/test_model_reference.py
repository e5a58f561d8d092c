"""The bulk model against a small, independent per-page reference simulation.

The reference keeps a dict entry per PMD and per PTE and runs every access
of every page, one after another, writing the kernel's rules out again from
docs/design.md and the README's model section (not importing the model's
kernel, cpu or state code). The bulk
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


#: Kernels whose write fault on the huge zero PMD allocates a THP instead of splitting.
THP_ON_HUGE_ZERO_WRITE = ("6.13", "7.2")


def allowed_orders(thp, hugepage, mthp, pmd_order):
    """Orders a fault may allocate: each size's own mode, 'inherit' standing for the top level."""
    out = set()
    for order in range(2, pmd_order + 1):
        mode = mthp.get(order, "inherit" if order == pmd_order else "never")
        if mode == "inherit":
            mode = thp
        if mode == "always" or (mode == "madvise" and hugepage):
            out.add(order)
    return out


class Reference:
    """Per-page dictionaries; counts what the kernel's handlers do, page by page."""

    def __init__(self, kernel, policy, vma_start, vma_end, orders, page_shift=12,
                 use_zero_page=True, thp_available=True):
        self.kernel, self.policy = kernel, policy
        self.page = 1 << page_shift
        self.per_table = self.page // 8
        self.pmd_size = self.page * self.per_table
        self.vma_start, self.vma_end = vma_start, vma_end
        pmd_order = self.per_table.bit_length() - 1
        self.pmd_thp = pmd_order in orders
        self.small_orders = sorted((o for o in orders if o < pmd_order), reverse=True)
        self.use_zero_page = use_zero_page
        self.thp_available = thp_available
        self.pmd = {}   # region index -> "none" | "hzp" | "thp" | "table"
        self.pte = {}   # page index -> "none" | "zero" | "private"
        self.mthp = {}  # order -> folios
        self.c = dict.fromkeys(("faults", "read_faults", "write_faults", "upgraded", "cow",
                                "tlbi", "thp_allocated", "pmd_splits", "base_pages",
                                "huge_zero_maps", "llsc_retries", "populate_faults",
                                "collapses", "decisions", "mthp_allocated", "mthp_fallbacks",
                                "thp_fallbacks"), 0)

    def eligible(self, region):
        return (self.pmd_thp and region * self.pmd_size >= self.vma_start
                and (region + 1) * self.pmd_size <= self.vma_end)

    def mapping(self, address):
        region, page = address // self.pmd_size, address // self.page
        state = self.pmd.get(region, "none")
        if state == "hzp":
            return "ro", 2
        if state == "thp":
            return "rw", 2
        if state == "none":
            return "none", 2
        pte = self.pte.get(page, "none")
        return {"none": "none", "zero": "ro", "private": "rw", "large": "rw"}[pte], 3

    def kernel_fault(self, address, write):
        region, page = address // self.pmd_size, address // self.page
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
            self.c["thp_fallbacks"] += 1
        if state == "none":
            self.pmd[region] = "table"
        if state == "hzp":
            if not write:
                return
            self.c["tlbi"] += 1
            if self.kernel in THP_ON_HUGE_ZERO_WRITE:
                if self.thp_available:
                    self.pmd[region] = "thp"
                    self.c["thp_allocated"] += 1
                    return
                self.c["thp_fallbacks"] += 1
            self.pmd[region] = "table"
            self.c["pmd_splits"] += 1
            first = region * self.per_table
            for p in range(first, first + self.per_table):
                self.pte[p] = "zero"
        pte = self.pte.get(page, "none")
        if write and pte == "none":
            self.allocate(page)
        elif write and pte == "zero":
            self.c["cow"] += 1
            self.c["tlbi"] += 1
            self.pte[page] = "private"
            self.c["base_pages"] += 1
        elif not write and pte == "none":
            self.pte[page] = "zero"

    def allocate(self, page):
        """A write to an empty PTE: the largest allowed empty aligned block inside the VMA."""
        for order in self.small_orders:
            n = 1 << order
            first = page - page % n
            if first * self.page < self.vma_start or (first + n) * self.page > self.vma_end:
                continue
            if any(self.pte.get(p, "none") != "none" for p in range(first, first + n)):
                continue
            if not self.thp_available:
                self.c["mthp_fallbacks"] += 1
                continue
            for p in range(first, first + n):
                self.pte[p] = "large"
            self.c["mthp_allocated"] += 1
            self.mthp[order] = self.mthp.get(order, 0) + 1
            return
        self.pte[page] = "private"
        self.c["base_pages"] += 1

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
            cm = kind == "cache-maintenance"
            effective, upgraded = decision(word, esr(wnr, fault_type, level, cm=cm), self.policy)
            self.c["faults"] += 1
            self.c[f"{effective}_faults"] += 1
            self.c["upgraded"] += upgraded
            if (not wnr or cm) and self.policy != "none":
                self.c["decisions"] += 1
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
            first = region * self.per_table
            ptes = [self.pte.get(p, "none") for p in range(first, first + self.per_table)]
            private = sum(p in ("private", "large") for p in ptes)
            if private and self.per_table - private <= max_ptes_none:
                self.pmd[region] = "thp"
                self.c["collapses"] += 1
                self.c["tlbi"] += 1

    def final(self):
        """The final mapping: PTE values in page-table regions, and PMD values."""
        found = {"private": 0, "large": 0, "zero": 0, "none": 0}
        for p, s in self.pte.items():
            if self.pmd.get(p // self.per_table) == "table":
                found[s] += 1
        pmds = list(self.pmd.values())
        return {"resident_pages": found["private"], "resident_mthp_pages": found["large"],
                "mapped_zero_pages": found["zero"], "resident_thp": pmds.count("thp"),
                "mapped_huge_zero": pmds.count("hzp")}

    def rss(self):
        final = self.final()
        pages = final["resident_pages"] + final["resident_mthp_pages"]
        return final["resident_thp"] * self.pmd_size + pages * self.page


def reference(workload, size, kernel, policy, thp, stride=None, align=0, hugepage=False,
              collapse=False, max_ptes_none=None, page_shift=12, mthp=None, **kw):
    page = 1 << page_shift
    stride = stride or page
    start = DEFAULT_BASE + align
    end = start + -(-size // page) * page
    pmd_order = page_shift - 3
    orders = allowed_orders(thp, hugepage, mthp or {}, pmd_order)
    ref = Reference(kernel, policy, start, end, orders, page_shift, **kw)
    program = PROGRAMS[workload]
    if program is None:
        for address in range(start, end, page):
            ref.populate(address)
    else:
        for address in range(start, start + size, stride):
            ref.program(program, address)
    if collapse:
        ref.collapse((1 << pmd_order) - 1 if max_ptes_none is None else max_ptes_none)
    result = dict(ref.c)
    result["rss_bytes"] = ref.rss()
    result.update(ref.final())
    result["mthp"] = dict(sorted(ref.mthp.items()))
    return result


KEYS = ("faults", "read_faults", "write_faults", "upgraded", "cow", "tlbi", "thp_allocated",
        "pmd_splits", "base_pages", "huge_zero_maps", "llsc_retries", "populate_faults",
        "collapses", "rss_bytes", "decisions", "mthp_allocated", "mthp_fallbacks",
        "thp_fallbacks", "resident_pages", "resident_mthp_pages", "resident_thp",
        "mapped_zero_pages", "mapped_huge_zero")


def model_counts(row, page_size="4K"):
    """The row's counters under KEYS, ``mthp`` keyed by order as the reference keeps it."""
    from a64fault.model.geometry import geometry

    got = {key: row[key] for key in KEYS}
    g = geometry(page_size)
    got["mthp"] = {g.order_of(_bytes(name)): n for name, n in row["mthp"].items()}
    return got


def _bytes(name):
    return int(name[:-1]) << {"K": 10, "M": 20, "G": 30}[name[-1]]

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
            got = model_counts(row)
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
            assert model_counts(row) == want, (workload, row["kernel"], row["policy"])


def test_two_sweeps_over_one_vma_equal_reference():
    """A VMA wider than the sweeps; the second sweep starts from the first one's state."""
    from a64fault.model import Simulation, Vma
    from a64fault.model.cpu import Op
    from a64fault.model.kernel import KERNELS
    from a64fault.model.tunables import Tunables

    start, end = DEFAULT_BASE, DEFAULT_BASE + (8 << 20)
    read = (Op.of(WORDS["ldrb w8, [x0]"]),)
    lse = (Op.of(WORDS["stadd wzr, [x0]"]),)
    for kernel, policy in itertools.product(("6.10", "6.13"), ("none", "atomic")):
        sim = Simulation(KERNELS[kernel], policy, [Vma(start, end)],
                         tunables=Tunables(enabled="always"))
        sim.sweep(read, start + PAGE, 3 << 20)
        sim.sweep(lse, start, 8 << 20, 2 * PAGE)
        ref = Reference(kernel, policy, start, end, {9})
        for address in range(start + PAGE, start + PAGE + (3 << 20), PAGE):
            ref.program(["ldrb w8, [x0]"], address)
        for address in range(start, end, 2 * PAGE):
            ref.program(["stadd wzr, [x0]"], address)
        got = sim.counters.as_dict()
        assert {k: got[k] for k in ref.c} == ref.c, (kernel, policy)
        assert sim.rss_bytes() == ref.rss()


# -- strides that do not divide the PMD: the bulk model keeps a rotation of states ---------
SLOW = pytest.mark.slow
ODD_SHAPES = [  # (size, stride, align): many whole regions, each entered at another offset
    (24 << 20, 4097, 0),
    pytest.param((24 << 20) + 5 * PAGE, 12 << 10, 3 * PAGE, marks=SLOW),
    ((26 << 20) + 7, (2 << 20) + PAGE, PAGE),
    pytest.param(64 << 20, (3 << 20) + 1, 0, marks=SLOW),
    pytest.param(20 << 20, (1 << 20) + 1, 5 * PAGE, marks=SLOW),
    (96 << 10, 1, (2 << 20) - (32 << 10)),     # stride 1 across a region boundary
]


@pytest.mark.parametrize("size,stride,align", ODD_SHAPES)
@pytest.mark.parametrize("thp", ["never", pytest.param("always", marks=SLOW)])
@pytest.mark.parametrize("rotate_from", [pytest.param(None, marks=SLOW), 2])
def test_odd_strides_equal_reference(size, stride, align, thp, rotate_from, monkeypatch):
    """Whole regions simulated one by one (few of them) and as a rotation (forced from 2)."""
    from a64fault.model import Simulation

    monkeypatch.setattr(Simulation, "ROTATE_FROM", rotate_from)
    workloads = ("pretouch-lse", "read-then-write", "memset")
    if stride == 1:
        workloads = ("pretouch-lse",)
    for workload in workloads:
        setup = Setup(workload=workload, size=size, thp=thp, stride=stride, align=align,
                      collapse=thp == "always")
        for row in simulate(setup, ("6.10", "6.13"), ("none", "atomic")):
            want = reference(workload, size, row["kernel"], row["policy"], thp, stride=stride,
                             align=align, collapse=thp == "always")
            assert model_counts(row) == want, (workload, size, stride, align, thp,
                                               row["kernel"], row["policy"])


# -- 16 KiB and 64 KiB pages ---------------------------------------------------------------
PAGE_SHAPES = {  # page size -> (page shift, [(size, stride, align)])
    "16K": (14, [(64 << 20, None, 0), ((33 << 20) + (48 << 10), 3 * (16 << 10) + 1, 16 << 10)]),
    "64K": (16, [((512 << 20) + (64 << 10), None, 0), (3 << 20, 5 << 16, 64 << 10)]),
}


@pytest.mark.parametrize("page_size", ["16K", pytest.param("64K", marks=SLOW)])
@pytest.mark.parametrize("thp", [pytest.param("never", marks=SLOW), "always"])
def test_page_sizes_equal_reference(page_size, thp):
    shift, shapes = PAGE_SHAPES[page_size]
    for (size, stride, align), workload in itertools.product(shapes, ("pretouch-lse", "memset",
                                                                       "madv-populate-write")):
        setup = Setup(workload=workload, size=size, thp=thp, stride=stride, align=align,
                      page_size=page_size, collapse=True)
        for row in simulate(setup, ("6.1", "7.2"), ("none", "atomic")):
            want = reference(workload, size, row["kernel"], row["policy"], thp, stride=stride,
                             align=align, page_shift=shift, collapse=True)
            assert model_counts(row, page_size) == want, (page_size, workload, size, stride,
                                                          row["kernel"], row["policy"])


# -- anonymous mTHP --------------------------------------------------------------------------
MTHP = [  # (thp, hugepage, settings)
    ("never", False, {"64K": "always"}),
    pytest.param("always", False, {"16K": "always", "64K": "always", "2M": "never"}, marks=SLOW),
    ("madvise", True, {"16K": "madvise", "32K": "inherit", "1M": "always"}),
    pytest.param("always", False, {"32K": "inherit", "256K": "madvise"}, marks=SLOW),
]


@pytest.mark.parametrize("thp,hugepage,settings", MTHP)
@pytest.mark.parametrize("thp_available", [True, pytest.param(False, marks=SLOW)])
@pytest.mark.parametrize("rotate_from", [None, pytest.param(2, marks=SLOW)])
def test_mthp_equals_reference(thp, hugepage, settings, thp_available, rotate_from, monkeypatch):
    """Each shape with few regions simulated one by one, or as a rotation from two regions on."""
    from a64fault.model import Simulation

    monkeypatch.setattr(Simulation, "ROTATE_FROM", rotate_from)
    orders = {(_bytes(size) >> 12).bit_length() - 1: mode for size, mode in settings.items()}
    items = tuple(f"{size}={mode}" for size, mode in settings.items())
    shapes = [((6 << 20) + 20 * PAGE, None, 3 * PAGE), (5 << 20, 20 << 10, 0),
              ((8 << 20) + PAGE, 4097, 9 * PAGE)]
    for (size, stride, align), workload in itertools.product(shapes, list(PROGRAMS)):
        setup = Setup(workload=workload, size=size, thp=thp, hugepage=hugepage, stride=stride,
                      align=align, mthp=items, thp_available=thp_available)
        for row in simulate(setup, ("6.10", "7.2"), ("none", "atomic", "atomic+exclusive")):
            want = reference(workload, size, row["kernel"], row["policy"], thp, stride=stride,
                             align=align, hugepage=hugepage, mthp=orders,
                             thp_available=thp_available)
            assert model_counts(row) == want, (settings, workload, size, stride, align,
                                               row["kernel"], row["policy"])


def test_mthp_rotation_equals_reference(monkeypatch):
    """An odd stride under mTHP, the whole regions kept as a rotation."""
    from a64fault.model import Simulation

    monkeypatch.setattr(Simulation, "ROTATE_FROM", 2)
    size, stride, align = (8 << 20) + PAGE, 4097, 9 * PAGE
    for workload in ("pretouch-lse", "memset"):
        setup = Setup(workload=workload, size=size, stride=stride, align=align,
                      mthp=("16K=always", "64K=always"))
        for row in simulate(setup, ("7.2",), ("none", "atomic")):
            want = reference(workload, size, "7.2", row["policy"], "never", stride=stride,
                             align=align, mthp={2: "always", 4: "always"})
            assert model_counts(row) == want, (workload, row["policy"])


@pytest.mark.parametrize("page_size,mthp", [("4K", {4: "always", 2: "always"}),
                                            ("16K", {4: "always"})])
def test_trace_equals_reference(tmp_path, page_size, mthp):
    """A trace of mixed instructions at scattered addresses, replayed one access at a time."""
    import random

    shift = {"4K": 12, "16K": 14}[page_size]
    page = 1 << shift
    pmd = page * (page // 8)
    rng = random.Random(5)
    lines = ["ldr x8, [x0]", "str x8, [x0]", "stadd wzr, [x0]", "ldrb w8, [x0]",
             "cas w1, w2, [x0]", "dc civac, x0", "prfm pldl1keep, [x0]"]
    base = DEFAULT_BASE + 3 * pmd
    rows = [(rng.choice(lines), base + rng.randrange(2 * pmd // page) * page + rng.randrange(8))
            for _ in range(300)]
    path = tmp_path / "t.csv"
    path.write_text("word,address\n" + "".join(f"{WORDS[line]:#x},{address:#x}\n"
                                               for line, address in rows))
    sizes = tuple(f"{(page << order) >> 10}K={mode}" for order, mode in mthp.items())
    setup = Setup(workload="trace", trace=str(path), thp="always", page_size=page_size,
                  mthp=sizes)
    lo = min(a for _, a in rows) // pmd * pmd
    hi = (max(a for _, a in rows) // pmd + 1) * pmd
    for row in simulate(setup, ("6.10", "7.2"), ("none", "atomic")):
        ref = Reference(row["kernel"], row["policy"], lo, hi,
                        allowed_orders("always", False, mthp, shift - 3), shift)
        for line, address in rows:
            ref.run(WORDS[line], address)
        want = dict(ref.c)
        want.update(ref.final())
        want["rss_bytes"] = ref.rss()
        want["mthp"] = dict(sorted(ref.mthp.items()))
        assert model_counts(row, page_size) == want, (page_size, row["kernel"], row["policy"])


def test_mthp_order_falls_to_the_largest_empty_block():
    """Reads map zero pages at every 12th page first; the writes that follow find some
    64 KiB blocks non-empty and take the largest empty aligned block below them."""
    from a64fault.model import Simulation, Vma
    from a64fault.model.cpu import Op
    from a64fault.model.kernel import kernel
    from a64fault.model.tunables import Tunables

    start, end = DEFAULT_BASE, DEFAULT_BASE + (4 << 20)
    read = (Op.of(WORDS["ldrb w8, [x0]"]),)
    write = (Op.of(WORDS["str xzr, [x0]"]),)
    sizes = ((2, "always"), (3, "always"), (4, "always"))
    for policy, available in itertools.product(("none", "atomic"), (True, False)):
        sim = Simulation(kernel("7.2"), policy, [Vma(start, end)],
                         tunables=Tunables(sizes=sizes), thp_available=available)
        sim.sweep(read, start + 5 * PAGE, 3 << 20, 12 * PAGE)
        sim.sweep(write, start, 4 << 20, PAGE)
        ref = Reference("7.2", policy, start, end, {2, 3, 4}, thp_available=available)
        for address in range(start + 5 * PAGE, start + 5 * PAGE + (3 << 20), 12 * PAGE):
            ref.program(["ldrb w8, [x0]"], address)
        for address in range(start, end, PAGE):
            ref.program(["str xzr, [x0]"], address)
        got = sim.counters.as_dict()
        assert {k: got[k] for k in ref.c} == ref.c, (policy, available)
        assert dict(sim.counters.mthp_orders) == ref.mthp
        assert {2, 3, 4} <= set(ref.mthp) or not available
