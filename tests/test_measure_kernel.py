"""Real runs: the committed probe rebuilt from source, and one boot of Debian's
bookworm kernel under QEMU whose every count must match the model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from a64fault.measure import Job, boot, compare, jobs_for
from a64fault.measure.probe import BINARY, SOURCE, build
from a64fault.measure.qemu import qemu_binary

ROOT = Path(__file__).resolve().parents[1]
#: Bytes each workload of the boot test touches.
SIZE = 16 << 20
#: Where bench/kernel/fetch.py puts the bookworm kernel (.ci/run fetches it);
#: A64FAULT_KERNEL_IMAGE overrides.
BOOKWORM_IMAGE = Path(os.environ.get("A64FAULT_KERNEL_IMAGE",
                                     ROOT / "bench" / "_work" / "kernel" / "bookworm" / "Image"))


def _zig_missing() -> bool:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return True
    return False


@pytest.mark.slow
@pytest.mark.skipif(_zig_missing(), reason="the ziglang wheel is not installed")
@pytest.mark.skipif(not SOURCE.exists(), reason="probe/probe.c is not here (installed package)")
def test_committed_probe_is_what_the_source_builds(tmp_path):
    # zig (LLVM + lld, no build id, no timestamps) builds the same bytes every time.
    rebuilt = build(tmp_path / "probe", SOURCE)
    assert rebuilt.read_bytes() == BINARY.read_bytes(), (
        "a64fault/measure/probe-aarch64 is stale: rebuild it with python probe/build.py")


@pytest.mark.kernel
@pytest.mark.skipif(qemu_binary() is None, reason="qemu-system-aarch64 is not installed "
                    "(Debian: apt-get install qemu-system-arm)")
@pytest.mark.skipif(not BOOKWORM_IMAGE.is_file(), reason=f"no kernel at {BOOKWORM_IMAGE} "
                    "(python bench/kernel/fetch.py bookworm)")
def test_bookworm_kernel_matches_the_model_count_for_count():
    # 16 MiB (8 huge pages) keeps every counter non-trivial; bench/bench_kernel.py
    # measures the larger sizes.
    jobs = [Job("none", SIZE, "always")]
    jobs += jobs_for(["pretouch-lse", "memset"], [SIZE], ["never", "always"])
    report = boot(BOOKWORM_IMAGE, jobs, timeout=280)
    assert report.release.startswith("6.1.")
    # A run that maps and unmaps without touching reports nothing: the probe's own
    # pages are locked and its paths warmed up.
    empty = report.runs[0]
    assert empty["counters"]["minflt"] == empty["counters"]["pgfault"] == 0
    assert all(run["decoy_below"] for run in report.runs)
    results = compare(report)
    assert len(results) == 4
    for result in results:
        assert result.equal, (result.workload, result.thp, result.differences(),
                              result.measured, result.model)
    by_setting = {(r.workload, r.thp): r.measured for r in results}
    # The double fault, as the kernel counts it: a read then a write per 4K page,
    # and with THP the huge zero page split once per 2 MiB.
    assert by_setting["pretouch-lse", "never"]["minflt"] == 2 * SIZE // 4096
    assert by_setting["pretouch-lse", "always"]["thp_split_pmd"] == SIZE // (2 << 20)
    assert by_setting["memset", "always"]["thp_fault_alloc"] == SIZE // (2 << 20)
