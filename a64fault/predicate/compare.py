"""A predicate against the kernel's v5 masks: the memory forms it gains and loses, exactly."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .. import policies
from ..audit import audit
from ..cubes import CubeSet
from ..kinds import Kind
from ..terms import AllOf, AnyOf, Test
from ..terms import Predicate as Expression

#: Predicates a generated one can be compared with (name -> predicate object).
AGAINST = {policies.KERNEL_V5: policies.kernel_v5}


def count_tests(expression: Expression) -> int:
    """How many ``(w & MASK) == VALUE`` tests a predicate object is written with."""
    if isinstance(expression, Test):
        return 1
    if isinstance(expression, AllOf | AnyOf):
        return sum(count_tests(part) for part in expression.parts)
    raise TypeError(f"not a mask/value predicate: {expression!r}")


@dataclass(frozen=True)
class FormChange:
    """Words of one memory form matched by only one of the two predicates."""

    form: str
    kind: str
    feature: str
    words: int
    #: Whether the policy upgrades this form's kind (a gain of it is a fix).
    upgraded: bool

    def as_json(self) -> dict[str, object]:
        return {"form": self.form, "kind": self.kind, "feature": self.feature,
                "words": self.words, "upgraded": self.upgraded}


@dataclass(frozen=True)
class Comparison:
    against: str
    tests: int
    against_tests: int
    #: Forms with words this predicate matches and the other does not.
    gained: tuple[FormChange, ...]
    #: Forms with words the other matches and this one does not.
    lost: tuple[FormChange, ...]
    #: Words of no memory form matched by this predicate only / by the other only.
    gained_non_memory: int
    lost_non_memory: int

    def lines(self) -> list[str]:
        out = [f"against {self.against}: {self.tests} mask/value tests here, "
               f"{self.against_tests} in {self.against}",
               f"forms gained ({len(self.gained)}): words matched here, not by {self.against}"]
        out += [_change_line(c) for c in self.gained]
        out += [f"forms lost ({len(self.lost)}): words matched by {self.against}, not here"]
        out += [_change_line(c) for c in self.lost]
        out += [f"non-memory words gained: {self.gained_non_memory}, lost: {self.lost_non_memory}"]
        return out

    def as_json(self) -> dict[str, object]:
        return {"against": self.against, "tests": self.tests, "against_tests": self.against_tests,
                "gained": [c.as_json() for c in self.gained],
                "lost": [c.as_json() for c in self.lost],
                "gained_non_memory": self.gained_non_memory,
                "lost_non_memory": self.lost_non_memory}


def _change_line(change: FormChange) -> str:
    role = "upgraded" if change.upgraded else "not upgraded"
    return (f"  {change.form:<12} {change.kind:<17} {change.feature:<8} {change.words:>10} words"
            f"  ({role} by the policy)")


def _changes(cubes: CubeSet, kinds: Collection[Kind]) -> tuple[tuple[FormChange, ...], int]:
    result = audit(cubes)
    changes = tuple(FormChange(f.form, f.kind.value, f.feature or "base", f.matched,
                               f.kind in kinds)
                    for f in result.forms if f.matched)
    return changes, result.unallocated_matched


def compare(expression: Expression, kinds: Collection[Kind], against: str = policies.KERNEL_V5) -> Comparison:
    """Per memory form, the words ``expression`` and ``against`` disagree on (exact)."""
    other = AGAINST[against]
    ours, theirs = expression.cube_set(), other.cube_set()
    gained, gained_other = _changes(ours - theirs, kinds)
    lost, lost_other = _changes(theirs - ours, kinds)
    return Comparison(against, count_tests(expression), count_tests(other), gained, lost,
                      gained_other, lost_other)
