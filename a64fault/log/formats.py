"""What the kernel prints: one regex per arm64 fault report line, and what each line fills in.

Written from the kernel's format strings (docs/design.md section 7 names the
versions and files). The report headers open a block and fill a Report
(``HEADERS``: pattern and builder); the field lines fill ``Report.printed``
(``FIELD_LINES``: pattern and the printed field names of its groups).
``clean`` and ``prefix_facts`` read a line's CR/ANSI and its prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..esr import KERNEL_FAULT_NAMES
from .records import KERNEL, USER, Report, Vma

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
TIMESTAMP = re.compile(
    r"\[\s*(\d+\.\d+)\]"                                  # dmesg: [  12.345678]
    r"|^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d[\d.,:+-]*)"    # ISO 8601 (journalctl -o short-iso)
    r"|^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)"           # syslog: Jun  9 11:11:21
    r"|\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]")  # dmesg -T
#: printk caller ids ([  T123], [    C1]) and vendor tags: "[pid:N,cpuN,comm]", and
#: "<2>-(2)[1:swapper/0]" (level, -(cpu), [pid:comm]).
CALLER = re.compile(r"\[\s*([TC]\d+)\]|\[pid:\d+,(cpu\d+),|-\((\d+)\)\[\d+:")
#: A hex number of at most 64 bits (a longer run of digits is not a value the kernel printed).
HEX = r"([0-9a-fA-F]{1,16})(?![0-9a-fA-F])"


def clean(line: str) -> str:
    """The line without CR/LF and ANSI escape sequences."""
    line = line.rstrip("\r\n").replace("\r", "")
    return ANSI.sub("", line) if "\x1b" in line else line


def prefix_facts(prefix: str) -> tuple[str | None, str | None]:
    """(time stamp, printk caller) found in a line's prefix, each None if absent."""
    timestamp = caller = None
    found = TIMESTAMP.search(prefix)
    if found:
        timestamp = next(group for group in found.groups() if group)
    found = CALLER.search(prefix)
    if found:
        caller = found.group(1) or found.group(2) or f"cpu{found.group(3)}"
    return timestamp, caller


# --- report headers ---------------------------------------------------------
# Each header opens a block. The format strings were read at 3.x, 4.19, 6.1 and
# mainline; the versions named for a change are approximate (not bisected).

#: fault.c __do_kernel_fault/die_kernel_fault (3.x %08lx, 4.x+ %016lx):
#: "Unable to handle kernel %s at virtual address %016lx".
KERNEL_FAULT = re.compile(rf"Unable to handle kernel (.+?) at virtual address (?:0x)?{HEX}")
#: fault.c __do_user_fault (3.x-4.18): "%s[%d]: unhandled %s (%d) at 0x%08lx, esr 0x%03x"
#: (later 4.x add print_vma_addr ", in " + "%s[%lx+%lx]").
USER_OLD = re.compile(
    rf"(\S{{1,64}})\[(\d+)\]: unhandled (.+?) \((\d+)\) at 0x{HEX}, esr 0x{HEX}(?:, in (\S+))?")
#: traps.c arm64_show_signal (4.19+): "%s[%d]: unhandled exception: " then, when the ESR
#: is known, "%s, ESR 0x%08x, " (6.0+: 0x%016lx), then "%s" and print_vma_addr " in ".
USER_NEW = re.compile(
    rf"(\S{{1,64}})\[(\d+)\]: unhandled exception: (?:(.+?), ESR 0x{HEX}, )?(.*?)"
    rf"(?: in (\S+))?$")
#: fault.c do_mem_abort (3.x-4.13): "Unhandled fault: %s (0x%08x) at 0x%016lx".
UNHANDLED_OLD = re.compile(rf"Unhandled fault: (.+?) \(0x{HEX}\) at 0x{HEX}")
#: fault.c do_mem_abort (4.14-5.x, kernel mode only): "Unhandled fault at 0x%016lx".
UNHANDLED_AT = re.compile(rf"Unhandled fault at 0x{HEX}")
#: traps.c bad_mode: 3.x "Bad mode in %s handler detected, code 0x%08x"; 4.x adds
#: " -- %s" (esr_class_str); later " on CPU%d" after "detected".
BAD_MODE = re.compile(
    rf"Bad mode in (.+?) handler detected(?: on CPU(\d+))?, code 0x{HEX}(?: -- (.+))?")
