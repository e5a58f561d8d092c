"""Word predicates built from ``(w & MASK) == VALUE`` tests joined with and/or.

One object answers for a single word (``predicate(word)``) and gives the
exact set of words it accepts (``predicate.cube_set()``, see cubes.py), so a
policy, the audit and the scan all use the very tests the policy runs.
``str(predicate)`` is the audit's predicate syntax (``MASK:VALUE`` terms
joined with ``&`` and ``|``), which ``a64fault audit`` reads back.

Nothing here imports numpy: only ``cube_set()`` does, through cubes.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cubes import CubeSet


class Predicate:
    """A test on one 32-bit instruction word."""

    def __call__(self, word: int) -> bool:
        raise NotImplementedError

    def python(self) -> str:
        """The predicate as a Python expression of ``w``."""
        raise NotImplementedError

    def function(self) -> Callable[[int], bool]:
        """A plain function computing the same answer as calling the object, about
        five times faster (no method call per term): for a fault model's hot path."""
        function: Callable[[int], bool] = eval(f"lambda w: bool({self.python()})", {})
        return function

    def cube_set(self) -> CubeSet:
        """Every word the predicate accepts, as disjoint cubes."""
        raise NotImplementedError


@dataclass(frozen=True)
class Test(Predicate):
    """``(w & mask) == value``."""

    mask: int
    value: int

    def __call__(self, word: int) -> bool:
        return word & self.mask == self.value

    def cube_set(self) -> CubeSet:
        from .cubes import CubeSet

        return CubeSet.term(self.mask, self.value)

    def python(self) -> str:
        return f"(w & {self.mask:#010x}) == {self.value:#010x}"

    def __str__(self) -> str:
        return f"{self.mask:#010x}:{self.value:#010x}"


@dataclass(frozen=True)
class _Parts(Predicate):
    """A predicate over other predicates, given as arguments: ``AllOf(a, b, c)``."""

    parts: tuple[Predicate, ...]

    def __init__(self, *parts: Predicate):
        object.__setattr__(self, "parts", parts)


class AllOf(_Parts):
    """Every part holds."""

    def __call__(self, word: int) -> bool:
        return all(part(word) for part in self.parts)

    def cube_set(self) -> CubeSet:
        result = self.parts[0].cube_set()
        for part in self.parts[1:]:
            result = result & part.cube_set()
        return result

    def python(self) -> str:
        return "(" + " and ".join(p.python() for p in self.parts) + ")"

    def __str__(self) -> str:
        return " & ".join(f"({p})" if isinstance(p, AnyOf) else str(p) for p in self.parts)


class AnyOf(_Parts):
    """At least one part holds."""

    def __call__(self, word: int) -> bool:
        return any(part(word) for part in self.parts)

    def cube_set(self) -> CubeSet:
        from .cubes import CubeSet

        return CubeSet.union(*(part.cube_set() for part in self.parts))

    def python(self) -> str:
        return "(" + " or ".join(p.python() for p in self.parts) + ")"

    def __str__(self) -> str:
        return " | ".join(str(p) for p in self.parts)
