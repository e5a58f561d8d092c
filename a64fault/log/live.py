"""Fault records from a live system: kprobe/ftrace handle_mm_fault lines and perf page-faults.

* kprobe through tracefs (``p:a64/hmf handle_mm_fault addr=%x1:x64 flags=%x2:x32
  pc=+256(%x3):x64``; +256 is pt_regs.pc), read back from ``trace``/``trace_pipe``
  as ftrace text (kernel/trace/trace_output.c: ``comm-pid [cpu] flags ts: event:
  (site) args``) or through ``perf script`` (``comm pid [cpu] ts: event: (site) args``);
* ``perf script`` of ``perf record -e page-faults -d``: ``comm pid [cpu] ts: period
  page-faults: addr (sym) (dso) ip sym (dso)`` (tools/perf/builtin-script.c prints the
  data address before the ip and, for page faults, its symbol and dso).

A kprobe record carries handle_mm_fault's flags (FAULT_FLAG_WRITE says a write
fault); a perf record does not, so there a read fault followed at once by a
fault of the same task, pc and page is taken as the read/write pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..numbers import parse_int
from .records import LiveRecord

#: include/linux/mm_types.h enum fault_flag.
FAULT_FLAG_WRITE = 1 << 0
FAULT_FLAG_USER = 1 << 6
FAULT_FLAG_INSTRUCTION = 1 << 8

PAGE_SHIFT = 12

_FTRACE = re.compile(
    r"^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(?P<cpu>\d+)\]\s+(?:\S{4,5}\s+)?"
    r"(?P<ts>\d+\.\d+):\s+(?P<event>\S+):\s+\((?P<site>[^)]*)\)(?P<args>.*)$")
_PERF_PROBE = re.compile(
    r"^\s*(?P<comm>.+?)\s+(?P<pid>\d+)(?:/\d+)?\s+(?:\[(?P<cpu>\d+)\]\s+)?(?P<ts>\d+\.\d+):\s+"
    r"(?P<event>\S+):\s+\((?P<site>[^)]*)\)(?P<args>.*)$")
_PERF_FAULT = re.compile(
    r"^\s*(?P<comm>.+?)\s+(?P<pid>\d+)(?:/\d+)?\s+(?:\[(?P<cpu>\d+)\]\s+)?(?P<ts>\d+\.\d+):\s+"
    r"(?:\d+\s+)?(?P<event>(?:page-faults|faults|minor-faults|major-faults)(?::\w+)?):\s*"
    r"(?P<rest>.*)$")
#: The usual ftrace line of the kprobe above, read in one match (the general
#: matchers below take any argument order and any event layout).
_FTRACE_HMF = re.compile(
    r"^\s*(.+?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:\S{4,5}\s+)?(\d+\.\d+):\s+\S+:\s+"
    r"\(handle_mm_fault\+[^)]*\)\s+addr=0x([0-9a-f]{1,16})\s+flags=0x([0-9a-f]{1,8})\s+"
    r"pc=0x([0-9a-f]{1,16})\s*$")
_ARG = re.compile(r"(\w+)=(0x[0-9a-fA-F]{1,16}|-?\d{1,20})(?![0-9a-zA-Z])")
#: One "hex [sym] (dso)" group of a perf script line.
_SEGMENT = re.compile(r"([0-9a-fA-F]{1,16})(?:\s+([^()\s][^()]{0,255}?))?\s*\(([^()]{0,4096})\)")
_HEX_TOKEN = re.compile(r"(?:^|\s)([0-9a-fA-F]{1,16})(?=\s|$)")


def _number(text: str, name: str) -> int:
    """A probe argument: 0x hex (the x64/x32 types) or decimal (u64; s64 as its
    two's complement, so a kernel address printed signed is still that address)."""
    return parse_int(text, f"kprobe argument {name}=", wrap_negative=True)


def _kprobe(line: str, file: str, lineno: int) -> LiveRecord | None:
    fast = _FTRACE_HMF.match(line)
    if fast is not None:
        comm, pid, cpu, timestamp, address, flags, pc = fast.groups()
        return LiveRecord(file, lineno, "kprobe", comm.strip(), int(pid), int(cpu), timestamp,
                          int(address, 16), int(pc, 16), int(flags, 16))
    if "handle_mm_fault" not in line:
        return None
    found = _FTRACE.match(line) or _PERF_PROBE.match(line)
    if found is None:
        return None
    args = dict(_ARG.findall(found["args"]))
    if "pc" not in args or "addr" not in args:
        return None
    try:
        address, pc = _number(args["addr"], "addr"), _number(args["pc"], "pc")
        flags = None if "flags" not in args else _number(args["flags"], "flags")
    except InputError:  # a value no register holds: not a record of this probe
        return None
    return LiveRecord(file, lineno, "kprobe", found["comm"].strip(), int(found["pid"]),
                      int(found["cpu"]) if found["cpu"] else None, found["ts"],
                      address, pc, flags)


def _perf(line: str, file: str, lineno: int) -> LiveRecord | None:
    found = _PERF_FAULT.match(line)
    if found is None:
        return None
    rest = found["rest"]
    segments = _SEGMENT.findall(rest)
    if segments:
        values = [(int(hex_text, 16), sym.strip() or None, dso) for hex_text, sym, dso in segments]
    else:
        values = [(int(token, 16), None, None) for token in _HEX_TOKEN.findall(rest)]
    if not values:
        return None
    address = values[0][0] if len(values) > 1 else None
    pc, symbol, dso = values[-1]
    return LiveRecord(file, lineno, "perf", found["comm"].strip(), int(found["pid"]),
                      int(found["cpu"]) if found["cpu"] else None, found["ts"], address, pc,
                      None, symbol if symbol != "[unknown]" else None, dso or None)


def match_live(line: str, file: str, lineno: int) -> LiveRecord | None:
    """The live fault record on this line, or None."""
    return _kprobe(line, file, lineno) or _perf(line, file, lineno)


def is_write(record: LiveRecord) -> bool | None:
    """Whether the record is a write fault (None: a perf record does not say)."""
    return None if record.flags is None else bool(record.flags & FAULT_FLAG_WRITE)


@dataclass
class PcCount:
    """Faults taken at one pc: totals by access, and read-then-write pairs (double faults)."""

    pc: int
    process: str
    symbol: str | None = None
    dso: str | None = None
    faults: int = 0
    reads: int = 0
    writes: int = 0
    execs: int = 0
    unknown: int = 0
    double_faults: int = 0
    kernel: bool = False
    first_line: int = 0
    pages: set[int] = field(default_factory=set)


def count_by_pc(records: list[LiveRecord]) -> list[PcCount]:
    """Per process and pc (in order of first record): faults, reads, writes, double faults.

    A double fault is a read fault followed by the same task's next fault
    at the same pc and page being a write (kprobe), or simply being another
    fault there (perf, which records no access type).
    """
    counts: dict[tuple[str, int], PcCount] = {}
    previous: dict[int, LiveRecord] = {}
    for record in records:
        count = counts.get((record.process, record.pc))
        if count is None:
            # handle_mm_fault without FAULT_FLAG_USER: the kernel faulted on a user
            # address (copy_from_user and the like), so the pc is a kernel pc.
            kernel = record.flags is not None and not record.flags & FAULT_FLAG_USER
            count = counts[record.process, record.pc] = PcCount(record.pc, record.process, record.symbol,
                                                record.dso, kernel=kernel,
                                                first_line=record.line)
        count.faults += 1
        write = is_write(record)
        if record.flags is not None and record.flags & FAULT_FLAG_INSTRUCTION:
            count.execs += 1
        elif write is None:
            count.unknown += 1
        elif write:
            count.writes += 1
        else:
            count.reads += 1
        if record.address is not None:
            count.pages.add(record.address >> PAGE_SHIFT)
        before = previous.get(record.pid)
        if (before is not None and before.pc == record.pc and before.address is not None
                and record.address is not None
                and before.address >> PAGE_SHIFT == record.address >> PAGE_SHIFT
                and is_write(before) is not True and write is not False
                and not (before.flags or 0) & FAULT_FLAG_INSTRUCTION):
            count.double_faults += 1
            previous.pop(record.pid)
        else:
            previous[record.pid] = record
    return list(counts.values())