#: traps.c arm64_serror_panic (4.x-5.x): "SError Interrupt on CPU%d, code 0x%08x -- %s"
#: (6.1: 0x%016lx).
SERROR = re.compile(rf"SError Interrupt on CPU(\d+), code 0x{HEX}(?: -- (.+))?")
#: entry-common.c __panic_unhandled (5.x): "Unhandled %s exception on CPU%d,
#: ESR 0x%08x -- %s" (6.1: 0x%016lx; %s is e.g. "64-bit el1t sync").
UNHANDLED_EXC = re.compile(rf"Unhandled (.+?) exception on CPU(\d+), ESR 0x{HEX} -- (.+)")
#: traps.c panic_bad_stack (after "Insufficient stack space to handle exception!"):
#: "ESR: 0x%08x -- %s" (6.1: 0x%016lx), then "FAR: 0x%016lx".
BAD_STACK = re.compile(rf"\bESR: 0x{HEX} -- (.+)")
BAD_STACK_FAR = re.compile(rf"\bFAR: 0x{HEX}")

# --- block fields -------------------------------------------------------------
#: fault.c mem_abort_decode/data_abort_decode (4.19, 6.1, mainline), one printed line each.
FIELD_LINES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(rf"\bESR = 0x{HEX}"), ("ESR",)),                      # 4.14+
    # 6.1: "  EC = 0x%02lx: %s, IL = %u bits"; 4.19: "  Exception class = %s, IL ..."
    (re.compile(rf"\bEC = 0x{HEX}: (.+?), IL = (\d+) bits"), ("EC", "EC_name", "IL")),
    (re.compile(r"Exception class = (.+?), IL = (\d+) bits"), ("EC_name", "IL")),
    (re.compile(r"\bSET = (\d+), FnV = (\d+)"), ("SET", "FnV")),
    (re.compile(r"\bEA = (\d+), S1PTW = (\d+)"), ("EA", "S1PTW")),
    (re.compile(rf"\bFSC = 0x{HEX}: (.+?)\s*$"), ("FSC", "FSC_name")),      # 6.1, not 4.19
    # mainline (not 6.1) appends ", ISS2 = 0x%08lx"
    (re.compile(rf"\bISV = (\d+), ISS = 0x{HEX}(?:, ISS2 = 0x{HEX})?"), ("ISV", "ISS", "ISS2")),
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
MEM_ABORT = re.compile(r"Mem abort info:")
HEX_FIELDS = frozenset({"ESR", "EC", "ISS", "ISS2", "FSC"})
NAME_FIELDS = frozenset({"EC_name", "FSC_name"})

#: traps.c __die: "Internal error: %s: %x [#%d]" (3.x, 4.x), "%016lx" (6.1).
INTERNAL = re.compile(rf"Internal error: (.*?): {HEX} \[#(\d+)\]")
#: lib/dump_stack.c dump_stack_print_info: "CPU: %d PID: %d Comm: %.20s %s..." (6.10+ "UID: %u").
CPU = re.compile(r"CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (.{1,20}?)(?: Not tainted| Tainted:|$)")
#: process.c __show_regs: 4.16+ "pc : %pS" (kernel) / "pc : %016llx" (user, 5.x+).
PC = re.compile(r"\bpc : (?!\[<)(\S+)(?: \[(\S+)\])?")
#: process.c __show_regs 3.x-4.15: "PC is at %s" and "pc : [<%016llx>] lr : [<%016llx>] ...".
PC_IS_AT = re.compile(r"\bPC is at (\S+)(?: \[(\S+)\])?")
PC_OLD = re.compile(rf"\bpc : \[<{HEX}>\]")
#: traps.c dump_kernel_instr/__dump_instr: "%sCode: %s" of "%08x " words, the faulting one
#: as "(%08x) ", or "bad PC value".
CODE = re.compile(r"\bCode: ((?:\(?[0-9a-fA-F]{8}\)? ?)+|bad PC value)")
CODE_WORD = re.compile(r"(\()?([0-9a-fA-F]{8})\)?")
END = re.compile(r"---\[ end trace")
ADDRESS = re.compile(r"0x[0-9a-fA-F]+|[0-9a-fA-F]{8,16}")
#: mm/memory.c print_vma_addr: "%s%pD[%lx+%lx]" (name[start+size]); 7.x prints
#: "%s%pD[%lx,%lx+%lx]", the pc's file offset first (name[offset,start+size]).
VMA = re.compile(rf"(.+)\[(?:{HEX},)?{HEX}\+{HEX}\]$")


