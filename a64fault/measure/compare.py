"""Compare a probe run with the fault model, counter by counter.

The model runs the same workload, size, page size and THP settings with
``--policy none`` (what an unpatched kernel does), given the booted kernel's
release: the model maps a release to its version's behaviours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import InputError
from ..model import Setup, simulate
from .counters import COUNTERS, mthp_counters
from .report import ProbeRecord, Report

if TYPE_CHECKING:
    from ..model.runner import ResultRow

POLICY = "none"


@dataclass
class Comparison:
    """One run, measured and modelled: ``counters`` lists (name, measured, model)."""

    kernel: str                     # the booted kernel's release
    model_kernel: str               # the model's name for it (major.minor), "" if it could not run
    page_size: int
    workload: str
    thp: str
    mthp: dict[int, str]
    size_bytes: int
    counters: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    model_error: str | None = None  # why the model could not run this setting
    policy: str = POLICY            # the model's fault policy

    @property
    def measured(self) -> dict[str, int]:
        return {name: value for name, value, _ in self.counters if value is not None}

    @property
    def model(self) -> dict[str, int]:
        return {name: value for name, _, value in self.counters if value is not None}

    @property
    def equal(self) -> bool:
        """Every counter both sides report is the same, and the model ran."""
        return self.model_error is None and all(
            a == b for _, a, b in self.counters if a is not None and b is not None)

    def differences(self) -> list[str]:
        return [name for name, a, b in self.counters if a is not None and b is not None and a != b]

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
                "kernel": self.kernel, "model_kernel": self.model_kernel, "policy": self.policy,
                "page_size": self.page_size, "workload": self.workload, "thp": self.thp,
                "mthp": {str(k): v for k, v in self.mthp.items()}, "size_bytes": self.size_bytes,
                "measured": self.measured, "model": self.model, "equal": self.equal}
        if self.model_error:
            data["model_error"] = self.model_error
        return data


def effective_thp(run: ProbeRecord) -> str:
    """The top-level THP mode the run had (``keep`` runs: whatever was set)."""
    mode: str = run["thp"] if run["thp"] != "keep" else run["settings"]["enabled"]
    return mode


def effective_mthp(run: ProbeRecord, pmd_size: int) -> dict[int, str]:
    """{KiB: mode} of the mTHP sizes whose mode is not the boot default (the
    PMD size: inherit; the others: never)."""
    modes: dict[int, str] = {}
    for key, mode in run.get("settings", {}).items():
        match = re.fullmatch(r"hugepages-(\d+)kB", key)
        if match:
            kb = int(match.group(1))
            if mode != ("inherit" if kb * 1024 == pmd_size else "never"):
                modes[kb] = mode
    return modes


def model_row(run: ProbeRecord, report: Report, policy: str = POLICY) -> ResultRow:
    """The model's row for ``run`` on the booted release under ``policy`` (InputError when it
    cannot model it)."""
    mthp: dict[int | str, str] = {kb: mode for kb, mode in effective_mthp(run, report.pmd_size).items()}
    setup = Setup(workload=run["workload"], size=run["size_bytes"], thp=effective_thp(run),
                  page_size=report.page_size, mthp=mthp,
                  stride=None if run["stride"] == report.page_size else run["stride"])
    return simulate(setup, kernels=[report.release], policies=[policy])[0]


def compare_run(run: ProbeRecord, report: Report, policy: str = POLICY) -> Comparison:
    """Measured against modelled counters for one probe run; ``policy`` is the model's
    fault policy (``atomic`` for a kernel with the fault-handler patch)."""
    comparison = Comparison(report.release, "", report.page_size, run["workload"],
                            effective_thp(run), effective_mthp(run, report.pmd_size),
                            run["size_bytes"], policy=policy)
    try:
        row = model_row(run, report, policy)
        comparison.model_kernel = row["kernel"]
    except InputError as error:
        row = {}
        comparison.model_error = f"the model cannot run this setting: {error}"
    for counter in COUNTERS:
        comparison.counters.append((counter.name,
                                    counter.measured(run, report.page_size, report.pmd_size),
                                    counter.model(row) if row else None))
    comparison.counters += mthp_counters(run, row or None, report.pmd_size)
    return comparison


def compare(report: Report, policy: str = POLICY) -> list[Comparison]:
    """One Comparison per run of ``report`` (the "none" workload is not modelled), against
    the model under ``policy`` (default ``none``: an unpatched kernel)."""
    return [compare_run(run, report, policy) for run in report.runs if run["workload"] != "none"]
