"""The ESR_ELx value the architecture reports for a data abort from EL0.

Built with a64fault.esr's named bit ranges (ESR_LAYOUT for EC, IL and ISS;
DATA_ABORT_ISS for CM, WnR and DFSC) and esr.place(), so the model and the
ESR decoder share one layout and no constant is written by hand.
"""

from __future__ import annotations

from functools import cache

from ..esr import DATA_ABORT_ISS, EC_DATA_ABORT_LOWER, ESR_LAYOUT, place

#: DFSC = fault type in its bits [5:2], lookup level in its bits [1:0].
DFSC_WIDTH = DATA_ABORT_ISS["dfsc"][0] - DATA_ABORT_ISS["dfsc"][1] + 1
DFSC_LEVEL_BITS = 2
DFSC_TRANSLATION = 0b0001  # 0b0001LL: translation fault, level LL
DFSC_PERMISSION = 0b0011   # 0b0011LL: permission fault, level LL

TRANSLATION, PERMISSION = "translation", "permission"
_FAULT_TYPES = {TRANSLATION: DFSC_TRANSLATION, PERMISSION: DFSC_PERMISSION}

#: Lookup levels with a 4 KiB granule: level 2 holds PMDs (2 MiB blocks), level 3 PTEs.
PMD_LEVEL, PTE_LEVEL = 2, 3


def dfsc(fault_type: str, level: int) -> int:
    """The 6-bit DFSC for a translation or permission fault at ``level`` (0-3)."""
    if not 0 <= level <= 3:
        raise ValueError(f"lookup level {level} is not 0-3")
    return (place(_FAULT_TYPES[fault_type], DFSC_WIDTH - 1, DFSC_LEVEL_BITS)
            | place(level, DFSC_LEVEL_BITS - 1, 0))


@cache
def data_abort(*, wnr: bool, fault_type: str, level: int, cm: bool = False) -> int:
    """ESR for a data abort from EL0 (ISV=0, as every abort reported to EL1 for LSE)."""
    iss = (place(int(cm), *DATA_ABORT_ISS["cm"])
           | place(int(wnr), *DATA_ABORT_ISS["wnr"])
           | place(dfsc(fault_type, level), *DATA_ABORT_ISS["dfsc"]))
    return (place(EC_DATA_ABORT_LOWER, *ESR_LAYOUT["ec"])
            | place(1, *ESR_LAYOUT["il"])  # IL=1: a 32-bit instruction
            | place(iss, *ESR_LAYOUT["iss"]))
