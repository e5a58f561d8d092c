"""The vocabulary of memory kinds (docs/design.md, "Kinds")."""

from enum import Enum
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


class Kind(str, Enum):
    """What an instruction does to data memory; the value is the exact string."""

    ATOMIC_RMW = "atomic-rmw"
    COMPARE_AND_SWAP = "compare-and-swap"
    LOAD_EXCLUSIVE = "load-exclusive"
    STORE_EXCLUSIVE = "store-exclusive"
    LOAD = "load"
    STORE = "store"
    LOAD_STORE = "load-store"
    PREFETCH = "prefetch"
    CACHE_MAINTENANCE = "cache-maintenance"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value

    @property
    def writes(self) -> bool:
        """Whether executing an instruction of this kind writes data memory."""
        return self in WRITING_KINDS

    @property
    def accesses_memory(self) -> bool:
        """Whether an instruction of this kind touches data memory at all."""
        return self is not Kind.OTHER


WRITING_KINDS = frozenset(
    {Kind.ATOMIC_RMW, Kind.COMPARE_AND_SWAP, Kind.STORE_EXCLUSIVE, Kind.STORE, Kind.LOAD_STORE}
)

#: Stable small integer codes for the vector classifier, in declaration order.
KIND_CODES = {kind: code for code, kind in enumerate(Kind)}
KINDS_BY_CODE = tuple(Kind)
#: Kind codes of many words at once (the vector classifier's output).
KindCodes: TypeAlias = "npt.NDArray[np.int8]"
