"""The fault model: arm64 anonymous-memory faults under each fault policy.

``simulate(Setup(workload=..., size=..., thp=...), kernels, policies)`` runs a
workload (built in, or a trace) under each kernel x policy and returns one
row (dict) per pair: fault counts, copies on write, TLB invalidations, THPs
and mTHP folios, PMD splits, pages, the final mapping, resident bytes, the
time spent deciding and an estimated time (costs.py).

Modules, one job each (docs/design.md, section 8): geometry (page sizes),
tunables (THP sysfs settings), state (region states, rotations, the run
map), kernel (the fault handler; releases -> behaviours), cpu (ESR,
decide(), restart loop), syndrome (ESR fields), workloads and trace (the
accesses), encodings (LLVM-assembled words), bulk (one region's share of a
sweep), engine (sweeps, traced accesses, khugepaged), costs, runner (the rows).
"""

from .costs import DEFAULT_COSTS, Costs
from .engine import Simulation, Vma
from .geometry import GEOMETRIES, Geometry
from .kernel import KERNELS, Kernel
from .runner import ROW_KEYS, Setup, parse_list, simulate
from .tunables import Tunables
from .workloads import BUILTIN, WORKLOADS, parse_size

__all__ = ["BUILTIN", "Costs", "DEFAULT_COSTS", "GEOMETRIES", "Geometry", "KERNELS", "Kernel",
           "ROW_KEYS", "Setup", "Simulation", "Tunables", "Vma", "WORKLOADS", "parse_list",
           "parse_size", "simulate"]
