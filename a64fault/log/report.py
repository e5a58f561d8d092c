"""Explained faults as text, JSON Lines and a summary; live records as a per-instruction table."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import TypedDict

from .explain import Explained, PcReport


class _FaultCounts(TypedDict):
    faults: int
    by_exception_class: dict[str, int]
    by_fault_type: dict[str, int]
    by_access: dict[str, int]
    by_kind: dict[str, int]
    atomic_read_faults: int


class SummaryCounts(_FaultCounts, total=False):
    """summary_counts(): the live_* keys only when live records were counted."""

    live_records: int
    live_pcs: int
    live_double_faults: int
    live_atomic_read_faults: int


def _hex(value: int | None) -> str | None:
    return None if value is None else f"{value:#x}"


def to_json(done: Explained) -> dict[str, object]:
    """The JSON object of one fault (the fields `a64fault log --json` prints)."""
    report = done.report
    classification = done.classification
    return {
        "record": "fault",
        "file": report.file,
        "line": report.line,
        "format": report.kind,
        "timestamp": report.timestamp,
        "process": report.process,
        "pid": report.pid,
        "cpu": report.cpu,
        "el": report.el,
        "message": report.message,
        "esr": _hex(report.esr),
        "decoded": done.syndrome.to_dict() if done.syndrome is not None else None,
        "far": _hex(report.far),
        "pc": _hex(report.pc),
        "symbol": report.symbol,
        "module": report.module,
        "vma": report.vma.to_dict() if report.vma else None,
        "code": [f"{word:08x}" for word in report.code],
        "word": f"{done.lookup.word:08x}" if done.lookup.word is not None else None,
        "word_source": done.lookup.source,
        "word_note": done.lookup.note,
        "text": done.text,
        "form": classification.form if classification else None,
        "kind": classification.kind.value if classification else None,
        "decision": done.decision.to_dict() if done.decision else None,
        "printed": report.printed,
        "mismatches": [mismatch.to_dict() for mismatch in done.mismatches],
        "cut_off": report.cut_off,
        "notes": done.notes,
    }


def to_text(done: Explained) -> str:
    """A readable block for one fault."""
    report = done.report
    who = " ".join(part for part in (
        report.timestamp and f"[{report.timestamp}]",
        report.process and f"{report.process}[{report.pid}]" if report.pid else report.process,
        report.cpu is not None and f"CPU{report.cpu}") if part)
    lines = [f"{report.file}:{report.line}: {report.kind} fault"
             + (f" ({report.el})" if report.el else "") + (f" {who}" if who else "")
             + (" [cut off]" if report.cut_off else "")]
    if report.message:
        lines.append(f"  kernel says: {report.message}")
    if done.syndrome is not None:
        s = done.syndrome
        line = f"  ESR {s.value:#x}: {s.ec_name}"
        if s.dfsc_name:
            line += f"; {s.dfsc_name}"
        if s.is_data_abort:
            line += "; write" if s.is_write_abort else "; read"
        lines.append(line)
    else:
        lines.append("  ESR not printed")
    if report.far is not None:
        lines.append(f"  FAR {report.far:#x}")
    if report.pc is not None or report.symbol:
        where = " ".join(part for part in (_hex(report.pc), report.symbol,
                                           report.module and f"[{report.module}]") if part)
        if report.vma:
            vma = report.vma
            offset = f"{vma.offset:x}," if vma.offset is not None else ""
            where += f" in {vma.name}[{offset}{vma.start:x}+{vma.size:x}]"
        lines.append(f"  PC {where}")
    if done.lookup.word is not None:
        c = done.classification
        lines.append(f"  instruction {done.lookup.word:08x} ({done.lookup.source}): "
                     f"{done.text or '(Capstone cannot decode it)'}"
                     + (f" — {c.form}, {c.kind.value}" if c and c.form else
                        f" — {c.kind.value}" if c else ""))
    elif done.lookup.note:
        lines.append(f"  instruction unknown: {done.lookup.note}")
    if done.decision is not None:
        d = done.decision
        lines.append(f"  decision ({d.policy}): reported {d.reported}, handled as {d.effective}"
                     + (" (upgraded)" if d.upgraded else "") + f". {d.reason}")
    for note in done.notes:
        lines.append(f"  {note}" if note.startswith("warning: ") else f"  note: {note}")
    for mismatch in done.mismatches:
        lines.append(f"  warning: {mismatch}")
    return "\n".join(lines)


ATOMIC_KINDS = ("atomic-rmw", "compare-and-swap")


def summary_counts(explained: list[Explained], per_pc: list[PcReport] | None = None) -> SummaryCounts:
    """Counts by exception class, fault type, access and kind, and the read faults taken
    by atomic read-modify-write instructions (the double-fault candidates)."""
    by_class: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    by_access: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    atomic_reads = 0
    for done in explained:
        s = done.syndrome
        by_class[s.ec_name if s else "ESR not printed"] += 1
        if s is not None and s.fault_type:
            by_type[s.fault_type] += 1
        if done.decision:
            access = done.decision.reported
        elif s is not None and s.is_instruction_abort:
            access = "exec"
        elif s is not None and s.is_data_abort:
            access = "write" if s.is_write_abort else "read"
        else:
            access = "unknown"
        by_access[access] += 1
        kind = done.classification.kind.value if done.classification else "unknown"
        by_kind[kind] += 1
        if access == "read" and kind in ATOMIC_KINDS:
            atomic_reads += 1
    out: SummaryCounts = {
        "faults": len(explained),
        "by_exception_class": dict(by_class.most_common()),
        "by_fault_type": dict(by_type.most_common()),
        "by_access": dict(by_access.most_common()),
        "by_kind": dict(by_kind.most_common()),
        "atomic_read_faults": atomic_reads,
    }
    if per_pc:
        out["live_records"] = sum(item.count.faults for item in per_pc)
        out["live_pcs"] = len(per_pc)
        out["live_double_faults"] = sum(item.count.double_faults for item in per_pc)
        out["live_atomic_read_faults"] = sum(
            item.count.reads + item.count.unknown for item in per_pc
            if item.classification is not None and item.classification.kind.value in ATOMIC_KINDS)
    return out


def summary(counts: SummaryCounts) -> str:
    """summary_counts() as text."""
    out = [f"faults: {counts['faults']}"]
    for title, by in (("by exception class", counts["by_exception_class"]),
                      ("by fault type", counts["by_fault_type"]), ("by access", counts["by_access"]),
                      ("by instruction kind", counts["by_kind"])):
        out.append(f"{title}:")
        out += [f"  {count:6d}  {name}" for name, count in by.items()]
    out.append("read faults taken by atomic read-modify-write instructions "
               f"(double-fault candidates): {counts['atomic_read_faults']}")
    if "live_records" in counts:
        out.append(f"live fault records: {counts['live_records']} at {counts['live_pcs']} pcs; "
                   f"double faults: {counts['live_double_faults']}; read faults at atomic "
                   f"read-modify-write instructions: {counts['live_atomic_read_faults']}")
    return "\n".join(out)


def pc_to_json(item: PcReport) -> dict[str, object]:
    count = item.count
    return {
        "record": "instruction",
        "pc": f"{count.pc:#x}", "process": count.process, "symbol": count.symbol,
        "dso": count.dso, "faults": count.faults, "reads": count.reads,
        "writes": count.writes, "execs": count.execs, "unknown_access": count.unknown,
        "double_faults": count.double_faults, "pages": len(count.pages),
        "el": "kernel" if count.kernel else "user",
        "word": f"{item.lookup.word:08x}" if item.lookup.word is not None else None,
        "word_source": item.lookup.source, "word_note": item.lookup.note,
        "text": item.text,
        "form": item.classification.form if item.classification else None,
        "kind": item.classification.kind.value if item.classification else None,
        "spared": item.spared,
    }


def pc_table(items: list[PcReport]) -> str:
    """The per-instruction double-fault table of live records."""
    header = (f"{'task':<15} {'pc':>18} {'faults':>6} {'reads':>6} {'writes':>6} {'execs':>5} "
              f"{'double':>6}  {'word':8}  instruction / kind / write faults spared per policy")
    lines = ["live fault records by instruction:", header]
    for item in items:
        count = item.count
        word = f"{item.lookup.word:08x}" if item.lookup.word is not None else "-"
        reads = f"{count.reads}" if not count.unknown else f"{count.reads}+{count.unknown}?"
        what = ""
        if item.classification is not None:
            what = f"{item.text or '?'} / {item.classification.kind.value} / spared " + \
                ", ".join(f"{policy} {number}" for policy, number in item.spared.items())
        elif item.lookup.note:
            what = item.lookup.note
        lines.append(f"{count.process[:15]:<15} {count.pc:#18x} {count.faults:6d} {reads:>6} "
                     f"{count.writes:6d} {count.execs:5d} {count.double_faults:6d}  {word:8}  "
                     f"{what}")
    return "\n".join(lines)


def dumps(obj: Mapping[str, object]) -> str:
    return json.dumps(obj, sort_keys=False)
