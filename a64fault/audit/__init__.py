"""Exact audit of a decode predicate (``(w & MASK) == VALUE`` terms) against the table.

Everything is set arithmetic on cubes (a64fault/cubes.py), so counts are
exact, never sampled. The package: ``syntax`` reads a predicate text,
``presets`` names the kernel's predicates (the objects in policies.py),
``regions`` turns the table's rows into disjoint regions, ``report`` counts
per form and compares with a policy.
"""

from ..cubes import MAX_CUBES, CubeSet, count_in
from .presets import PRESETS, preset
from .regions import Regions, region_counts, table_regions
from .report import AuditResult, FormResult, audit
from .syntax import MAX_DEPTH, parse_predicate

__all__ = [
    "MAX_CUBES", "MAX_DEPTH", "PRESETS", "AuditResult", "CubeSet", "FormResult", "Regions",
    "audit", "count_in", "parse_predicate", "preset", "region_counts", "table_regions",
]
