"""Find fault reports and live fault records in kernel log text.

The line formats are formats.py's (and live.py's for live records); this
module reads the input and assembles blocks. Reading is two-stage for speed: one bytes regex
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

from . import formats
from .live import match_live
from .records import KERNEL, USER, LiveRecord, Report

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


class LineReader:
    """Feeds candidate lines of one input to the matchers; collects into ``found``."""

    def __init__(self, file: str, found: Found | None = None):
        self.file = file
        self.found = found if found is not None else Found()
        self.blocks = _Blocks(file, self.found)

    def feed(self, lineno: int, raw: str, phrase: int) -> bool:
        """Match one line (1-based ``lineno``) whose key phrase is DISPATCH[phrase];
        False if that phrase's matchers found nothing on it."""
        return _DISPATCH[phrase][1](self, lineno, formats.clean(raw))

    def _live(self, lineno: int, line: str) -> bool:
        record = match_live(line, self.file, lineno)
        if record is not None:
            self.found.records.append(record)
        return record is not None

    def _header(self, lineno: int, line: str,
                patterns: list[tuple[re.Pattern[str], formats.Build]]) -> bool:
        for pattern, build in patterns:
            found = pattern.search(line)
            if found:
                timestamp, caller = formats.prefix_facts(line[:found.start()])
                report = Report(self.file, lineno, "oops", timestamp=timestamp, caller=caller,
                                last_line=lineno)
                build(found, report)
                self.blocks.start(report)
                return True
        return False

    def _report(self, lineno: int, prefix: str, key: str | None) -> Report:
        timestamp, caller = formats.prefix_facts(prefix)
        report = self.blocks.current(caller, lineno, key)
        if report is None:
            # A block whose header was cut off (or never printed): report it all the same.
            report = self.blocks.start(Report(self.file, lineno, "oops", timestamp=timestamp,
                                              caller=caller))
        report.last_line = lineno
        return report

    def _mem_abort(self, lineno: int, line: str) -> bool:
        found = formats.MEM_ABORT.search(line)
        if found:  # opens the decode: a new block if the open one has its ESR already
            self._report(lineno, line[:found.start()], "ESR")
        return found is not None

    def _field(self, lineno: int, line: str,
               fields: list[tuple[re.Pattern[str], tuple[str, ...]]]) -> bool:
        for pattern, keys in fields:
            found = pattern.search(line)
            if found:
                report = self._report(lineno, line[:found.start()], keys[0])
                for key, text in zip(keys, found.groups()):
                    if text is None:
                        continue
                    if key in formats.NAME_FIELDS:
                        report.printed[key] = text.strip()
                    else:
                        report.printed[key] = int(text, 16 if key in formats.HEX_FIELDS else 10)
                if keys[0] == "ESR" and report.esr is None:
                    esr = report.printed["ESR"]
                    assert isinstance(esr, int)  # a number field (not in NAME_FIELDS)
                    report.esr = esr
                return True
        return False

    def _internal(self, lineno: int, line: str) -> bool:
        found = formats.INTERNAL.search(line)
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
        found = formats.CPU.search(line)
        if found is None:
            return False
        shown = self.blocks.current(formats.prefix_facts(line[:found.start()])[1], lineno, None)
        if shown is not None:
            shown.last_line = lineno
            shown.cpu = int(found[1]) if shown.cpu is None else shown.cpu
            shown.pid = shown.pid or int(found[2])
            shown.process = shown.process or found[3].strip()
        return True

    def _pc_line(self, lineno: int, line: str) -> bool:
        for pattern in (formats.PC_OLD, formats.PC, formats.PC_IS_AT):
            found = pattern.search(line)
            if found:
                self._pc(lineno, line, found, pattern)
                return True
        return False

    def _code(self, lineno: int, line: str) -> bool:
        found = formats.CODE.search(line)
        if found is None:
            return False
        report = self._report(lineno, line[:found.start()], None)
        if report.code:
            self.blocks.close(report.caller)
            report = self._report(lineno, line[:found.start()], None)
        if found[1] != "bad PC value":
            for word in formats.CODE_WORD.finditer(found[1]):
                report.code.append(int(word[2], 16))
                if word[1]:
                    report.word = int(word[2], 16)
        report.cut_off = False
        self.blocks.close(report.caller)
        return True

    def _far(self, lineno: int, line: str) -> bool:
        found = formats.BAD_STACK_FAR.search(line)
        if found is None:
            return False
        report = self.blocks.current(formats.prefix_facts(line[:found.start()])[1], lineno, None)
        if report is not None and report.kind == "stack-overflow" and report.far is None:
            report.far, report.last_line = int(found[1], 16), lineno
        return True

    def _end(self, lineno: int, line: str) -> bool:
        found = formats.END.search(line)
        if found is None:
            return False
        ended = self.blocks.current(formats.prefix_facts(line[:found.start()])[1], lineno, None)
        if ended is not None:
            ended.cut_off = False
            self.blocks.close(ended.caller)
        return True

    def _pc(self, lineno: int, line: str, found: re.Match[str], pattern: re.Pattern[str]) -> None:
        caller = formats.prefix_facts(line[:found.start()])[1]
        report = self.blocks.current(caller, lineno, None)
        if report is None:
            return  # a register dump without a fault report (WARN, sysrq): not a fault
        report.last_line = lineno
        if pattern is formats.PC_OLD:
            report.pc = int(found[1], 16)
        elif report.pc is None and report.symbol is None:
            formats.set_pc(report, found[1], found[2])
        elif (pattern is formats.PC_IS_AT and report.symbol is None
              and not formats.ADDRESS.fullmatch(found[1])):
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


#: Reads one line (reader, line number, text); False when it found nothing there.
Matcher = Callable[[LineReader, int, str], bool]


def _fields(*labels: str) -> Matcher:
    chosen = [entry for entry in formats.FIELD_LINES if entry[1][0] in labels]
    return lambda reader, lineno, line: reader._field(lineno, line, chosen)


def _headers(*patterns: re.Pattern[str]) -> Matcher:
    chosen = [entry for entry in formats.HEADERS if entry[0] in patterns]
    return lambda reader, lineno, line: reader._header(lineno, line, chosen)


def _call(method: Matcher) -> Matcher:
    return lambda reader, lineno, line: method(reader, lineno, line)


#: Key phrase (bytes regex) of each kind of line -> the matchers that read it. The
#: prefilter is their alternation: one C-speed scan finds every candidate line, and
#: the phrase found picks the few matchers to run on it.
_DISPATCH: list[tuple[bytes, Matcher]] = [
    (rb"Unable to handle kernel", _headers(formats.KERNEL_FAULT)),
    (rb"nhandled ", _headers(formats.USER_OLD, formats.USER_NEW, formats.UNHANDLED_OLD, formats.UNHANDLED_AT,
                            formats.UNHANDLED_EXC)),
    (rb"Bad mode in", _headers(formats.BAD_MODE)),
    (rb"SError Interrupt", _headers(formats.SERROR)),
    (rb"ESR: 0x", _headers(formats.BAD_STACK)),
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
