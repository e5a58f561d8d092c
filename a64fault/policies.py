"""Fault policies: which instructions turn a read fault into a write fault.

* ``none``: never.
* ``kernel-v5``: Yang Shi's v5 predicate, copied verbatim (false matches
  included); the only hand-written hex masks in the project, because they
  are the thing under audit. It is one predicate object (terms.py): the
  same object answers ``upgrades()`` and gives the audit and scan its words.
* ``atomic`` (default): every ``atomic-rmw`` and ``compare-and-swap`` form.
* ``atomic+exclusive``: also ``load-exclusive``.

``upgrade_index(policy)`` compiles a policy into a per-key byte table over
the pattern table's lookup index, so ``upgrades()`` usually answers from
one list index.
"""

from __future__ import annotations

from functools import cache

from .classify import Classification, classify
from .errors import InputError
from .kinds import Kind
from .patterns import AMBIGUOUS, NO_ROW, default_table
from .patterns.table import key_of
from .terms import AllOf, AnyOf, Test
from .word import check_word

NONE = "none"
KERNEL_V5 = "kernel-v5"
ATOMIC = "atomic"
ATOMIC_EXCLUSIVE = "atomic+exclusive"
POLICIES = (NONE, KERNEL_V5, ATOMIC, ATOMIC_EXCLUSIVE)
DEFAULT_POLICY = ATOMIC

#: The kinds each table-driven policy upgrades.
POLICY_KINDS = {
    NONE: frozenset(),
    ATOMIC: frozenset({Kind.ATOMIC_RMW, Kind.COMPARE_AND_SWAP}),
    ATOMIC_EXCLUSIVE: frozenset({Kind.ATOMIC_RMW, Kind.COMPARE_AND_SWAP, Kind.LOAD_EXCLUSIVE}),
}


# --- Yang Shi, "arm64: mm: force write fault for atomic RMW instructions", v5.
# Copied verbatim from the patch's insn.h additions: these literals are under audit.
kernel_v5_class_atomic = Test(0x3b200c00, 0x38200000)
kernel_v5_has_wr_perm = AnyOf(Test(0x3f207c00, 0x38200000), Test(0x3f208c00, 0x38200000),
                              Test(0x7fe06c00, 0x78202000), Test(0xbf204c00, 0x38200000))
kernel_v5_cas = Test(0x3fa07c00, 0x08a07c00)
kernel_v5_casp = Test(0xbfa07c00, 0x08207c00)
#: The v5 predicate: (class_atomic && has_wr_perm) || cas || casp.
kernel_v5 = AnyOf(AllOf(kernel_v5_class_atomic, kernel_v5_has_wr_perm), kernel_v5_cas, kernel_v5_casp)
# --- end of the verbatim predicate.


def check_policy(policy: str) -> str:
    """Return the policy name, or raise InputError naming the valid ones."""
    if not isinstance(policy, str) or policy not in POLICIES:
        raise InputError(f"unknown policy {str(policy)[:40]!r}: choose one of {', '.join(POLICIES)}")
    return policy


def accepts(policy: str, classification: Classification) -> bool:
    """Whether ``policy`` upgrades a read fault on this instruction (context aside)."""
    check_policy(policy)
    if policy == KERNEL_V5:
        return kernel_v5(classification.word)
    return classification.kind in POLICY_KINDS[policy]


@cache
def upgrade_index(policy: str) -> list[int]:
    """Per lookup key: 1 upgrade, 0 not, -1 decided by the bits outside the key."""
    kinds = POLICY_KINDS[policy]
    table = default_table()
    decided = {code: int(row.kind in kinds) for code, row in enumerate(table.rows)}
    decided[NO_ROW] = 0
    decided[AMBIGUOUS] = -1
    return [decided[code] for code in table.index_list]


_INDEXES: dict[str, list[int]] = {}
_KERNEL_V5_FUNCTION = kernel_v5.function()


def upgrades(word: int, policy: str = DEFAULT_POLICY) -> bool:
    """Whether ``policy`` upgrades a read fault on ``word``: the fault model's hot path.

    Context (EL, AArch32, VMA permissions) is not considered: see decide().
    """
    check_word(word)
    index = _INDEXES.get(policy) if isinstance(policy, str) else None
    if index is None:
        if policy == KERNEL_V5:
            return _KERNEL_V5_FUNCTION(word)
        index = _INDEXES[policy] = upgrade_index(check_policy(policy))
    answer = index[key_of(word)]
    if answer >= 0:
        return bool(answer)
    return classify(word).kind in POLICY_KINDS[policy]
