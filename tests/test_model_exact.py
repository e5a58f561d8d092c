"""The fault model against expectations derived by hand from the kernel behaviour.

Every number here comes from Linux's behaviour as docs/design.md describes it (6.10 splits a
written huge zero PMD, 6.13 allocates a THP instead) and the Arm ARM's WnR
rules, counted per page or per 2 MiB by hand; none is read off the model.
"""

import pytest

from a64fault.model import Setup, simulate

KIB, MIB = 1 << 10, 1 << 20
PAGES_PER_2M = 512
ALL_POLICIES = ("none", "kernel-v5", "atomic", "atomic+exclusive")


def rows(workload, size, thp="never", kernels=("6.10", "6.13"), policies=ALL_POLICIES, **kw):
    found = simulate(Setup(workload=workload, size=size, thp=thp, **kw), kernels, policies)
    return {(row["kernel"], row["policy"]): row for row in found}


@pytest.mark.parametrize("pages", [1, 7, 1000])
def test_pretouch_lse_without_thp_halves_the_faults(pages):
    n = pages
    got = rows("pretouch-lse", pages * 4 * KIB)
    for kernel in ("6.10", "6.13"):
        none = got[kernel, "none"]
        # read translation fault (zero page), then write permission fault (CoW + TLBI).
        assert (none["faults"], none["read_faults"], none["write_faults"]) == (2 * n, n, n)
        assert none["fault_classes"] == {"read->read translation": n,
                                         "write->write permission": n}
        assert (none["cow"], none["tlbi"], none["upgraded"]) == (n, n, 0)
        assert none["base_pages"] == n and none["rss_bytes"] == n * 4 * KIB
        for policy in ("kernel-v5", "atomic", "atomic+exclusive"):
            up = got[kernel, policy]
            assert (up["faults"], up["upgraded"], up["cow"], up["tlbi"]) == (n, n, 0, 0)
            assert up["fault_classes"] == {"read->write translation": n}
            assert up["base_pages"] == n and up["zero_page_maps"] == 0


@pytest.mark.parametrize("mib", [2, 6])
def test_pretouch_lse_thp_always(mib):
    regions = mib // 2
    got = rows("pretouch-lse", mib * MIB, thp="always")
    none = got["6.10", "none"]
    # Per 2 MiB: a read fault maps the huge zero page; the first write splits it and
    # copies on write; the other 511 pages each take a write fault on a zero-page PTE.
    assert none["read_faults"] == regions
    assert none["write_faults"] == PAGES_PER_2M * regions
    assert none["faults"] == (1 + PAGES_PER_2M) * regions
    assert none["base_pages"] == PAGES_PER_2M * regions
    assert none["thp_allocated"] == 0 and none["pmd_splits"] == regions
    assert none["huge_zero_maps"] == regions and none["cow"] == PAGES_PER_2M * regions
    # one PMD flush (the split) plus one page flush per copy on write
    assert none["tlbi"] == (1 + PAGES_PER_2M) * regions
    for kernel in ("6.10", "6.13"):
        for policy in ("kernel-v5", "atomic"):
            up = got[kernel, policy]
            assert (up["faults"], up["thp_allocated"], up["upgraded"]) == (regions,) * 3
            assert up["base_pages"] == 0 and up["pmd_splits"] == 0 and up["tlbi"] == 0
            assert up["rss_bytes"] == mib * MIB
    new = got["6.13", "none"]
    assert (new["faults"], new["read_faults"], new["write_faults"]) == (2 * regions, regions,
                                                                         regions)
    assert new["thp_allocated"] == regions and new["pmd_splits"] == 0
    assert new["base_pages"] == 0 and new["tlbi"] == regions  # the huge zero PMD's flush


@pytest.mark.parametrize("thp", ["never", "always"])
def test_pretouch_llsc_only_atomic_exclusive_helps(thp):
    got = rows("pretouch-llsc", 4 * MIB, thp=thp)
    pages, regions = 1024, 2
    for kernel in ("6.10", "6.13"):
        none = got[kernel, "none"]
        for policy in ("kernel-v5", "atomic"):
            same = got[kernel, policy]
            for key in ("faults", "read_faults", "write_faults", "cow", "tlbi", "base_pages",
                        "thp_allocated", "pmd_splits"):
                assert same[key] == none[key], (kernel, policy, key)
            assert same["upgraded"] == 0
        best = got[kernel, "atomic+exclusive"]
        # LDXR's read fault is upgraded: the page (or THP) is writable before STXR runs.
        expected = pages if thp == "never" else regions
        assert best["faults"] == best["upgraded"] == expected
        assert best["cow"] == 0 and best["llsc_retries"] == 0
    # THP never: LDXR read fault, STXR write fault, STXR fails once, loop reruns.
    if thp == "never":
        assert got["6.10", "none"]["faults"] == 2 * pages
        assert got["6.10", "none"]["llsc_retries"] == pages


