"""The ESR_ELx value the architecture reports for a data abort from EL0.

Built from named fields (DESIGN.md section 2), never from a hand-written
constant: EC [31:26], IL [25], CM [8], WnR [6], DFSC [5:0].
"""

from __future__ import annotations

EC_SHIFT = 26
IL_BIT = 25
CM_BIT = 8
WNR_BIT = 6
DFSC_SHIFT = 0

#: Exception class: data abort taken from a lower exception level (EL0 -> EL1).
EC_DATA_ABORT_LOWER_EL = 0b100100
#: DFSC = fault type in bits [5:2], lookup level in bits [1:0].
DFSC_TYPE_SHIFT = 2
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
    return _FAULT_TYPES[fault_type] << DFSC_TYPE_SHIFT | level


def data_abort(*, wnr: bool, fault_type: str, level: int, cm: bool = False) -> int:
    """ESR for a data abort from EL0 (ISV=0, as every abort reported to EL1 for LSE)."""
    return (EC_DATA_ABORT_LOWER_EL << EC_SHIFT
            | 1 << IL_BIT            # 32-bit instruction
            | int(cm) << CM_BIT
            | int(wnr) << WNR_BIT
            | dfsc(fault_type, level) << DFSC_SHIFT)
