"""Run the probe directly on an arm64 Linux host (no QEMU)."""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from .jobs import Job, check_jobs
from .probe import BINARY
from .report import Report, parse

DEFAULT_TIMEOUT = 900.0


def can_set_thp() -> bool:
    """Whether this process may write the THP sysfs settings (root)."""
    return os.geteuid() == 0


def run(jobs: list[Job], *, timeout: float = DEFAULT_TIMEOUT) -> Report:
    """Run ``jobs`` with the committed probe on this host and parse its report.

    Without root the THP settings cannot be changed: every job runs with
    ``thp="keep"`` (the host's settings, which the report records).
    """
    if platform.system() != "Linux" or platform.machine() not in ("aarch64", "arm64"):
        raise InputError(f"--native needs an arm64 Linux host, not {platform.system()} "
                         f"{platform.machine()} (use --kernel-image to boot one under QEMU)")
    check_jobs(jobs)
    if not can_set_thp():
        jobs = [replace(job, thp="keep", mthp={}) for job in jobs]
    with tempfile.TemporaryDirectory(prefix="a64fault-probe-") as tmp:
        probe = Path(tmp) / "probe"
        probe.write_bytes(BINARY.read_bytes())
        probe.chmod(0o755)
        argv = [str(probe), *(job.line() for job in jobs)]
        started = time.monotonic()
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise InputError(f"the probe did not finish within {timeout:.0f} s") from None
    console = done.stdout.decode(errors="replace")
    if done.returncode:
        raise InputError(f"the probe exited with status {done.returncode}: "
                         f"{done.stderr.decode(errors='replace').strip()[-200:]}")
    report = parse(console)
    return Report(report.system, report.runs, console=console,
                  seconds=time.monotonic() - started, command=tuple(argv))
