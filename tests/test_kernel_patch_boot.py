"""The patched Debian 6.1 kernel under QEMU: its fault counts equal the model's.

One Image (bench/kernel/build.py --series 6.1 --variant patched; CI's .ci/run
builds it) runs both ways: as booted, every run must equal the model's
``atomic`` policy; with atomic_write_fault=0 on the command line, the
model's ``none`` (what the unpatched kernel does). The patch's kselftest
boots too and must pass with the switch on and off.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from a64fault.measure import Job, boot, compare
from a64fault.measure import qemu as measure_qemu

pytestmark = pytest.mark.kernel

WORK = Path(__file__).resolve().parents[1] / "bench" / "_work" / "kernel"
IMAGE = WORK / "Image-6.1-patched"
SELFTEST = WORK / "atomic_fault-6.1"
SELFTEST_INIT = WORK / "selftest-init"
#: Small runs (4 MiB: two PMDs), each workload the patch should change or leave alone.
JOBS = [Job(workload, 4 << 20, thp) for thp in ("never", "always")
        for workload in ("pretouch-lse", "pretouch-llsc", "memset", "populate-read", "read-then-write")]
SWITCH_OFF = ("-append", measure_qemu.APPEND + " atomic_write_fault=0")


def need(path: Path):
    if shutil.which(measure_qemu.QEMU) is None:
        pytest.skip(f"{measure_qemu.QEMU} is not installed")
    if not path.is_file():
        pytest.skip(f"no {path.relative_to(WORK.parents[2])}: run "
                    "python bench/kernel/build.py --series 6.1 --variant patched")


def boot_and_compare(extra_args, policy):
    """Boot and compare; boot again (at most twice) if khugepaged collapsed a range during a run:
    the model leaves khugepaged out, and the probe's quieting of it does not always hold."""
    for _attempt in range(3):
        report = boot(IMAGE, JOBS, extra_args=extra_args)
        comparisons = compare(report, policy=policy)
        if not any(c.measured.get("thp_collapse_alloc") for c in comparisons):
            break
    return report, comparisons


@pytest.mark.parametrize(("extra_args", "policy"), [((), "atomic"), (SWITCH_OFF, "none")],
                         ids=["switch-on", "switch-off"])
def test_patched_61_counts_equal_the_model(extra_args, policy):
    need(IMAGE)
    report, comparisons = boot_and_compare(extra_args, policy)
    assert report.release.startswith("6.1.")
    assert len(comparisons) == len(JOBS)
    for comparison in comparisons:
        assert comparison.equal, comparison.differences()
    lse = [c for c in comparisons if c.workload == "pretouch-lse" and c.thp == "never"]
    store = [c for c in comparisons if c.workload == "memset" and c.thp == "never"]
    pages = (4 << 20) // report.page_size
    # Switch on: stadd takes one fault per page, like the store; off: two (zero page, then COW).
    assert store[0].measured["minflt"] == pages
    assert lse[0].measured["minflt"] == (pages if policy == "atomic" else 2 * pages)


@pytest.mark.parametrize("append", ["", " atomic_write_fault=0"], ids=["boot-on", "boot-off"])
def test_selftest_passes(tmp_path, append):
    need(SELFTEST)
    need(SELFTEST_INIT)
    if shutil.which("cpio") is None:
        pytest.skip("cpio is not installed")
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    shutil.copy(SELFTEST_INIT, root / "init")
    shutil.copy(SELFTEST, root / "atomic_fault")
    files = subprocess.run(["find", "."], cwd=root, capture_output=True, text=True, check=True).stdout
    initrd = tmp_path / "initrd.cpio"
    with initrd.open("wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=files.encode(), cwd=root,
                       stdout=out, check=True)
    argv = measure_qemu.command(IMAGE, initrd, memory_mb=512,
                                extra_args=("-append", measure_qemu.APPEND + append))
    console = subprocess.run(argv, capture_output=True, text=True, timeout=600).stdout
    assert f"SELFTEST-SWITCH {0 if append else 1}" in console
    totals = re.search(r"# Totals: pass:(\d+) fail:(\d+)", console)
    assert totals, console[-2000:]
    failures = [line for line in console.splitlines() if line.startswith(("not ok", "# atomic_write"))]
    assert int(totals.group(1)) > 0 and int(totals.group(2)) == 0, failures
    assert "SELFTEST-EXIT 0" in console
