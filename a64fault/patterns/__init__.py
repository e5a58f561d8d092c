"""The pattern table: ``a64.patterns`` (data) and the code that compiles it."""

from __future__ import annotations

from array import array
from functools import lru_cache
from pathlib import Path

from . import cache
from .reader import Field, Row, TableError, read_file, read_rows
from .table import AMBIGUOUS, KEY_BITS, NO_ROW, Table

TABLE_PATH = Path(__file__).with_name("a64.patterns")

__all__ = ["Field", "Row", "Table", "TableError", "TABLE_PATH", "AMBIGUOUS", "NO_ROW",
           "default_table", "read_file", "read_rows"]


@lru_cache(maxsize=None)
def default_table() -> Table:
    """The project's table, read and compiled once per process (index cached on disk)."""
    text = TABLE_PATH.read_text(encoding="utf-8")
    rows = read_rows(text)
    key = cache.digest(text)
    entry = cache.load("index", key)
    index = array("h")
    if entry is not None and len(entry.blobs.get("index", b"")) == index.itemsize << KEY_BITS:
        index.frombytes(entry.blobs["index"])
        return Table(rows, index=index)
    table = Table(rows)
    cache.store("index", key, {"index": table.index_array.tobytes()})
    return table
