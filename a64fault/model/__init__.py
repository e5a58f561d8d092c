"""The fault model: arm64 anonymous-memory faults under each fault policy.

``simulate(Setup(workload=..., size=..., thp=...), kernels, policies)`` runs a
workload (built in, or a trace) under each kernel x policy and returns one
row (dict) per pair: fault counts, copies on write, TLB invalidations, THPs,
PMD splits, base pages, resident bytes and an estimated time (costs.py).

Modules, one job each: state (PMD/PTE state as runs), kernel (the fault
handler of 6.10 and 6.13), cpu (ESR, decide(), restart loop), syndrome (ESR
fields), workloads and trace (the accesses), encodings (LLVM-assembled
words), engine (bulk simulation over runs), costs, runner (the rows).
"""

from .costs import DEFAULT_COSTS, Costs
from .engine import Simulation, Vma
from .kernel import KERNELS
from .runner import ROW_KEYS, Setup, parse_list, simulate
from .workloads import BUILTIN, WORKLOADS, parse_size

__all__ = ["BUILTIN", "Costs", "DEFAULT_COSTS", "KERNELS", "ROW_KEYS", "Setup", "Simulation",
           "Vma", "WORKLOADS", "parse_list", "parse_size", "simulate"]
