"""Find fault reports and live fault records in kernel log text.

Written from the kernel's format strings (see docs/design.md, "a64fault log",
for the versions and files). Reading is two-stage for speed: one bytes regex
of the reports' key phrases (PREFILTER) finds candidate lines in big chunks at
C speed; only those lines are decoded, stripped of CR and ANSI colour codes
and matched field by field. Whatever precedes a match on its line is the
line's prefix (dmesg time stamp, syslog/journal header, vendor tag, printk
caller id), so any prefix works.

Blocks are assembled per printk caller (``[  T123]``/``[    C1]`` or a vendor
``cpuN`` tag) when the log shows one, so lines interleaved from other CPUs
do not mix; lines that match nothing are skipped without closing a block.
A block ends at its ``Code:`` line or end-of-trace marker, at the next
report header, when a field it already has is printed again, after
``MAX_GAP`` lines, or at the end of the input; a block that ended before its
last line is still reported, marked ``cut_off``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from .live import match_live
from .records import KERNEL, USER, LiveRecord, Report, Vma

#: Lines between two lines of one block after which the block is taken as ended.
MAX_GAP = 400

#: Bytes read per chunk.
CHUNK_BYTES = 8 << 20

#: Characters of a candidate line kept on each side of its key phrase. A printk
#: record is at most about 1 KB (2 KB in 6.x); the bound keeps every matcher's
#: work per line bounded on hostile input (a megabyte-long line).
LINE_WINDOW = 2048

#: Key phrases tried per line before the line is given up (bounds hostile lines).
MAX_TRIES = 8

#: A "line" longer than this without a newline is cut here, so memory stays bounded.
MAX_CARRY = 1 << 20

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_TIMESTAMP = re.compile(
    r"\[\s*(\d+\.\d+)\]"                                  # dmesg: [  12.345678]
    r"|^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d[\d.,:+-]*)"    # ISO 8601 (journalctl -o short-iso)
    r"|^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)"           # syslog: Jun  9 11:11:21
    r"|\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]")  # dmesg -T
#: printk caller ids ([  T123], [    C1]) and vendor tags: "[pid:N,cpuN,comm]", and
#: "<2>-(2)[1:swapper/0]" (level, -(cpu), [pid:comm]).
_CALLER = re.compile(r"\[\s*([TC]\d+)\]|\[pid:\d+,(cpu\d+),|-\((\d+)\)\[\d+:")
#: A hex number of at most 64 bits (a longer run of digits is not a value the kernel printed).
_HEX = r"([0-9a-fA-F]{1,16})(?![0-9a-fA-F])"


def clean(line: str) -> str:
    """The line without CR/LF and ANSI escape sequences."""
    line = line.rstrip("\r\n").replace("\r", "")
    return _ANSI.sub("", line) if "\x1b" in line else line


def prefix_facts(prefix: str) -> tuple[str | None, str | None]:
    """(time stamp, printk caller) found in a line's prefix, each None if absent."""
    timestamp = caller = None
    found = _TIMESTAMP.search(prefix)
    if found:
        timestamp = next(group for group in found.groups() if group)
    found = _CALLER.search(prefix)
    if found:
        caller = found.group(1) or found.group(2) or f"cpu{found.group(3)}"
    return timestamp, caller


# --- report headers ---------------------------------------------------------
# Each header opens a block. The format strings were read at 3.x, 4.19, 6.1 and
# mainline; the versions named for a change are approximate (not bisected).

#: fault.c __do_kernel_fault/die_kernel_fault (3.x %08lx, 4.x+ %016lx):
#: "Unable to handle kernel %s at virtual address %016lx".
_KERNEL_FAULT = re.compile(rf"Unable to handle kernel (.+?) at virtual address (?:0x)?{_HEX}")
#: fault.c __do_user_fault (3.x-4.18): "%s[%d]: unhandled %s (%d) at 0x%08lx, esr 0x%03x"
#: (later 4.x add print_vma_addr ", in " + "%s[%lx+%lx]").
_USER_OLD = re.compile(
    rf"(\S{{1,64}})\[(\d+)\]: unhandled (.+?) \((\d+)\) at 0x{_HEX}, esr 0x{_HEX}(?:, in (\S+))?")
