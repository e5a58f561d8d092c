"""What the probe runs: one Job per (workload, size, THP mode, mTHP modes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..model.workloads import BUILTIN

#: Workloads the probe runs: the model's built-ins, plus "none" (map and unmap only).
NONE = "none"
#: The most jobs one probe run takes (MAX_JOBS in probe.c).
MAX_JOBS = 256
PROBE_WORKLOADS = BUILTIN + (NONE,)
THP_MODES = ("never", "madvise", "always", "keep")
MTHP_MODES = ("never", "madvise", "always", "inherit")


@dataclass(frozen=True)
class Job:
    """One probe run: ``workload`` over ``size`` bytes with these THP settings.

    ``thp`` "keep" leaves every THP setting as it is (a non-root native run);
    ``stride`` 0 means the kernel's page size; ``mthp`` maps an mTHP size in
    KiB to its hugepages-<KB>kB/enabled mode (sizes not named are reset).
    """

    workload: str
    size: int
    thp: str = "never"
    stride: int = 0
    mthp: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.workload not in PROBE_WORKLOADS:
            raise InputError(f"the probe has no workload {self.workload!r}: "
                             f"choose from {', '.join(PROBE_WORKLOADS)}")
        if self.thp not in THP_MODES:
            raise InputError(f"unknown THP mode {self.thp!r}: choose from {', '.join(THP_MODES)}")
        if self.size <= 0 or self.stride < 0:
            raise InputError(f"bad job size {self.size} or stride {self.stride}")
        for kb, mode in self.mthp.items():
            if kb <= 0 or kb & (kb - 1) or mode not in MTHP_MODES:
                raise InputError(f"bad mTHP setting {kb}K={mode}: a power-of-two size in KiB "
                                 f"and one of {', '.join(MTHP_MODES)}")

    def line(self) -> str:
        """The job as the probe reads it: ``WORKLOAD SIZE THP STRIDE [KB=MODE ...]``."""
        words = [self.workload, str(self.size), self.thp, str(self.stride)]
        words += [f"{kb}={mode}" for kb, mode in sorted(self.mthp.items())]
        return " ".join(words)


_MTHP = re.compile(r"(\d+)\s*([KMG])?=(\w+)", re.IGNORECASE)
_KB = {None: 1, "K": 1, "M": 1 << 10, "G": 1 << 20}


def parse_mthp(texts: list[str] | tuple[str, ...]) -> dict[int, str]:
    """``["64K=always", "2M=never"]`` -> {64: "always", 2048: "never"} (sizes in KiB)."""
    settings = {}
    for text in texts:
        for part in filter(None, (p.strip() for p in text.split(","))):
            match = _MTHP.fullmatch(part)
            if not match:
                raise InputError(f"bad --mthp {part!r}: expected SIZE=MODE, e.g. 64K=always")
            kb = int(match.group(1)) * _KB[(match.group(2) or "").upper() or None]
            mode = match.group(3).lower()
            if kb <= 0 or kb & (kb - 1) or mode not in MTHP_MODES:
                raise InputError(f"bad --mthp {part!r}: a power-of-two size and one of "
                                 f"{', '.join(MTHP_MODES)}")
            settings[kb] = mode
    return settings


def check_jobs(jobs: list[Job]) -> list[Job]:
    """``jobs`` if the probe can run them in one go (1 to MAX_JOBS), else InputError."""
    if not 0 < len(jobs) <= MAX_JOBS:
        raise InputError(f"{len(jobs)} jobs: one probe run takes 1 to {MAX_JOBS}")
    return jobs
