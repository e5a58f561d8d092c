"""What a64fault makes of each fault read from a log.

``explain()`` joins a Report with a64fault's own reading of it: the ESR
decode (a64fault.esr), each printed field compared with that decode
(kernel_fields), the instruction (resolve), its Capstone text and class,
and the fault decision (a64fault.fault.decide). ``explain_pcs()`` does the
same for the per-pc counts of live records, with what each policy spares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..classify import Classification, classify
from ..decoder import decode as capstone_text
from ..errors import InputError
from ..esr import Syndrome, decode
from ..fault import Decision, decide
from ..policies import POLICIES
from .kernel_fields import Mismatch, compare
from .live import PcCount
from .records import USER, Report
from .resolve import Lookup, Resolver


@dataclass
class Explained:
    """A report with its decode, mismatches, instruction and decision."""

    report: Report
    syndrome: Syndrome | None
    mismatches: list[Mismatch]
    lookup: Lookup
    text: str | None = None
    classification: Classification | None = None
    decision: Decision | None = None
    notes: list[str] = field(default_factory=list)


def explain(report: Report, resolver: Resolver, policy: str) -> Explained:
    """Decode, compare, look up and decide one report."""
    syndrome = decode(report.esr) if report.esr is not None else None
    mismatches = compare(report.printed, syndrome) if syndrome is not None else []
    notes = []
    if report.word is not None:
        lookup = Lookup(report.word, "Code: line", report.pc)
        if report.el != USER and resolver.has_kernel_files:
            # The kernel file at sym+off must hold the word Code: printed.
            check = resolver.kernel(report.pc, report.symbol, report.module)
            if check.word is not None and check.word != report.word:
                notes.append(f"warning: the Code: line's word {report.word:08x} is not the "
                             f"word {check.word:08x} of {check.source}")
    elif (report.el == USER and report.vma is None and report.process
          and resolver.elf is not None and not resolver.runs_elf(report.process)):
        lookup = Lookup(None, note=f"task {report.process} does not run --elf")
    elif report.el == USER:
        lookup = resolver.user(report.pc, report.vma)
    else:
        lookup = resolver.kernel(report.pc, report.symbol, report.module)
    done = Explained(report, syndrome, mismatches, lookup, notes=notes)
    if lookup.word is None:
        return done
    text = capstone_text(lookup.word, lookup.address or 0)
    done.text = str(text) if text is not None else None
    done.classification = classify(lookup.word)
    if syndrome is None or syndrome.is_abort:
        try:
            done.decision = decide(lookup.word, report.esr, el=0 if report.el == USER else 1,
                                   policy=policy)
        except InputError as error:
            done.notes.append(str(error))
    else:
        done.notes.append(f"no fault decision: the ESR is not an abort ({syndrome.ec_name})")
    return done


@dataclass
class PcReport:
    """Per-instruction result for live records: counts, the word and what each policy spares."""

    count: PcCount
    lookup: Lookup
    text: str | None
    classification: Classification | None
    spared: dict[str, int]


def explain_pcs(counts: list[PcCount], resolver: Resolver) -> list[PcReport]:
    """Resolve each pc and count, per policy, the write faults an upgrade would spare.

    With --elf, user pcs of the tasks named like PROG are looked up in it (all
    of them when no task is).
    """
    named = any(resolver.runs_elf(count.process) for count in counts)
    out = []
    for count in counts:
        if count.pc == 0 and count.kernel:
            lookup = Lookup(None, note="no pc: handle_mm_fault had no pt_regs "
                                       "(get_user_pages or a remote fault)")
        elif count.kernel:
            lookup = resolver.kernel(count.pc, None, None)
        elif named and not resolver.runs_elf(count.process):
            lookup = Lookup(None, note=f"task {count.process} does not run --elf")
        else:
            lookup = resolver.user(count.pc)
        text = classification = None
        spared = {}
        if lookup.word is not None:
            decoded = capstone_text(lookup.word, lookup.address or 0)
            text = str(decoded) if decoded is not None else None
            classification = classify(lookup.word)
            for policy in POLICIES:
                upgraded = decide(lookup.word, el=1 if count.kernel else 0,
                                  policy=policy).upgraded
                spared[policy] = count.double_faults if upgraded else 0
        out.append(PcReport(count, lookup, text, classification, spared))
    return out
