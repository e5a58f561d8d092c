"""Fields the kernel prints about an ESR, and what a64fault.esr decodes for each.

The kernel computes each printed field from the ESR with its own masks
(mem_abort_decode() and data_abort_decode() in arch/arm64/mm/fault.c; the
class and fault names from esr_class_str[] in traps.c and fault_info[] in
fault.c). ``expected(key, esr)`` gives the value a64fault's decoder reads
for the same field, through esr's named bit ranges, so that ``compare()``
can set every printed field against the decode and name each difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from .. import esr as esr_module
from ..esr import ABORT_ISS2, DATA_ABORT_ISS, KERNEL_EC_NAMES, KERNEL_FAULT_NAMES, bits


def _iss_field(name: str) -> Callable[[esr_module.Syndrome], int]:
    hi, lo = DATA_ABORT_ISS[name]
    return lambda s: bits(s.iss, hi, lo)


def _iss2_field(name: str) -> Callable[[esr_module.Syndrome], int]:
    hi, lo = ABORT_ISS2[name]
    return lambda s: bits(s.iss2, hi, lo)


def _ec_names(s: esr_module.Syndrome) -> tuple[str, ...]:
    known = KERNEL_EC_NAMES.get(s.ec, esr_module.KERNEL_EC_UNKNOWN)
    # A kernel older than the EC prints "UNRECOGNIZED EC": not a disagreement.
    return (known, esr_module.KERNEL_EC_UNKNOWN)


def _fault_names(s: esr_module.Syndrome) -> tuple[str, ...]:
    code = bits(s.iss, *DATA_ABORT_ISS["dfsc"])
    # Kernels before a table entry was filled in print "unknown <code>".
    return (KERNEL_FAULT_NAMES[code], f"unknown {code}")


#: What the decode gives for a printed field: a number, or the names a kernel may print.
Decoded: TypeAlias = "int | tuple[str, ...]"

#: printed key -> (the label the kernel prints, value decoded from the ESR).
#: A name's value is a tuple: the name 6.x prints first, then the other names
#: some kernel version prints for the same value.
PRINTED: dict[str, tuple[str, Callable[[esr_module.Syndrome], Decoded]]] = {
    "ESR": ("ESR", lambda s: s.value),
    "esr": ("esr", lambda s: s.value),
    "oops_code": ("Internal error code", lambda s: s.value),
    "EC": ("EC", lambda s: s.ec),
    "EC_name": ("exception class", _ec_names),
    "IL": ("IL (bits)", lambda s: 32 if s.il else 16),
    "ISS": ("ISS", lambda s: s.iss),
    "ISS2": ("ISS2", lambda s: s.iss2),
    "SET": ("SET", _iss_field("set")),
    "FnV": ("FnV", _iss_field("fnv")),
    "EA": ("EA", _iss_field("ea")),
    "S1PTW": ("S1PTW", _iss_field("s1ptw")),
    "FSC": ("FSC", _iss_field("dfsc")),
    "FSC_name": ("fault name", _fault_names),
    "ISV": ("ISV", _iss_field("isv")),
    "Access size": ("Access size (bytes)", lambda s: 1 << bits(s.iss, *DATA_ABORT_ISS["sas"])),
    "SSE": ("SSE", _iss_field("sse")),
    "SRT": ("SRT", _iss_field("srt")),
    "SF": ("SF", _iss_field("sf")),
    "AR": ("AR", _iss_field("ar")),
    "CM": ("CM", _iss_field("cm")),
    "WnR": ("WnR", _iss_field("wnr")),
    "TnD": ("TnD", _iss2_field("tnd")),
    "TagAccess": ("TagAccess", _iss2_field("tagaccess")),
    "GCS": ("GCS", _iss2_field("gcs")),
    "Overlay": ("Overlay", _iss2_field("overlay")),
    "DirtyBit": ("DirtyBit", _iss2_field("dirtybit")),
    "Xs": ("Xs", _iss2_field("xs")),
}


@dataclass(frozen=True)
class Mismatch:
    """A field where what the kernel printed differs from a64fault's decode of the ESR."""

    field: str
    printed: int | str
    decoded: int | str

    def to_dict(self) -> dict[str, object]:
        return {"field": self.field, "printed": self.printed, "decoded": self.decoded}

    def __str__(self) -> str:
        label = PRINTED[self.field][0]
        return f"kernel printed {label} = {_show(self.printed)}, the ESR decodes to {_show(self.decoded)}"


def _show(value: int | str) -> str:
    if isinstance(value, int) and value > 9:
        return f"{value:#x}"
    return str(value)


def expected(key: str, syndrome: esr_module.Syndrome) -> Decoded:
    """What the decode says for printed field ``key`` (an int, or a tuple of names)."""
    return PRINTED[key][1](syndrome)


def compare(printed: dict[str, int | str], syndrome: esr_module.Syndrome) -> list[Mismatch]:
    """Each printed field that disagrees with the decode of ``syndrome``, in printing order."""
    out: list[Mismatch] = []
    for key, value in printed.items():
        if key not in PRINTED:
            continue
        want = expected(key, syndrome)
        if isinstance(want, tuple):
            if value not in want:
                out.append(Mismatch(key, value, want[0]))
        elif value != want:
            out.append(Mismatch(key, value, want))
    return out
