"""The CPU side of a fault: what an instruction needs, the ESR it reports, the restarts.

For each access the model asks the MMU (the region's state) whether the
instruction can complete; if not it builds the ESR the architecture would
report, asks ``a64fault.decide()`` how the kernel handles it, lets the kernel
handle it, and restarts the instruction, until it completes.

ESR per kind (Arm ARM, ESR_ELx.WnR and CM):
* load, load-exclusive: WnR=0;
* store, store-exclusive, load-store (MOPS, modelled at its write address): WnR=1;
* atomic-rmw, compare-and-swap: WnR=0 when the read would fault (no
  translation), WnR=1 when only the write would (a read-only zero page);
* cache-maintenance: needs read permission; reports WnR=1 and CM=1;
* prefetch and other: never fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from ..classify import classify
from ..fault import WRITE, decide
from ..kinds import Kind
from ..policies import NONE
from . import syndrome
from .kernel import FaultContext, handle_fault
from .state import READ_ONLY, READ_WRITE, UNMAPPED, Pmd, Region

#: A restart limit that only a model bug can reach.
MAX_RESTARTS = 8

NEEDS_NOTHING, NEEDS_READ, NEEDS_WRITE = 0, 1, 2

_NEEDS = {
    Kind.LOAD: NEEDS_READ,
    Kind.LOAD_EXCLUSIVE: NEEDS_READ,
    Kind.CACHE_MAINTENANCE: NEEDS_READ,
    Kind.STORE: NEEDS_WRITE,
    Kind.STORE_EXCLUSIVE: NEEDS_WRITE,
    Kind.LOAD_STORE: NEEDS_WRITE,
    Kind.ATOMIC_RMW: NEEDS_WRITE,
    Kind.COMPARE_AND_SWAP: NEEDS_WRITE,
    Kind.PREFETCH: NEEDS_NOTHING,
    Kind.OTHER: NEEDS_NOTHING,
}
_READ_AND_WRITE = frozenset({Kind.ATOMIC_RMW, Kind.COMPARE_AND_SWAP})


@dataclass(frozen=True)
class Op:
    """One instruction of a workload: its word and what it does to memory."""

    word: int
    kind: Kind
    asm: str | None = None

    @classmethod
    def of(cls, word: int, asm: str | None = None) -> Op:
        return cls(word, classify(word).kind, asm)

    @property
    def needs(self) -> int:
        return _NEEDS[self.kind]


#: A pseudo-op: MADV_POPULATE_WRITE's kernel-side write fault on one page.
#: A workload's instructions, run in order on each page.
Program: TypeAlias = tuple[Op, ...]

POPULATE_WRITE = Op(0, Kind.OTHER, "MADV_POPULATE_WRITE")


def fault_syndrome(kind: Kind, have: int, region_pmd: Pmd) -> int:
    """The ESR for an instruction of ``kind`` that cannot complete on a mapping ``have``."""
    level = syndrome.PMD_LEVEL if region_pmd is not Pmd.TABLE else syndrome.PTE_LEVEL
    fault_type = syndrome.TRANSLATION if have == UNMAPPED else syndrome.PERMISSION
    if kind is Kind.CACHE_MAINTENANCE:
        return syndrome.data_abort(wnr=True, cm=True, fault_type=fault_type, level=level)
    if kind in _READ_AND_WRITE:
        wnr = have != UNMAPPED  # only the write half faults on a read-only mapping
    else:
        wnr = _NEEDS[kind] == NEEDS_WRITE
    return syndrome.data_abort(wnr=wnr, fault_type=fault_type, level=level)


@lru_cache(maxsize=4096)
def _decision(word: int, esr: int, writable: bool, policy: str) -> tuple[str, str, bool]:
    decision = decide(word, esr, el=0, aarch32=False, vma_writable=writable, policy=policy)
    return decision.reported, decision.effective, decision.upgraded


def execute(op: Op, region: Region, page: int, ctx: FaultContext, policy: str) -> int:
    """Run one instruction on page ``page`` until it completes; return faults taken.

    Returns -1 when the kernel refuses a fault (SIGSEGV; counted, the
    instruction is abandoned).
    """
    if op is POPULATE_WRITE:
        return _populate(region, page, ctx)
    needs = _NEEDS[op.kind]
    if needs == NEEDS_NOTHING:
        return 0
    counters = ctx.counters
    for taken in range(MAX_RESTARTS):
        have = region.access(page)
        if have == READ_WRITE or (have == READ_ONLY and needs == NEEDS_READ):
            return taken
        esr = fault_syndrome(op.kind, have, region.pmd)
        reported, effective, upgraded = _decision(op.word, esr, ctx.writable, policy)
        fault_type = syndrome.TRANSLATION if have == UNMAPPED else syndrome.PERMISSION
        counters.faults += 1
        if effective == WRITE:
            counters.write_faults += 1
        else:
            counters.read_faults += 1
        if reported == WRITE:
            counters.reported_write += 1
        else:
            counters.reported_read += 1
            # An upgrading policy reads the instruction at ELR and runs its
            # predicate on every read fault of a writable VMA, upgraded or not.
            if policy != NONE and ctx.writable:
                counters.decisions += 1
        if fault_type == syndrome.TRANSLATION:
            counters.translation_faults += 1
        else:
            counters.permission_faults += 1
        counters.upgraded += upgraded
        counters.fault_classes[reported, effective, fault_type] += 1
        if not handle_fault(region, page, effective == WRITE, ctx):
            counters.segv += 1
            return -1
    raise AssertionError(f"{op.asm or hex(op.word)} made no progress after {MAX_RESTARTS} faults")


def _populate(region: Region, page: int, ctx: FaultContext) -> int:
    if region.access(page) == READ_WRITE:
        return 0
    ctx.counters.populate_faults += 1
    if not handle_fault(region, page, True, ctx):
        ctx.counters.segv += 1
        return -1
    return 0


def run_program(ops: Program, region: Region, page: int, ctx: FaultContext, policy: str) -> None:
    """Run a workload's instructions on one page, rerunning an LL/SC loop when needed.

    A fault on a store-exclusive returns through ERET, which clears the
    exclusive monitor: the restarted store-exclusive fails and the loop
    branches back to its load-exclusive (counted in ``llsc_retries``).
    """
    i, loop_start = 0, None
    while i < len(ops):
        op = ops[i]
        if op.kind is Kind.LOAD_EXCLUSIVE:
            loop_start = i
        taken = execute(op, region, page, ctx, policy)
        if taken < 0:
            return
        if taken and op.kind is Kind.STORE_EXCLUSIVE and loop_start is not None:
            ctx.counters.llsc_retries += 1
            i, loop_start = loop_start, None
            continue
        i += 1
