"""Assemble A64 lines for tests with LLVM (a64fault.assembler), one run per batch, cached.

Tests state their instructions as assembly text; the words come from this
real assembler, never from a64fault's own encoder (it has none).
"""

from __future__ import annotations

from functools import cache

import pytest

from a64fault import assembler


@cache
def _assemble(lines: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(assembler.assemble(list(lines)))


def assemble(*lines: str) -> list[int]:
    """The little-endian instruction words LLVM produces for ``lines``."""
    if not assembler.available():
        pytest.skip("ziglang (LLVM assembler) is not installed")
    return list(_assemble(tuple(lines)))
