"""Test vectors for a generated predicate: assembler-built words from the encoding corpus."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..corpus import load
from ..cubes import CubeSet
from ..kinds import Kind


@dataclass(frozen=True)
class Vector:
    word: int
    expected: bool
    asm: str


def _holds(cubes: CubeSet, word: int) -> bool:
    return any(word & m == v for m, v in cubes.cubes)


def test_vectors(kinds: Iterable[Kind | str], on: CubeSet, off: CubeSet,
                 path: Path | None = None) -> tuple[Vector, ...]:
    """ON and OFF words of the corpus with their assembly text, corpus order.

    Per form, the first fixture; of the words of no form (kind ``other``),
    each one. ``expected`` is whether the corpus (the Arm ARM's kind, not the
    table) puts the word in one of ``kinds``; don't-care words are left out.
    """
    kind_values = {Kind(k).value for k in kinds}
    seen: set[str] = set()
    out = []
    for fixture in load(path):
        if fixture.form is not None:
            if fixture.form in seen:
                continue
            seen.add(fixture.form)
        if not fixture.asm.isascii() or not (_holds(on, fixture.word) or _holds(off, fixture.word)):
            continue
        out.append(Vector(fixture.word, fixture.kind in kind_values, fixture.asm))
    return tuple(out)