#: traps.c arm64_show_signal (4.19+): "%s[%d]: unhandled exception: " then, when the ESR
#: is known, "%s, ESR 0x%08x, " (6.0+: 0x%016lx), then "%s" and print_vma_addr " in ".
_USER_NEW = re.compile(
    rf"(\S{{1,64}})\[(\d+)\]: unhandled exception: (?:(.+?), ESR 0x{_HEX}, )?(.*?)"
    rf"(?: in (\S+))?$")
#: fault.c do_mem_abort (3.x-4.13): "Unhandled fault: %s (0x%08x) at 0x%016lx".
_UNHANDLED_OLD = re.compile(rf"Unhandled fault: (.+?) \(0x{_HEX}\) at 0x{_HEX}")
#: fault.c do_mem_abort (4.14-5.x, kernel mode only): "Unhandled fault at 0x%016lx".
_UNHANDLED_AT = re.compile(rf"Unhandled fault at 0x{_HEX}")
#: traps.c bad_mode: 3.x "Bad mode in %s handler detected, code 0x%08x"; 4.x adds
#: " -- %s" (esr_class_str); later " on CPU%d" after "detected".
_BAD_MODE = re.compile(
    rf"Bad mode in (.+?) handler detected(?: on CPU(\d+))?, code 0x{_HEX}(?: -- (.+))?")
#: traps.c arm64_serror_panic (4.x-5.x): "SError Interrupt on CPU%d, code 0x%08x -- %s"
#: (6.1: 0x%016lx).
_SERROR = re.compile(rf"SError Interrupt on CPU(\d+), code 0x{_HEX}(?: -- (.+))?")
#: entry-common.c __panic_unhandled (5.x): "Unhandled %s exception on CPU%d,
#: ESR 0x%08x -- %s" (6.1: 0x%016lx; %s is e.g. "64-bit el1t sync").
_UNHANDLED_EXC = re.compile(rf"Unhandled (.+?) exception on CPU(\d+), ESR 0x{_HEX} -- (.+)")
#: traps.c panic_bad_stack (after "Insufficient stack space to handle exception!"):
#: "ESR: 0x%08x -- %s" (6.1: 0x%016lx), then "FAR: 0x%016lx".
_BAD_STACK = re.compile(rf"\bESR: 0x{_HEX} -- (.+)")
_BAD_STACK_FAR = re.compile(rf"\bFAR: 0x{_HEX}")