@pytest.mark.parametrize("thp", ["never", "always"])
def test_populate_read_never_allocates(thp):
    for row in rows("populate-read", 4 * MIB, thp=thp).values():
        assert row["base_pages"] == 0 and row["thp_allocated"] == 0 and row["cow"] == 0
        assert row["rss_bytes"] == 0 and row["write_faults"] == 0 and row["upgraded"] == 0
        assert row["faults"] == (1024 if thp == "never" else 2)


def test_madv_populate_write_takes_no_user_faults():
    for row in rows("madv-populate-write", 6 * MIB, thp="always").values():
        assert row["faults"] == 0 and row["thp_allocated"] == 3 and row["base_pages"] == 0
        assert row["populate_faults"] == 3 and row["tlbi"] == 0
    for row in rows("madv-populate-write", 6 * MIB, thp="never").values():
        assert row["faults"] == 0 and row["thp_allocated"] == 0
        assert row["base_pages"] == row["populate_faults"] == 1536


def test_collapse_turns_written_regions_back_into_thp():
    got = rows("pretouch-lse", 6 * MIB, thp="always", kernels=("6.10",), policies=("none",),
               collapse=True)["6.10", "none"]
    assert got["pmd_splits"] == 3 and got["collapses"] == 3
    assert got["collapse_freed"] == 3 * PAGES_PER_2M
    assert got["resident_thp"] == 3 and got["resident_pages"] == 0
    assert got["rss_bytes"] == 6 * MIB


def test_collapse_respects_max_ptes_none():
    # populate-read leaves only zero pages: they count as none, so nothing collapses.
    got = rows("populate-read", 4 * MIB, thp="always", kernels=("6.10",), policies=("none",),
               collapse=True)["6.10", "none"]
    assert got["collapses"] == 0
    # 8 KiB stride writes every other page: 256 none PTEs per region.
    for limit, collapses in ((255, 0), (256, 2)):
        got = rows("memset", 4 * MIB, thp="never", kernels=("6.10",), policies=("none",),
                   collapse=True, stride=8 * KIB, max_ptes_none=limit)["6.10", "none"]
        assert got["collapses"] == 0  # THP never: khugepaged does not look
        got = rows("memset", 4 * MIB, thp="madvise", hugepage=True, kernels=("6.10",),
                   policies=("none",), collapse=True, stride=8 * KIB, use_zero_page=True,
                   thp_available=False, max_ptes_none=limit)["6.10", "none"]
        assert got["thp_fallbacks"] == 2 and got["base_pages"] == 512
        assert got["collapses"] == collapses


def test_thp_madvise_needs_madv_hugepage():
    plain = rows("memset", 2 * MIB, thp="madvise", kernels=("6.10",), policies=("none",))
    advised = rows("memset", 2 * MIB, thp="madvise", hugepage=True, kernels=("6.10",),
                   policies=("none",))
    assert plain["6.10", "none"]["thp_allocated"] == 0
    assert plain["6.10", "none"]["faults"] == 512
    assert advised["6.10", "none"]["thp_allocated"] == 1
    assert advised["6.10", "none"]["faults"] == 1


def test_unaligned_range_gets_no_thp_at_the_edges():
    # 4 MiB starting 4 KiB past a 2 MiB boundary spans 3 regions; only [2M, 4M)
    # lies wholly inside the VMA, so only it can get a THP.
    got = rows("memset", 4 * MIB, thp="always", align=4 * KIB, kernels=("6.10",),
               policies=("none",))["6.10", "none"]
    assert got["thp_allocated"] == 1
    assert got["base_pages"] == 511 + 1  # 511 pages before 2M, 1 page after 4M


def test_no_zero_page_read_allocates_thp():
    got = rows("populate-read", 2 * MIB, thp="always", use_zero_page=False,
               kernels=("6.10",), policies=("none",))["6.10", "none"]
    assert got["thp_allocated"] == 1 and got["huge_zero_maps"] == 0 and got["faults"] == 1


def test_613_falls_back_to_split_when_no_thp():
    got = rows("pretouch-lse", 2 * MIB, thp="always", thp_available=False,
               kernels=("6.13",), policies=("none", "atomic"))
    none = got["6.13", "none"]
    assert none["pmd_splits"] == 1 and none["thp_fallbacks"] == 1
    assert none["faults"] == 1 + PAGES_PER_2M and none["base_pages"] == PAGES_PER_2M
    atomic = got["6.13", "atomic"]
    # the upgraded write on an empty PMD cannot get a THP: base pages, one fault each
    assert atomic["faults"] == PAGES_PER_2M and atomic["thp_fallbacks"] == 1


def test_estimated_time_follows_the_counters():
    got = rows("pretouch-lse", 1 * MIB)
    assert got["6.10", "none"]["est_seconds"] > got["6.10", "atomic"]["est_seconds"] > 0


