"""The probe's console report: lines between A64FAULT-BEGIN and A64FAULT-END.

Every report line starts with ``A64FAULT `` and carries one JSON object, so
kernel messages printed on the same console cannot be mistaken for it:
``{"kind": "system", ...}`` once (kernel release, page size, PMD size, the
THP settings at start), then ``{"kind": "run", ...}`` per job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from ..errors import InputError

BEGIN = "A64FAULT-BEGIN"
END = "A64FAULT-END"
PREFIX = "A64FAULT "
#: Console lines quoted when no report is found.
TAIL_LINES = 8


#: One line of the probe's report as json.loads read it (kind ``system`` or ``run``): a
#: JSON object whose fields are read by key where they are used.
ProbeRecord: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class Report:
    """A parsed probe report: the system line and one dict per run."""

    system: ProbeRecord
    runs: list[ProbeRecord]
    console: str = ""              # the whole console text, when booted
    seconds: float = 0.0           # wall time of the boot or native run
    command: tuple[str, ...] = ()  # the command that produced it

    @property
    def release(self) -> str:
        return cast(str, self.system["release"])  # present: checked by parse()

    @property
    def page_size(self) -> int:
        return cast(int, self.system["page_size"])

    @property
    def pmd_size(self) -> int:
        return cast(int, self.system["pmd_size"])


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-TAIL_LINES:]) or "(no output)"


def parse(console: str) -> Report:
    """The report in ``console`` (the whole console text); InputError when incomplete."""
    lines = [line.rstrip("\r") for line in console.splitlines()]
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    except StopIteration:
        raise InputError(f"no probe report on the console (the kernel or probe did not "
                         f"start?): {_tail(console)}") from None
    system: ProbeRecord | None = None
    runs: list[ProbeRecord] = []
    ended = False
    for number, line in enumerate(lines[start + 1:], start=start + 2):
        stripped = line.strip()
        if stripped == END:
            ended = True
            break
        if not stripped.startswith(PREFIX):
            continue  # a kernel message between report lines
        try:
            record = json.loads(stripped[len(PREFIX):])
        except json.JSONDecodeError as error:
            raise InputError(f"console line {number}: bad probe report line ({error})") from None
        if not isinstance(record, dict) or record.get("kind") not in ("system", "run"):
            raise InputError(f"console line {number}: a report line without kind system or run")
        if record["kind"] == "system":
            system = record
        else:
            runs.append(record)
    if system is None:
        raise InputError(f"the probe report has no system line: {_tail(console)}")
    if not ended and len(runs) != system.get("jobs"):
        # Without the end marker, every job's line must be there (each is whole JSON).
        raise InputError(f"the probe report is cut short (no {END}): {_tail(console)}")
    for key in ("release", "page_size", "pmd_size"):
        if key not in system:
            raise InputError(f"the probe's system line lacks {key!r}")
    expected = system.get("jobs", len(runs))
    if len(runs) != expected:
        raise InputError(f"the probe reported {len(runs)} runs of {expected}")
    for run in runs:
        if "error" in run:
            raise InputError(f"probe run {run.get('index')} ({run.get('workload')}): {run['error']}")
    return Report(system, runs)
