"""Text-output helpers shared by the commands: names that fit their column."""

from __future__ import annotations

from typing import Any, TypeAlias

#: One instruction's output record (a JSON object): its fields, each of its own type,
#: are read by key to build the text columns.
Record: TypeAlias = dict[str, Any]

ELLIPSIS = "…"
#: Widest symbol column in text output; longer names are cut (never in JSON).
SYMBOL_WIDTH = 48


def fit(text: str, width: int = SYMBOL_WIDTH) -> str:
    """``text`` cut to ``width`` characters with an ellipsis in the middle, so
    both the start of a long C++ name and its ``+0x..`` offset stay visible."""
    if len(text) <= width:
        return text
    tail = max(width // 3, 1)
    return text[:width - tail - 1] + ELLIPSIS + text[-tail:]


def symbol_text(record: Record, demangled: bool) -> str | None:
    """The symbol a text line shows for a record with ``symbol``/``demangled`` fields."""
    name: str | None = record.get("demangled") if demangled else record.get("symbol")
    symbol: str | None = record.get("symbol")
    return name or symbol