# -- kernels, page sizes and mTHP: numbers counted by hand from the kernel's rules ---------
def test_release_strings_map_to_behaviours():
    from a64fault.model.kernel import kernel

    old, new = kernel("6.1.0-28-arm64"), kernel("7.2.x")
    assert (old.name, old.huge_zero_write_allocates_thp, old.anon_mthp) == ("6.1", False, False)
    assert (new.name, new.huge_zero_write_allocates_thp, new.anon_mthp) == ("7.2", True, True)
    assert kernel("6.8").anon_mthp and not kernel("6.7.12").anon_mthp
    assert not kernel("6.12.9-arm64-16k").huge_zero_write_allocates_thp
    assert kernel("6.13").huge_zero_write_allocates_thp


def test_pretouch_64m_on_6_1_and_7_2():
    """64 MiB, 4 KiB pages: 16384 pages, 32 PMDs."""
    for kernel in ("6.1.0-28-arm64", "7.2"):
        never = rows("pretouch-lse", 64 * MIB, kernels=(kernel,), policies=("none",))
        assert never[kernel.split(".0-")[0], "none"]["faults"] == 2 * 16384
    always = rows("pretouch-lse", 64 * MIB, thp="always", kernels=("6.1", "7.2"),
                  policies=("none",))
    old = always["6.1", "none"]
    assert (old["faults"], old["pmd_splits"], old["thp_allocated"]) == (32 * 513, 32, 0)
    new = always["7.2", "none"]
    assert (new["faults"], new["thp_allocated"], new["pmd_splits"]) == (64, 32, 0)


def test_mthp_64k_on_7_2():
    """64K mTHP always, PMD THP never: a write fault maps a whole 64 KiB folio (16 pages);
    the read half of stadd maps the zero page first, whose copy is one page."""
    got = rows("memset", 64 * MIB, kernels=("7.2",), policies=("none",),
               mthp=("64K=always",))["7.2", "none"]
    assert (got["faults"], got["mthp_allocated"], got["mthp"]) == (1024, 1024, {"64K": 1024})
    assert got["base_pages"] == 0 and got["resident_mthp_pages"] == 16384
    lse = rows("pretouch-lse", 64 * MIB, kernels=("7.2",), policies=("none", "atomic"),
               mthp=("64K=always",))
    none = lse["7.2", "none"]
    assert (none["faults"], none["mthp_allocated"], none["cow"]) == (32768, 0, 16384)
    assert none["resident_pages"] == 16384 and none["resident_mthp_pages"] == 0
    atomic = lse["7.2", "atomic"]  # the upgraded read fault is a write: 64 KiB folios again
    assert (atomic["faults"], atomic["mthp_allocated"], atomic["decisions"]) == (1024, 1024, 1024)


def test_mthp_fallback_orders():
    """16K and 64K allowed; the VMA is pages 2..65 counted from a 64 KiB boundary. The
    64 KiB block 0-15 is not inside it, nor the 16 KiB block 0-3: pages 2 and 3 get one
    page each; 4-7, 8-11 and 12-15 a 16 KiB folio each; 16-63 three 64 KiB folios; the
    16 KiB block 64-67 is not inside either: pages 64 and 65 get one page each."""
    got = rows("memset", 256 * KIB, kernels=("7.2",), policies=("none",), align=8 * KIB,
               mthp=("16K=always", "64K=always"))["7.2", "none"]
    assert got["mthp"] == {"16K": 3, "64K": 3}
    assert got["base_pages"] == 2 + 2 and got["faults"] == 4 + 3 + 3


def test_decisions_are_read_faults_under_an_upgrading_policy():
    got = rows("populate-read", 1 * MIB)
    for kernel in ("6.10", "6.13"):
        assert got[kernel, "none"]["decisions"] == 0
        for policy in ("kernel-v5", "atomic", "atomic+exclusive"):
            row = got[kernel, policy]  # every read fault is decided, none upgraded
            assert (row["decisions"], row["upgraded"]) == (256, 0)
            assert row["decide_seconds"] > 0
            assert row["est_seconds"] > got[kernel, "none"]["est_seconds"]


@pytest.mark.parametrize("page_size,pmd,ptes", [("4K", 2 * MIB, 512), ("16K", 32 * MIB, 2048),
                                                ("64K", 512 * MIB, 8192)])
def test_page_size_geometry(page_size, pmd, ptes):
    from a64fault.model.geometry import geometry

    g = geometry(page_size)
    assert (g.pmd_size, g.ptes_per_table) == (pmd, ptes)
    # THP always, 6.1: per PMD one read fault (huge zero), then one write fault per page.
    got = rows("pretouch-lse", 2 * pmd, thp="always", kernels=("6.1",), policies=("none",),
               page_size=page_size)["6.1", "none"]
    assert (got["faults"], got["pmd_splits"], got["base_pages"]) == (2 * (1 + ptes), 2, 2 * ptes)
