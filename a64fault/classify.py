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
    bytes accessed where the encoding fixes it. ``should_be_ok`` is False when
    the word's should-be bits differ from the diagram, ``unpredictable`` True
    when that happens or the word breaks a register rule the Arm ARM makes
    CONSTRAINED UNPREDICTABLE (e.g. LDP with Rt == Rt2): such a word is still
    classified as the form, because a word that faulted was executed (see
    docs/design.md). Register rules the Arm ARM makes UNDEFINED are carved out
    of the table instead: those words are ``other``.
    """

    word: int
    form: str | None
    kind: Kind
    feature: str | None
    writes: bool
    size: int | None
    should_be_ok: bool = True
    row: Row | None = None
    unpredictable: bool = False

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
    should_be_ok = word & row.should_be_mask == row.should_be_value
    return Classification(
        word=word,
        form=row.form,
        kind=row.kind,
        feature=row.feature,
        writes=row.writes,
        size=row.access_size(word),
        should_be_ok=should_be_ok,
        row=row,
        unpredictable=not should_be_ok or row.unpredictable(word),
    )