# --- block fields -------------------------------------------------------------
#: fault.c mem_abort_decode/data_abort_decode (4.19, 6.1, mainline), one printed line each.
_FIELD_LINES: list[tuple[re.Pattern, tuple[str, ...]]] = [
    (re.compile(rf"\bESR = 0x{_HEX}"), ("ESR",)),                      # 4.14+
    # 6.1: "  EC = 0x%02lx: %s, IL = %u bits"; 4.19: "  Exception class = %s, IL ..."
    (re.compile(rf"\bEC = 0x{_HEX}: (.+?), IL = (\d+) bits"), ("EC", "EC_name", "IL")),
    (re.compile(r"Exception class = (.+?), IL = (\d+) bits"), ("EC_name", "IL")),
    (re.compile(r"\bSET = (\d+), FnV = (\d+)"), ("SET", "FnV")),
    (re.compile(r"\bEA = (\d+), S1PTW = (\d+)"), ("EA", "S1PTW")),
    (re.compile(rf"\bFSC = 0x{_HEX}: (.+?)\s*$"), ("FSC", "FSC_name")),      # 6.1, not 4.19
    # mainline (not 6.1) appends ", ISS2 = 0x%08lx"
    (re.compile(rf"\bISV = (\d+), ISS = 0x{_HEX}(?:, ISS2 = 0x{_HEX})?"), ("ISV", "ISS", "ISS2")),
    (re.compile(r"Access size = (\d+) byte\(s\)"), ("Access size",)),
    (re.compile(r"\bSSE = (\d+), SRT = (\d+)"), ("SSE", "SRT")),
    (re.compile(r"\bSF = (\d+), AR = (\d+)"), ("SF", "AR")),
    # mainline (not 6.1) appends ", TnD = %lu, TagAccess = %lu"
    (re.compile(r"\bCM = (\d+), WnR = (\d+)(?:, TnD = (\d+), TagAccess = (\d+))?"),
     ("CM", "WnR", "TnD", "TagAccess")),
    # mainline: "  GCS = %ld, Overlay = %lu, DirtyBit = %lu, Xs = %llu"
    (re.compile(r"\bGCS = (-?\d+), Overlay = (\d+), DirtyBit = (\d+), Xs = (\d+)"),
     ("GCS", "Overlay", "DirtyBit", "Xs")),
]
_MEM_ABORT = re.compile(r"Mem abort info:")
_HEX_FIELDS = frozenset({"ESR", "EC", "ISS", "ISS2", "FSC"})
_NAME_FIELDS = frozenset({"EC_name", "FSC_name"})

#: traps.c __die: "Internal error: %s: %x [#%d]" (3.x, 4.x), "%016lx" (6.1).
_INTERNAL = re.compile(rf"Internal error: (.*?): {_HEX} \[#(\d+)\]")
#: lib/dump_stack.c dump_stack_print_info: "CPU: %d PID: %d Comm: %.20s %s..." (6.10+ "UID: %u").
_CPU = re.compile(r"CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (.{1,20}?)(?: Not tainted| Tainted:|$)")
#: process.c __show_regs: 4.16+ "pc : %pS" (kernel) / "pc : %016llx" (user, 5.x+).
_PC = re.compile(r"\bpc : (?!\[<)(\S+)(?: \[(\S+)\])?")
#: process.c __show_regs 3.x-4.15: "PC is at %s" and "pc : [<%016llx>] lr : [<%016llx>] ...".
_PC_IS_AT = re.compile(r"\bPC is at (\S+)(?: \[(\S+)\])?")
_PC_OLD = re.compile(rf"\bpc : \[<{_HEX}>\]")
#: traps.c dump_kernel_instr/__dump_instr: "%sCode: %s" of "%08x " words, the faulting one
#: as "(%08x) ", or "bad PC value".
_CODE = re.compile(r"\bCode: ((?:\(?[0-9a-fA-F]{8}\)? ?)+|bad PC value)")
_CODE_WORD = re.compile(r"(\()?([0-9a-fA-F]{8})\)?")
_END = re.compile(r"---\[ end trace")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+|[0-9a-fA-F]{8,16}")
#: mm/memory.c print_vma_addr: "%s%pD[%lx+%lx]" (name[start+size]); 7.x prints
#: "%s%pD[%lx,%lx+%lx]", the pc's file offset first (name[offset,start+size]).
_VMA = re.compile(rf"(.+)\[(?:{_HEX},)?{_HEX}\+{_HEX}\]$")


def _vma(text: str | None) -> Vma | None:
    found = _VMA.match(text or "")
    if found is None:
        return None
    return Vma(found[1], int(found[3], 16), int(found[4], 16),
               int(found[2], 16) if found[2] else None)


