"""Named predicates the audit can count without typing them: the kernel's v5
predicate and its parts, the very objects ``upgrades(word, "kernel-v5")`` runs."""

from __future__ import annotations

from .. import policies
from ..cubes import CubeSet
from ..errors import InputError
from ..terms import Predicate

#: preset name -> predicate object in a64fault.policies.
PRESETS: dict[str, Predicate] = {
    "kernel-v5": policies.kernel_v5,
    "class_atomic": policies.kernel_v5_class_atomic,
    "has_wr_perm": policies.kernel_v5_has_wr_perm,
    "cas": policies.kernel_v5_cas,
    "casp": policies.kernel_v5_casp,
}


def preset(name: str) -> CubeSet:
    """The CubeSet of a preset predicate (see PRESETS)."""
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return PRESETS[name].cube_set()
