"""Scalar classification of one A64 instruction word against the table."""

from __future__ import annotations

from dataclasses import dataclass

from .kinds import Kind
from .patterns import Row, default_table
from .word import check_word


@dataclass(frozen=True)
class Classification:
    """What one instruction word does to data memory.

    ``form`` is the table row's name (None when no memory row matches),
    ``kind`` a Kind, ``feature`` the Arm feature (None for the Armv8.0 base
    or no match), ``writes`` whether executing it writes memory, ``size`` the
    bytes accessed where the encoding fixes it, and ``should_be_ok`` False
    when the word's should-be bits differ from the diagram (CONSTRAINED
    UNPREDICTABLE; still classified as the form: see docs/design.md).
    """

    word: int
    form: str | None
    kind: Kind
    feature: str | None
    writes: bool
    size: int | None
    should_be_ok: bool = True
    row: Row | None = None

    @property
    def accesses_memory(self) -> bool:
        return self.kind.accesses_memory


def classify(word: int) -> Classification:
    """Classify one 32-bit A64 instruction word (as the CPU reads it); InputError if
    ``word`` is not an int in [0, 2**32)."""
    check_word(word)
    row = default_table().lookup(word)
    if row is None:
        return Classification(word, None, Kind.OTHER, None, False, None)
    return Classification(
        word=word,
        form=row.form,
        kind=row.kind,
        feature=row.feature,
        writes=row.writes,
        size=row.access_size(word),
        should_be_ok=word & row.should_be_mask == row.should_be_value,
        row=row,
    )
