"""The initramfs a measuring boot runs: the probe as /init and its job list."""

from __future__ import annotations

from . import cpio
from .jobs import Job, check_jobs
from .probe import binary


def jobs_text(jobs: list[Job]) -> str:
    """The /jobs file: one job line each."""
    return "".join(job.line() + "\n" for job in check_jobs(jobs))


def build(jobs: list[Job], probe: bytes | None = None) -> bytes:
    """A newc initramfs with /init (the probe), /jobs, and /dev/console for its output."""
    return cpio.archive([
        cpio.directory("dev"),
        cpio.char_device("dev/console", 5, 1),
        cpio.directory("proc", 0o555),
        cpio.directory("sys", 0o555),
        cpio.regular("init", binary() if probe is None else probe, 0o755),
        cpio.regular("jobs", jobs_text(jobs).encode()),
    ])