def vma(text: str | None) -> Vma | None:
    found = VMA.match(text or "")
    if found is None:
        return None
    return Vma(found[1], int(found[3], 16), int(found[4], 16),
               int(found[2], 16) if found[2] else None)


def name(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def kernel_fault(m: re.Match[str], report: Report) -> None:
    report.kind, report.el = "oops", KERNEL
    report.message, report.far = m[1], int(m[2], 16)


def user_old(m: re.Match[str], report: Report) -> None:
    report.kind, report.el = "user", USER
    report.process, report.pid = m[1], int(m[2])
    report.message, report.far = m[3], int(m[5], 16)
    report.printed["FSC_name"] = m[3]
    report.printed["esr"] = report.esr = int(m[6], 16)
    report.vma = vma(m[7])


def user_new(m: re.Match[str], report: Report) -> None:
    report.kind, report.el = "user", USER
    report.process, report.pid = m[1], int(m[2])
    if m[4]:
        report.printed["EC_name"] = m[3]
        report.printed["esr"] = report.esr = int(m[4], 16)
    report.message = name(m[5])
    if report.message and (report.message in FAULT_NAMES or report.message.startswith("unknown ")):
        report.printed["FSC_name"] = report.message
    report.vma = vma(m[6])


def unhandled_old(m: re.Match[str], report: Report) -> None:
    report.kind, report.message = "unhandled", m[1]
    report.printed["FSC_name"] = m[1]
    report.printed["esr"] = report.esr = int(m[2], 16)
    report.far = int(m[3], 16)


def unhandled_at(m: re.Match[str], report: Report) -> None:
    report.kind, report.el, report.far = "unhandled", KERNEL, int(m[1], 16)


def bad_mode(m: re.Match[str], report: Report) -> None:
    report.kind, report.message = "bad-mode", f"Bad mode in {m[1]} handler"
    report.cpu = int(m[2]) if m[2] else None
    report.printed["esr"] = report.esr = int(m[3], 16)
    if m[4]:
        report.printed["EC_name"] = m[4].strip()


def serror(m: re.Match[str], report: Report) -> None:
    report.kind, report.message, report.cpu = "serror", "SError Interrupt", int(m[1])
    report.printed["esr"] = report.esr = int(m[2], 16)
    if m[3]:
        report.printed["EC_name"] = m[3].strip()


def bad_stack(m: re.Match[str], report: Report) -> None:
    report.kind, report.el, report.message = "stack-overflow", KERNEL, "kernel stack overflow"
    report.printed["esr"] = report.esr = int(m[1], 16)
    report.printed["EC_name"] = m[2].strip()


def unhandled_exception(m: re.Match[str], report: Report) -> None:
    report.kind, report.message = "unhandled-exception", f"Unhandled {m[1]} exception"
    report.cpu = int(m[2])
    report.printed["esr"] = report.esr = int(m[3], 16)
    report.printed["EC_name"] = m[4].strip()


#: Fills a new Report from its header line's match.
Build = Callable[[re.Match[str], Report], None]

HEADERS: list[tuple[re.Pattern[str], Build]] = [
    (KERNEL_FAULT, kernel_fault),
    (USER_OLD, user_old),
    (USER_NEW, user_new),
    (UNHANDLED_OLD, unhandled_old),
    (UNHANDLED_AT, unhandled_at),
    (BAD_MODE, bad_mode),
    (SERROR, serror),
    (UNHANDLED_EXC, unhandled_exception),
    (BAD_STACK, bad_stack),
]


#: Every fault name fault_info[] holds (a user line's message that is one is printed FSC_name).
FAULT_NAMES = frozenset(KERNEL_FAULT_NAMES.values())


def set_pc(report: Report, text: str, module: str | None) -> None:
    if ADDRESS.fullmatch(text):
        report.pc = int(text, 16)
    else:
        report.symbol = text
        report.module = module
