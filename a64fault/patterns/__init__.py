"""The pattern table: ``a64.patterns`` (data) and the code that compiles it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .reader import Field, Row, TableError, read_file, read_rows
from .table import AMBIGUOUS, NO_ROW, Table

TABLE_PATH = Path(__file__).with_name("a64.patterns")

__all__ = ["Field", "Row", "Table", "TableError", "TABLE_PATH", "AMBIGUOUS", "NO_ROW",
           "default_table", "read_file", "read_rows"]


@lru_cache(maxsize=None)
def default_table() -> Table:
    """The project's table, read and compiled once per process."""
    return Table(read_file(TABLE_PATH))
