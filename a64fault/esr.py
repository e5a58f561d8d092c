"""Decode ESR_ELx, the Exception Syndrome Register, into named fields.

Every field is read through a named (hi, lo) bit range from the tables below
(Arm ARM D24.2 ESR_EL1; docs/design.md, "ESR_ELx fields"); no mask is written by hand.
``decode(esr)`` returns a Syndrome: the top-level fields (EC, IL, ISS, ISS2)
for every exception class, and for instruction and data aborts the abort
ISS fields, the fault status code with its name and type, and the ISS2 fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .errors import InputError

ESR_BITS = 64

#: ESR_ELx fields, (hi, lo) inclusive. RES0 is bits [63:56], kept so that
#: the fields always reassemble to the value.
ESR_LAYOUT = {
    "iss": (24, 0),
    "il": (25, 25),
    "ec": (31, 26),
    "iss2": (55, 32),
    "res0": (63, 56),
}

#: ISS of a data abort (EC 0x24/0x25), bits within ISS. SAS, SSE, SRT, SF and
#: AR hold the instruction syndrome only when ISV is 1.
DATA_ABORT_ISS = {
    "dfsc": (5, 0),
    "wnr": (6, 6),
    "s1ptw": (7, 7),
    "cm": (8, 8),
    "ea": (9, 9),
    "fnv": (10, 10),
    "set": (12, 11),
    "vncr": (13, 13),
    "ar": (14, 14),
    "sf": (15, 15),
    "srt": (20, 16),
    "sse": (21, 21),
    "sas": (23, 22),
    "isv": (24, 24),
}

#: The subset of DATA_ABORT_ISS an instruction abort (EC 0x20/0x21) defines;
#: its status field is IFSC, reported here as dfsc. The other bits are RES0.
INSTRUCTION_ABORT_ISS = ("dfsc", "s1ptw", "ea", "fnv", "set")

#: ISS2 of an abort, bits within ISS2 (ESR bits [55:32]).
ABORT_ISS2 = {
    "xs": (4, 0),
    "dirtybit": (5, 5),
    "overlay": (6, 6),
    "assuredonly": (7, 7),
    "gcs": (8, 8),
    "tagaccess": (9, 9),
    "tnd": (10, 10),
}

#: Display names of the fields, as the Arm ARM spells them.
FIELD_LABELS = {
    "ec": "EC", "il": "IL", "iss": "ISS", "iss2": "ISS2", "res0": "RES0",
    "isv": "ISV", "sas": "SAS", "sse": "SSE", "srt": "SRT", "sf": "SF", "ar": "AR",
    "vncr": "VNCR", "set": "SET", "fnv": "FnV", "ea": "EA", "cm": "CM",
    "s1ptw": "S1PTW", "wnr": "WnR", "dfsc": "DFSC",
    "xs": "Xs", "dirtybit": "DirtyBit", "overlay": "Overlay", "assuredonly": "AssuredOnly",
    "gcs": "GCS", "tagaccess": "TagAccess", "tnd": "TnD",
}

EC_INSTRUCTION_ABORT_LOWER = 0x20
EC_INSTRUCTION_ABORT_SAME = 0x21
EC_DATA_ABORT_LOWER = 0x24
EC_DATA_ABORT_SAME = 0x25

#: Exception classes (Arm ARM ESR_ELx.EC; Linux arch/arm64/include/asm/esr.h).
EC_NAMES = {
    0x00: "Unknown reason",
    0x01: "Trapped WFI/WFE/WFIT/WFET",
    0x03: "Trapped MCR/MRC (coproc 0b1111, AArch32)",
    0x04: "Trapped MCRR/MRRC (coproc 0b1111, AArch32)",
    0x05: "Trapped MCR/MRC (coproc 0b1110, AArch32)",
    0x06: "Trapped LDC/STC (AArch32)",
    0x07: "Trapped SME, SVE, Advanced SIMD or floating-point access",
    0x08: "Trapped VMRS (AArch32)",
    0x09: "Trapped pointer authentication instruction",
    0x0A: "Trapped LD64B/ST64B* or other instruction",
    0x0C: "Trapped MRRC (coproc 0b1110, AArch32)",
    0x0D: "Branch Target Exception",
    0x0E: "Illegal Execution state",
    0x11: "SVC in AArch32",
    0x12: "HVC in AArch32",
    0x13: "SMC in AArch32",
    0x15: "SVC in AArch64",
    0x16: "HVC in AArch64",
    0x17: "SMC in AArch64",
    0x18: "Trapped MSR/MRS/system instruction",
    0x19: "Trapped SVE access",
    0x1A: "Trapped ERET/ERETAA/ERETAB",
    0x1B: "TSTART access trap",
    0x1C: "Pointer authentication failure (FPAC)",
    0x1D: "Trapped SME access",
    0x1F: "IMPLEMENTATION DEFINED exception to EL3",
    0x20: "Instruction Abort from a lower Exception level",
    0x21: "Instruction Abort taken without a change in Exception level",
    0x22: "PC alignment fault",
    0x24: "Data Abort from a lower Exception level",
    0x25: "Data Abort taken without a change in Exception level",
    0x26: "SP alignment fault",
    0x27: "Memory Operation (MOPS) exception",
    0x28: "Trapped floating-point exception (AArch32)",
    0x2C: "Trapped floating-point exception (AArch64)",
    0x2D: "Guarded Control Stack exception",
    0x2F: "SError exception",
    0x30: "Breakpoint from a lower Exception level",
    0x31: "Breakpoint taken without a change in Exception level",
    0x32: "Software Step from a lower Exception level",
    0x33: "Software Step taken without a change in Exception level",
    0x34: "Watchpoint from a lower Exception level",
    0x35: "Watchpoint taken without a change in Exception level",
    0x38: "BKPT (AArch32)",
    0x3A: "Vector Catch (AArch32)",
    0x3C: "BRK (AArch64)",
}


#: The names Linux prints for an EC (esr_class_str[] in arch/arm64/kernel/traps.c:
#: 6.1's table, plus MOPS and GCS from later kernels); every other EC prints
#: "UNRECOGNIZED EC". Read by ``a64fault log`` to compare a printed class with the EC.
KERNEL_EC_NAMES = {
    0x00: "Unknown/Uncategorized", 0x01: "WFI/WFE", 0x03: "CP15 MCR/MRC",
    0x04: "CP15 MCRR/MRRC", 0x05: "CP14 MCR/MRC", 0x06: "CP14 LDC/STC", 0x07: "ASIMD",
    0x08: "CP10 MRC/VMRS", 0x09: "PAC", 0x0C: "CP14 MCRR/MRRC", 0x0D: "BTI",
    0x0E: "PSTATE.IL", 0x11: "SVC (AArch32)", 0x12: "HVC (AArch32)", 0x13: "SMC (AArch32)",
    0x15: "SVC (AArch64)", 0x16: "HVC (AArch64)", 0x17: "SMC (AArch64)",
    0x18: "MSR/MRS (AArch64)", 0x19: "SVE", 0x1A: "ERET/ERETAA/ERETAB", 0x1C: "FPAC",
    0x1D: "SME", 0x1F: "EL3 IMP DEF", 0x20: "IABT (lower EL)", 0x21: "IABT (current EL)",
    0x22: "PC Alignment", 0x24: "DABT (lower EL)", 0x25: "DABT (current EL)",
    0x26: "SP Alignment", 0x27: "MOPS", 0x28: "FP (AArch32)", 0x2C: "FP (AArch64)",
    0x2D: "Guarded Control Stack", 0x2F: "SError", 0x30: "Breakpoint (lower EL)",
    0x31: "Breakpoint (current EL)", 0x32: "Software Step (lower EL)",
    0x33: "Software Step (current EL)", 0x34: "Watchpoint (lower EL)",
    0x35: "Watchpoint (current EL)", 0x38: "BKPT (AArch32)", 0x3A: "Vector catch (AArch32)",
    0x3C: "BRK (AArch64)",
}
KERNEL_EC_UNKNOWN = "UNRECOGNIZED EC"


def _kernel_fault_names() -> dict[int, str]:
    """fault_info[].name of arch/arm64/mm/fault.c (3.x to 7.x): what Linux prints for a DFSC."""
    names = {code: f"unknown {code}" for code in range(64)}
    for level in range(4):
        names[0b000000 + level] = f"level {level} address size fault"
        names[0b000100 + level] = f"level {level} translation fault"
        names[0b001000 + level] = f"level {level} access flag fault"
        names[0b001100 + level] = f"level {level} permission fault"
        names[0b010100 + level] = f"level {level} (translation table walk)"
        names[0b011100 + level] = \
            f"level {level} synchronous parity error (translation table walk)"
    names.update({
        0b000000: "ttbr address size fault", 0b001000: "unknown 8", 0b001100: "unknown 12",
        0b010000: "synchronous external abort", 0b010001: "synchronous tag check fault",
        0b011000: "synchronous parity or ECC error", 0b100001: "alignment fault",
        0b110000: "TLB conflict abort", 0b110001: "Unsupported atomic hardware update fault",
        0b110100: "implementation fault (lockdown abort)",
        0b110101: "implementation fault (unsupported exclusive)",
        0b111101: "section domain fault", 0b111110: "page domain fault",
    })
    return names


#: DFSC -> the fault name Linux prints ("level 3 translation fault", "unknown 18").
#: 4.x kernels before the MTE table entry print "unknown 17" for 0x11.
KERNEL_FAULT_NAMES = _kernel_fault_names()

def _fault_status_codes() -> dict[int, tuple[str, str]]:
    """DFSC/IFSC code -> (name, fault type), per the Arm ARM (D24.2, ESR_EL1 DFSC)."""
    codes: dict[int, tuple[str, str]] = {}
    # (base code of level 0, name, type, code of level -1 or None)
    leveled = [
        (0b000000, "address size fault", "address-size", 0b101001),
        (0b000100, "translation fault", "translation", 0b101011),
        (0b001000, "access flag fault", "access-flag", None),
        (0b001100, "permission fault", "permission", None),
        (0b010100, "synchronous external abort on translation table walk", "external", 0b010011),
        (0b011100, "synchronous parity or ECC error on translation table walk", "parity",
         0b011011),
        (0b100100, "granule protection fault on translation table walk", "granule-protection",
         0b100011),
    ]
    for base, name, kind, minus_one in leveled:
        for level in range(4):
            codes[base + level] = (f"{name}, level {level}", kind)
        if minus_one is not None:
            codes[minus_one] = (f"{name}, level -1", kind)
    codes.update({
        0b010000: ("synchronous external abort, not on translation table walk", "external"),
        0b010001: ("synchronous tag check fault", "tag-check"),
        0b011000: ("synchronous parity or ECC error, not on translation table walk", "parity"),
        0b100001: ("alignment fault", "alignment"),
        0b101000: ("granule protection fault, not on translation table walk",
                   "granule-protection"),
        0b110000: ("TLB conflict abort", "tlb-conflict"),
        0b110001: ("unsupported atomic hardware update fault", "unsupported-atomic-update"),
        0b110100: ("IMPLEMENTATION DEFINED fault (lockdown)", "implementation-defined"),
        0b110101: ("IMPLEMENTATION DEFINED fault (unsupported exclusive or atomic access)",
                   "implementation-defined"),
    })
    return codes


FAULT_STATUS_CODES = _fault_status_codes()


def bits(value: int, hi: int, lo: int) -> int:
    """The field value[hi:lo] (inclusive)."""
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def place(field: int, hi: int, lo: int) -> int:
    """field shifted into bits [hi:lo]; the inverse of bits() for a field that fits."""
    if not 0 <= field < 1 << (hi - lo + 1):
        raise ValueError(f"{field:#x} does not fit in bits [{hi}:{lo}]")
    return field << lo


@dataclass(frozen=True)
class Syndrome:
    """The named fields of one ESR_ELx value.

    The abort fields are None unless the EC is an instruction or data abort;
    of those, the data-abort-only ones (isv, sas, sse, srt, sf, ar, vncr,
    cm, wnr) are None for instruction aborts.
    """

    value: int
    ec: int
    ec_name: str
    il: int
    iss: int
    iss2: int
    res0: int
    isv: int | None = None
    sas: int | None = None
    sse: int | None = None
    srt: int | None = None
    sf: int | None = None
    ar: int | None = None
    vncr: int | None = None
    set: int | None = None
    fnv: int | None = None
    ea: int | None = None
    cm: int | None = None
    s1ptw: int | None = None
    wnr: int | None = None
    dfsc: int | None = None
    dfsc_name: str | None = None
    fault_type: str | None = None
    xs: int | None = None
    dirtybit: int | None = None
    overlay: int | None = None
    assuredonly: int | None = None
    gcs: int | None = None
    tagaccess: int | None = None
    tnd: int | None = None

    @property
    def is_data_abort(self) -> bool:
        return self.ec in (EC_DATA_ABORT_LOWER, EC_DATA_ABORT_SAME)

    @property
    def is_instruction_abort(self) -> bool:
        return self.ec in (EC_INSTRUCTION_ABORT_LOWER, EC_INSTRUCTION_ABORT_SAME)

    @property
    def is_abort(self) -> bool:
        return self.is_data_abort or self.is_instruction_abort

    @property
    def from_lower_el(self) -> bool | None:
        """True for the 'from a lower Exception level' abort ECs; None for other ECs."""
        if self.ec in (EC_DATA_ABORT_LOWER, EC_INSTRUCTION_ABORT_LOWER):
            return True
        if self.ec in (EC_DATA_ABORT_SAME, EC_INSTRUCTION_ABORT_SAME):
            return False
        return None

    @property
    def is_write_abort(self) -> bool:
        """WnR && !CM for a data abort (Linux's is_write_abort); False otherwise.

        Cache maintenance sets WnR but is a read for the mm.
        """
        return self.is_data_abort and bool(self.wnr) and not self.cm

    @property
    def access_size(self) -> int | None:
        """Bytes accessed, from SAS, when ISV says the syndrome is valid."""
        return 1 << self.sas if self.isv and self.sas is not None else None

    def to_dict(self) -> dict[str, object]:
        """Every field plus the derived properties, for JSON."""
        out: dict[str, object] = {"hex": f"{self.value:#018x}"}
        out.update(asdict(self))
        out.update(
            is_data_abort=self.is_data_abort,
            is_instruction_abort=self.is_instruction_abort,
            from_lower_el=self.from_lower_el,
            is_write_abort=self.is_write_abort,
            access_size=self.access_size,
        )
        return out

    def __str__(self) -> str:
        return "\n".join(_describe(self))


def decode(esr: int) -> Syndrome:
    """Decode one ESR_ELx value (a 64-bit unsigned int) into a Syndrome.

    Raises InputError for a value that is not an int in [0, 2**64).
    """
    if isinstance(esr, bool) or not isinstance(esr, int):
        raise InputError(f"ESR must be an integer, not {type(esr).__name__}")
    if esr < 0:
        raise InputError(f"ESR {esr} is negative")
    if esr >> ESR_BITS:
        raise InputError(f"ESR {esr:#x} is wider than 64 bits")
    top = {name: bits(esr, hi, lo) for name, (hi, lo) in ESR_LAYOUT.items()}
    ec = top["ec"]
    values: dict[str, Any] = dict(value=esr, ec_name=EC_NAMES.get(ec, f"unallocated EC {ec:#04x}"), **top)
    if ec in (EC_DATA_ABORT_LOWER, EC_DATA_ABORT_SAME, EC_INSTRUCTION_ABORT_LOWER,
              EC_INSTRUCTION_ABORT_SAME):
        wanted = (DATA_ABORT_ISS if ec in (EC_DATA_ABORT_LOWER, EC_DATA_ABORT_SAME)
                  else INSTRUCTION_ABORT_ISS)
        for name in wanted:
            values[name] = bits(top["iss"], *DATA_ABORT_ISS[name])
        for name, (hi, lo) in ABORT_ISS2.items():
            values[name] = bits(top["iss2"], hi, lo)
        code = values["dfsc"]
        values["dfsc_name"], values["fault_type"] = FAULT_STATUS_CODES.get(
            code, (f"reserved fault status code {code:#08b}", "reserved"))
    return Syndrome(**values)


def _span(hi: int, lo: int) -> str:
    return f"[{hi}]" if hi == lo else f"[{hi}:{lo}]"


def _describe(s: Syndrome) -> list[str]:
    """The lines of str(Syndrome): a headline, then one line per field."""
    lines = [f"ESR_ELx {s.value:#018x}: {s.ec_name}"]

    def row(label: str, span: tuple[int, int], value: int | None, meaning: str = "") -> None:
        nbits = span[0] - span[1] + 1
        shown = str(value) if nbits == 1 else f"{value:#0{-(-nbits // 4) + 2}x}"
        text = f"  {label:<12}{_span(*span):<9}{shown:<9}"
        lines.append(f"{text}  {meaning}".rstrip())

    row("EC", ESR_LAYOUT["ec"], s.ec, s.ec_name)
    row("IL", ESR_LAYOUT["il"], s.il, "32-bit instruction" if s.il else "16-bit instruction")
    row("ISS", ESR_LAYOUT["iss"], s.iss)
    row("ISS2", ESR_LAYOUT["iss2"], s.iss2)
    if s.res0:
        row("RES0", ESR_LAYOUT["res0"], s.res0, "should be zero")
    if not s.is_abort:
        return lines
    status = "DFSC" if s.is_data_abort else "IFSC"
    row(status, DATA_ABORT_ISS["dfsc"], s.dfsc, s.dfsc_name or "")
    if s.is_data_abort:
        direction = ("write fault" if s.is_write_abort else
                     "read fault (cache maintenance sets WnR)" if s.wnr else "read fault")
        row("WnR", DATA_ABORT_ISS["wnr"], s.wnr, direction)
        row("CM", DATA_ABORT_ISS["cm"], s.cm,
            "cache maintenance" if s.cm else "not cache maintenance")
        row("ISV", DATA_ABORT_ISS["isv"], s.isv,
            "instruction syndrome valid" if s.isv else "no instruction syndrome")
        if s.isv:
            row("SAS", DATA_ABORT_ISS["sas"], s.sas, f"{s.access_size}-byte access")
            row("SSE", DATA_ABORT_ISS["sse"], s.sse, "sign-extended" if s.sse else "")
            row("SRT", DATA_ABORT_ISS["srt"], s.srt, f"register {s.srt}")
            row("SF", DATA_ABORT_ISS["sf"], s.sf, "64-bit register" if s.sf else "32-bit register")
            row("AR", DATA_ABORT_ISS["ar"], s.ar, "acquire/release" if s.ar else "")
        for name in ("vncr", "set", "fnv", "ea", "s1ptw"):
            row(FIELD_LABELS[name], DATA_ABORT_ISS[name], getattr(s, name),
                "FAR not valid" if name == "fnv" and s.fnv else "")
    else:
        for name in INSTRUCTION_ABORT_ISS[1:]:
            row(FIELD_LABELS[name], DATA_ABORT_ISS[name], getattr(s, name),
                "FAR not valid" if name == "fnv" and s.fnv else "")
    for name, (hi, lo) in ABORT_ISS2.items():
        value = getattr(s, name)
        if value:
            row(FIELD_LABELS[name], (hi + 32, lo + 32), value)
    if s.from_lower_el is not None:
        lines.append(f"  taken from {'a lower' if s.from_lower_el else 'the same'} Exception level")
    return lines


__all__ = [
    "ABORT_ISS2",
    "DATA_ABORT_ISS",
    "EC_NAMES",
    "ESR_LAYOUT",
    "FAULT_STATUS_CODES",
    "KERNEL_EC_NAMES",
    "KERNEL_FAULT_NAMES",
    "Syndrome",
    "bits",
    "decode",
    "place",
]
