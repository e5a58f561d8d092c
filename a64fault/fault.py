"""The decision for one fault: instruction + ESR + context -> read, write or exec.

docs/design.md, "The decision": an instruction abort is an exec fault, never upgraded;
a data abort with WnR=1 and CM=0 is a write fault; anything else is a read
fault, upgraded to a write fault when the policy accepts the instruction,
the fault came from EL0 in AArch64 state and the VMA is writable (unknown
means assumed writable, and the reason says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .classify import Classification, classify
from .errors import InputError
from .policies import DEFAULT_POLICY, accepts, check_policy

if TYPE_CHECKING:
    from .esr import Syndrome

READ, WRITE, EXEC = "read", "write", "exec"


@dataclass(frozen=True)
class Decision:
    """How the fault handler should treat one fault, and why (``reason``, a sentence)."""

    reported: str
    effective: str
    upgraded: bool
    policy: str
    reason: str
    classification: Classification
    syndrome: Syndrome | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "reported": self.reported,
            "effective": self.effective,
            "upgraded": self.upgraded,
            "policy": self.policy,
            "reason": self.reason,
        }


def _reported_access(syndrome: Syndrome | None) -> tuple[str, str, bool]:
    """(access, why, from_el0_possible) as the ESR reports it."""
    if syndrome is None:
        return READ, "no ESR given, so the fault is taken as a data abort reported as a read", True
    if syndrome.is_instruction_abort:
        return EXEC, "an instruction abort is an execute fault", True
    if not syndrome.is_data_abort:
        raise InputError(
            f"ESR {syndrome.value:#x} is not an abort: EC {syndrome.ec:#04x} ({syndrome.ec_name})"
        )
    same_el = not syndrome.from_lower_el
    if syndrome.wnr and not syndrome.cm:
        return WRITE, f"a data abort with WnR=1, CM=0 ({syndrome.dfsc_name}) is a write fault", not same_el
    if syndrome.cm:
        why = f"a cache-maintenance data abort (CM=1, {syndrome.dfsc_name}) is a read for the mm"
    else:
        why = f"a data abort with WnR=0 ({syndrome.dfsc_name}) is a read fault"
    return READ, why, not same_el


def decide(
    word: int,
    esr: int | None = None,
    *,
    el: int = 0,
    aarch32: bool = False,
    vma_writable: bool | None = None,
    policy: str = DEFAULT_POLICY,
) -> Decision:
    """Decide how a fault at the instruction ``word`` should be handled.

    ``esr`` is the ESR_ELx value (None: assume a data abort reported as a
    read); ``el`` the exception level the fault came from; ``aarch32`` True
    when the faulting code ran in AArch32 state (then ``word`` is not an A64
    instruction and nothing is upgraded); ``vma_writable`` the VMA's write
    permission (None: unknown, assumed writable).
    """
    check_policy(policy)
    if el not in (0, 1, 2, 3):
        raise InputError(f"exception level must be 0-3, not {el!r}")
    classification = classify(word)
    syndrome = None
    if esr is not None:
        from .esr import decode as decode_esr

        syndrome = decode_esr(esr)
    reported, why, el0_possible = _reported_access(syndrome)

    def result(effective: str, upgraded: bool, reason: str) -> Decision:
        sentence = reason[0].upper() + reason[1:]
        return Decision(reported, effective, upgraded, policy, sentence, classification, syndrome)

    if reported != READ:
        return result(reported, False, f"{why}; never upgraded." if reported == EXEC else f"{why}.")

    what = classification.form or "this instruction"
    if not accepts(policy, classification):
        return result(READ, False, f"{why}; policy {policy} does not upgrade {what} "
                                   f"({classification.kind.value}).")
    if syndrome is not None and not el0_possible:
        return result(READ, False, f"{why}; the ESR says it came from the same EL, not EL0, "
                                   "so it is not upgraded.")
    if el != 0:
        return result(READ, False, f"{why}; it came from EL{el}, not EL0, so it is not upgraded.")
    if aarch32:
        return result(READ, False, f"{why}; the task ran in AArch32 state, so the word is not "
                                   "an A64 instruction and it is not upgraded.")
    if vma_writable is False:
        return result(READ, False, f"{why}; the VMA is not writable, so it is not upgraded.")
    vma = "the VMA is writable" if vma_writable else "VMA writability unknown, assumed writable"
    return result(WRITE, True, f"{why}; policy {policy} accepts {what} "
                               f"({classification.kind.value}) from EL0 AArch64 and {vma}, "
                               "so it is handled as a write fault.")