def _name(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


@dataclass
class Found:
    """What ``a64fault log`` read from one input: reports and live records, in order."""

    reports: list[Report] = field(default_factory=list)
    records: list[LiveRecord] = field(default_factory=list)


class _Blocks:
    """Open report blocks keyed by printk caller; closed reports go to ``found``."""

    def __init__(self, file: str, found: Found):
        self.file = file
        self.found = found
        self.open: dict[str | None, Report] = {}

    def close(self, caller: str | None) -> None:
        report = self.open.pop(caller, None)
        if report is not None:
            self.found.reports.append(report)

    def close_all(self) -> None:
        for caller in list(self.open):
            self.close(caller)
        self.found.reports.sort(key=lambda report: report.line)

    def start(self, report: Report) -> Report:
        self.close(report.caller)
        self.open[report.caller] = report
        return report

    def current(self, caller: str | None, lineno: int, key: str | None) -> Report | None:
        """The open block a field line belongs to, or None when it opens a new one."""
        report = self.open.get(caller)
        if report is None and caller is None and self.open:
            report = max(self.open.values(), key=lambda open_report: open_report.last_line)
        if report is None:
            return None
        if lineno - report.last_line > MAX_GAP or (key is not None and key in report.printed):
            self.close(report.caller)
            return None
        return report


def _kernel_fault(m: re.Match, report: Report) -> None:
    report.kind, report.el = "oops", KERNEL
    report.message, report.far = m[1], int(m[2], 16)


def _user_old(m: re.Match, report: Report) -> None:
    report.kind, report.el = "user", USER
    report.process, report.pid = m[1], int(m[2])
    report.message, report.far = m[3], int(m[5], 16)
    report.printed["FSC_name"] = m[3]
    report.printed["esr"] = report.esr = int(m[6], 16)
    report.vma = _vma(m[7])


def _user_new(m: re.Match, report: Report) -> None:
    report.kind, report.el = "user", USER
    report.process, report.pid = m[1], int(m[2])
    if m[4]:
        report.printed["EC_name"] = m[3]
        report.printed["esr"] = report.esr = int(m[4], 16)
    report.message = _name(m[5])
    if report.message and (report.message in _FAULT_NAMES or report.message.startswith("unknown ")):
        report.printed["FSC_name"] = report.message
    report.vma = _vma(m[6])


def _unhandled_old(m: re.Match, report: Report) -> None:
    report.kind, report.message = "unhandled", m[1]
    report.printed["FSC_name"] = m[1]
    report.printed["esr"] = report.esr = int(m[2], 16)
    report.far = int(m[3], 16)


def _unhandled_at(m: re.Match, report: Report) -> None:
    report.kind, report.el, report.far = "unhandled", KERNEL, int(m[1], 16)


def _bad_mode(m: re.Match, report: Report) -> None:
    report.kind, report.message = "bad-mode", f"Bad mode in {m[1]} handler"
    report.cpu = int(m[2]) if m[2] else None
    report.printed["esr"] = report.esr = int(m[3], 16)
    if m[4]:
        report.printed["EC_name"] = m[4].strip()


def _serror(m: re.Match, report: Report) -> None:
    report.kind, report.message, report.cpu = "serror", "SError Interrupt", int(m[1])
    report.printed["esr"] = report.esr = int(m[2], 16)
    if m[3]:
        report.printed["EC_name"] = m[3].strip()


def _bad_stack(m: re.Match, report: Report) -> None:
    report.kind, report.el, report.message = "stack-overflow", KERNEL, "kernel stack overflow"
    report.printed["esr"] = report.esr = int(m[1], 16)
    report.printed["EC_name"] = m[2].strip()


def _unhandled_exception(m: re.Match, report: Report) -> None:
    report.kind, report.message = "unhandled-exception", f"Unhandled {m[1]} exception"
    report.cpu = int(m[2])
    report.printed["esr"] = report.esr = int(m[3], 16)
    report.printed["EC_name"] = m[4].strip()


_HEADERS: list[tuple[re.Pattern, Callable[[re.Match, Report], None]]] = [
    (_KERNEL_FAULT, _kernel_fault),
    (_USER_OLD, _user_old),
    (_USER_NEW, _user_new),
    (_UNHANDLED_OLD, _unhandled_old),
    (_UNHANDLED_AT, _unhandled_at),
    (_BAD_MODE, _bad_mode),
    (_SERROR, _serror),
    (_UNHANDLED_EXC, _unhandled_exception),
    (_BAD_STACK, _bad_stack),
]


def _fault_name_set() -> frozenset[str]:
    from ..esr import KERNEL_FAULT_NAMES

    return frozenset(KERNEL_FAULT_NAMES.values())


_FAULT_NAMES = _fault_name_set()


def _set_pc(report: Report, text: str, module: str | None) -> None:
    if _ADDRESS.fullmatch(text):
        report.pc = int(text, 16)
    else:
        report.symbol = text
        report.module = module


class LineReader:
    """Feeds candidate lines of one input to the matchers; collects into ``found``."""

    def __init__(self, file: str, found: Found | None = None):
        self.file = file
        self.found = found if found is not None else Found()
        self.blocks = _Blocks(file, self.found)

    def feed(self, lineno: int, raw: str, phrase: int) -> bool:
        """Match one line (1-based ``lineno``) whose key phrase is DISPATCH[phrase];
        False if that phrase's matchers found nothing on it."""
        return _DISPATCH[phrase][1](self, lineno, clean(raw))

    def _live(self, lineno: int, line: str) -> bool:
        record = match_live(line, self.file, lineno)
        if record is not None:
            self.found.records.append(record)
        return record is not None

    def _header(self, lineno: int, line: str, patterns) -> bool:
        for pattern, build in patterns:
            found = pattern.search(line)
            if found:
                timestamp, caller = prefix_facts(line[:found.start()])
                report = Report(self.file, lineno, "oops", timestamp=timestamp, caller=caller,
                                last_line=lineno)
                build(found, report)
                self.blocks.start(report)
                return True
        return False

    def _report(self, lineno: int, prefix: str, key: str | None) -> Report:
        timestamp, caller = prefix_facts(prefix)
        report = self.blocks.current(caller, lineno, key)
        if report is None:
            # A block whose header was cut off (or never printed): report it all the same.
            report = self.blocks.start(Report(self.file, lineno, "oops", timestamp=timestamp,
                                              caller=caller))
        report.last_line = lineno
        return report

    def _mem_abort(self, lineno: int, line: str) -> bool:
        found = _MEM_ABORT.search(line)
        if found:  # opens the decode: a new block if the open one has its ESR already
            self._report(lineno, line[:found.start()], "ESR")
        return found is not None

    def _field(self, lineno: int, line: str, fields) -> bool:
        for pattern, keys in fields:
            found = pattern.search(line)
            if found:
                report = self._report(lineno, line[:found.start()], keys[0])
                for key, text in zip(keys, found.groups()):
                    if text is None:
                        continue
                    if key in _NAME_FIELDS:
                        report.printed[key] = text.strip()
                    else:
                        report.printed[key] = int(text, 16 if key in _HEX_FIELDS else 10)
                if keys[0] == "ESR" and report.esr is None:
                    report.esr = report.printed["ESR"]  # type: ignore[assignment]
                return True
        return False

    def _internal(self, lineno: int, line: str) -> bool:
        found = _INTERNAL.search(line)
        if found is None:
            return False
        report = self._report(lineno, line[:found.start()], "oops_code")
        report.el = report.el or KERNEL
        code = int(found[2], 16)
        if code:  # die() with err 0 (bad mode, CFI) carries no ESR
            report.printed["oops_code"] = code
            if report.esr is None:
                report.esr = code
        report.message = report.message or found[1]
        return True

    def _cpu(self, lineno: int, line: str) -> bool:
        found = _CPU.search(line)
        if found is None:
            return False
        shown = self.blocks.current(prefix_facts(line[:found.start()])[1], lineno, None)
        if shown is not None:
            shown.last_line = lineno
            shown.cpu = int(found[1]) if shown.cpu is None else shown.cpu
            shown.pid = shown.pid or int(found[2])
            shown.process = shown.process or found[3].strip()
        return True

    def _pc_line(self, lineno: int, line: str) -> bool:
        for pattern in (_PC_OLD, _PC, _PC_IS_AT):
            found = pattern.search(line)
            if found:
                self._pc(lineno, line, found, pattern)
                return True
        return False

    def _code(self, lineno: int, line: str) -> bool:
        found = _CODE.search(line)
        if found is None:
            return False
        report = self._report(lineno, line[:found.start()], None)
        if report.code:
            self.blocks.close(report.caller)
            report = self._report(lineno, line[:found.start()], None)
        if found[1] != "bad PC value":
            for word in _CODE_WORD.finditer(found[1]):
                report.code.append(int(word[2], 16))
                if word[1]:
                    report.word = int(word[2], 16)
        report.cut_off = False
        self.blocks.close(report.caller)
        return True

    def _far(self, lineno: int, line: str) -> bool:
        found = _BAD_STACK_FAR.search(line)
        if found is None:
            return False
        report = self.blocks.current(prefix_facts(line[:found.start()])[1], lineno, None)
        if report is not None and report.kind == "stack-overflow" and report.far is None:
            report.far, report.last_line = int(found[1], 16), lineno
        return True

    def _end(self, lineno: int, line: str) -> bool:
        found = _END.search(line)
        if found is None:
            return False
        ended = self.blocks.current(prefix_facts(line[:found.start()])[1], lineno, None)
        if ended is not None:
            ended.cut_off = False
            self.blocks.close(ended.caller)
        return True

    def _pc(self, lineno: int, line: str, found: re.Match, pattern: re.Pattern) -> None:
        caller = prefix_facts(line[:found.start()])[1]
        report = self.blocks.current(caller, lineno, None)
        if report is None:
            return  # a register dump without a fault report (WARN, sysrq): not a fault
        report.last_line = lineno
        if pattern is _PC_OLD:
            report.pc = int(found[1], 16)
        elif report.pc is None and report.symbol is None:
            _set_pc(report, found[1], found[2])
        elif pattern is _PC_IS_AT and report.symbol is None and not _ADDRESS.fullmatch(found[1]):
            report.symbol, report.module = found[1], found[2]
        if report.kind != "oops":
            report.cut_off = False

    def finish(self) -> Found:
        self.blocks.close_all()
        for report in self.found.reports:
            if report.el is None and report.esr is not None:
                from ..esr import decode

                lower = decode(report.esr).from_lower_el
                report.el = None if lower is None else (USER if lower else KERNEL)
        return self.found


def _fields(*labels: str):
    chosen = [entry for entry in _FIELD_LINES if entry[1][0] in labels]
    return lambda reader, lineno, line: reader._field(lineno, line, chosen)


def _headers(*patterns: re.Pattern):
    chosen = [entry for entry in _HEADERS if entry[0] in patterns]
    return lambda reader, lineno, line: reader._header(lineno, line, chosen)


def _call(method):
    return lambda reader, lineno, line: method(reader, lineno, line)


#: Key phrase (bytes regex) of each kind of line -> the matchers that read it. The
#: prefilter is their alternation: one C-speed scan finds every candidate line, and
#: the phrase found picks the few matchers to run on it.
_DISPATCH: list[tuple[bytes, Callable]] = [
    (rb"Unable to handle kernel", _headers(_KERNEL_FAULT)),
    (rb"nhandled ", _headers(_USER_OLD, _USER_NEW, _UNHANDLED_OLD, _UNHANDLED_AT,
                            _UNHANDLED_EXC)),
    (rb"Bad mode in", _headers(_BAD_MODE)),
    (rb"SError Interrupt", _headers(_SERROR)),
    (rb"ESR: 0x", _headers(_BAD_STACK)),
    (rb"FAR: 0x", _call(LineReader._far)),
    (rb"Mem abort info", _call(LineReader._mem_abort)),
    (rb"ESR = ", _fields("ESR")),
    (rb"EC = 0x|Exception class = ", _fields("EC", "EC_name")),
    (rb"SET = ", _fields("SET")),
    (rb"EA = ", _fields("EA")),
    (rb"FSC = ", _fields("FSC")),
    (rb"ISV = ", _fields("ISV")),
    (rb"Access size = ", _fields("Access size")),
    (rb"SSE = ", _fields("SSE")),
    (rb"SF = ", _fields("SF")),
    (rb"CM = ", _fields("CM")),
    (rb"GCS = ", _fields("GCS")),
    (rb"Internal error: ", _call(LineReader._internal)),
    (rb"CPU: \d", _call(LineReader._cpu)),
    (rb"pc : |PC is at", _call(LineReader._pc_line)),
    (rb"Code: ", _call(LineReader._code)),
    (rb"---\[ end trace", _call(LineReader._end)),
    (rb"handle_mm_fault|faults", _call(LineReader._live)),
]

#: The alternation of every key phrase. (Without groups: sre then scans ~30x faster.)
PREFILTER = re.compile(b"|".join(phrase for phrase, _ in _DISPATCH))
_PHRASES = [re.compile(phrase) for phrase, _ in _DISPATCH]
_PHRASE_INDEX: dict[bytes, int] = {}


def _phrase_index(text: bytes) -> int:
    """The _DISPATCH index of a key phrase PREFILTER found (cached: few distinct texts)."""
    index = _PHRASE_INDEX.get(text)
    if index is None:
        index = next(i for i, phrase in enumerate(_PHRASES) if phrase.fullmatch(text))
        if len(_PHRASE_INDEX) < 1024:
            _PHRASE_INDEX[text] = index
    return index


def read_stream(stream: BinaryIO, file: str, found: Found | None = None) -> Found:
    """Every report and record in a binary stream, read in CHUNK_BYTES pieces."""
    reader = LineReader(file, found)
    lineno = 1
    carry = b""
    while True:
        chunk = stream.read(CHUNK_BYTES)
        data = carry + chunk
        if not chunk:
            end = len(data)
        else:
            end = data.rfind(b"\n") + 1
            if end == 0:
                if len(data) <= MAX_CARRY:
                    carry = data
                    continue
                end = len(data)  # no newline in MAX_CARRY bytes: cut the "line" here
        lineno = _scan(reader, data, end, lineno)
        carry = data[end:]
        if not chunk:
            break
    return reader.finish()


def _scan(reader: LineReader, data: bytes, end: int, lineno: int) -> int:
    """Feed the candidate lines of data[:end] (whole lines) to reader; next line number."""
    position = counted = 0
    search = PREFILTER.search
    while True:
        hit = search(data, position, end)
        if hit is None:
            break
        start = data.rfind(b"\n", 0, hit.start()) + 1
        stop = data.find(b"\n", hit.end(), end)
        stop = end if stop < 0 else stop
        lineno += data.count(b"\n", counted, start)
        counted = start
        text = data[max(start, hit.start() - LINE_WINDOW):min(stop, hit.end() + LINE_WINDOW)
                    ].decode("utf-8", "replace")
        tries = MAX_TRIES
        while not reader.feed(lineno, text, _phrase_index(hit.group())) and tries:
            # A key phrase in a line no matcher reads (a prefix, another message):
            # look for a later phrase on the same line.
            tries -= 1
            hit = search(data, hit.end(), stop)
            if hit is None:
                break
            text = data[max(start, hit.start() - LINE_WINDOW):min(stop, hit.end() + LINE_WINDOW)
                        ].decode("utf-8", "replace")
        position = stop + 1
        if position >= end:
            break
    return lineno + data.count(b"\n", counted, end)


def read_text(text: str | Iterable[str], file: str = "-") -> Found:
    """Every report and record in text (a str, or lines), e.g. for tests."""
    import io

    if not isinstance(text, str):
        text = "".join(text)
    return read_stream(io.BytesIO(text.encode("utf-8")), file)
