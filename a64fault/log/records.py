"""What ``a64fault log`` reads out of a log: fault reports and live fault records.

A ``Report`` is one fault the kernel reported in text (an oops block, a user
fault line, an "Unhandled fault", "Bad mode" or SError line) with every value
the kernel printed for it, by field; a ``LiveRecord`` is one fault that the
kernel handled, recorded by a kprobe on handle_mm_fault or by perf's
page-faults event. Both say where in which file they were read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Report.el values.
USER, KERNEL = "user", "kernel"


@dataclass
class Vma:
    """The mapping a user PC lies in, as the kernel printed it: ``name[start+size]``, or
    (7.x) ``name[offset,start+size]`` where ``offset`` is the pc's offset in the file."""

    name: str
    start: int
    size: int
    offset: int | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "start": f"{self.start:#x}", "size": f"{self.size:#x}"}
        if self.offset is not None:
            out["offset"] = f"{self.offset:#x}"
        return out


@dataclass
class Report:
    """One fault report read from a kernel log.

    ``printed`` maps a field name (see kernel_fields.PRINTED) to the value
    the kernel printed: ints for numbers, str for names. ``kind`` names the
    report format (``oops``, ``user``, ``unhandled``, ``bad-mode``, ``serror``,
    ``unhandled-exception``); ``cut_off`` is True when the block ended (file
    end, a new report) before its last line (``Code:`` for an oops, the
    ``pc`` line otherwise).
    """

    file: str
    line: int
    kind: str
    message: str | None = None
    timestamp: str | None = None
    process: str | None = None
    pid: int | None = None
    cpu: int | None = None
    el: str | None = None
    esr: int | None = None
    far: int | None = None
    pc: int | None = None
    symbol: str | None = None
    module: str | None = None
    vma: Vma | None = None
    code: list[int] = field(default_factory=list)
    word: int | None = None
    printed: dict[str, int | str] = field(default_factory=dict)
    last_line: int = 0
    cut_off: bool = True
    caller: str | None = None


@dataclass(slots=True)
class LiveRecord:
    """One handled fault: address, user PC and (kprobe only) handle_mm_fault flags.

    ``source`` is ``kprobe`` or ``perf``; ``flags`` is None for perf records,
    which do not say read or write.
    """

    file: str
    line: int
    source: str
    process: str
    pid: int
    cpu: int | None
    timestamp: str
    address: int | None
    pc: int
    flags: int | None = None
    symbol: str | None = None
    dso: str | None = None
