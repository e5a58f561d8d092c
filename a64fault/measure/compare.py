"""Compare a probe run with the fault model, counter by counter.

The model runs the same workload, size and THP settings with ``--policy
none`` (what an unpatched kernel does) and the model kernel that matches the
booted kernel's release (``model_kernel``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..model import KERNELS, Setup, simulate
from .counters import COUNTERS, mthp_measured, mthp_model
from .report import Report

POLICY = "none"


def _version(text: str) -> tuple[int, ...]:
    match = re.match(r"(\d+)\.(\d+)", text)
    if not match:
        raise InputError(f"cannot read a kernel version from {text!r}")
    return int(match.group(1)), int(match.group(2))


def model_kernel(release: str, known=None) -> str:
    """The model kernel for a booted ``release``: the newest model version not
    newer than it, else the oldest (the model's oldest behaviour is what every
    older kernel does too)."""
    names = sorted(known if known is not None else KERNELS, key=_version)
    booted = _version(release)
    older = [name for name in names if _version(name) <= booted]
    return older[-1] if older else names[0]


@dataclass
class Comparison:
    """One run, measured and modelled: ``counters`` lists (name, measured, model)."""

    kernel: str                     # the booted kernel's release
    model_kernel: str
    page_size: int
    workload: str
    thp: str
    mthp: dict
    size_bytes: int
    counters: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    model_error: str | None = None  # why the model could not run this setting

    @property
    def measured(self) -> dict:
        return {name: value for name, value, _ in self.counters if value is not None}

    @property
    def model(self) -> dict:
        return {name: value for name, _, value in self.counters if value is not None}

    @property
    def equal(self) -> bool:
        """Every counter both sides report is the same, and the model ran."""
        return self.model_error is None and all(
            a == b for _, a, b in self.counters if a is not None and b is not None)

    def differences(self) -> list[str]:
        return [name for name, a, b in self.counters if a is not None and b is not None and a != b]

    def as_json(self) -> dict:
        data = {"kernel": self.kernel, "model_kernel": self.model_kernel,
                "page_size": self.page_size, "workload": self.workload, "thp": self.thp,
                "mthp": {str(k): v for k, v in self.mthp.items()}, "size_bytes": self.size_bytes,
                "measured": self.measured, "model": self.model, "equal": self.equal}
        if self.model_error:
            data["model_error"] = self.model_error
        return data


def effective_thp(run: dict) -> str:
    """The top-level THP mode the run had (``keep`` runs: whatever was set)."""
    return run["thp"] if run["thp"] != "keep" else run["settings"]["enabled"]


def effective_mthp(run: dict, pmd_size: int) -> dict[int, str]:
    """{KiB: mode} of the mTHP sizes below the PMD size that were not "never"."""
    modes = {}
    for key, mode in run.get("settings", {}).items():
        match = re.fullmatch(r"hugepages-(\d+)kB", key)
        if match and int(match.group(1)) * 1024 < pmd_size and mode != "never":
            modes[int(match.group(1))] = mode
    return modes


def model_row(run: dict, report: Report, kernel: str) -> dict:
    """The model's row for ``run`` (TypeError/InputError when it cannot model it)."""
    options: dict[str, object] = {}
    if report.page_size != 4096:
        options["page_size"] = report.page_size
    mthp = effective_mthp(run, report.pmd_size)
    if mthp:
        options["mthp"] = mthp
    if run["stride"] != report.page_size:
        options["stride"] = run["stride"]
    setup = Setup(workload=run["workload"], size=run["size_bytes"], thp=effective_thp(run),
                  **options)  # type: ignore[arg-type]  # options the model may not have yet
    return simulate(setup, kernels=[kernel], policies=[POLICY])[0]


def compare_run(run: dict, report: Report) -> Comparison:
    """Measured against modelled counters for one probe run."""
    kernel = model_kernel(report.release)
    comparison = Comparison(report.release, kernel, report.page_size, run["workload"],
                            effective_thp(run), effective_mthp(run, report.pmd_size),
                            run["size_bytes"])
    try:
        row = model_row(run, report, kernel)
    except (TypeError, InputError) as error:
        row = {}
        comparison.model_error = f"the model cannot run this setting: {error}"
    for counter in COUNTERS:
        comparison.counters.append((counter.name,
                                    counter.measured(run, report.page_size, report.pmd_size),
                                    counter.model(row) if row else None))
    measured_mthp = mthp_measured(run, report.pmd_size)
    modelled_mthp = mthp_model(row) if row else None
    for name in sorted(set(measured_mthp) | set(modelled_mthp or {})):
        comparison.counters.append((name, measured_mthp.get(name, 0),
                                    None if modelled_mthp is None else modelled_mthp.get(name, 0)))
    return comparison


def compare(report: Report) -> list[Comparison]:
    """One Comparison per run of ``report`` (the "none" workload is not modelled)."""
    return [compare_run(run, report) for run in report.runs if run["workload"] != "none"]
