"""``a64fault log``: arm64 fault reports and live fault records read out of kernel logs.

* ``read_path(path)`` / ``read_stream(stream, name)`` / ``read_text(text)`` -> Found
  (``reports``: oopses, user faults, Unhandled fault, Bad mode, SError;
  ``records``: kprobe handle_mm_fault and perf page-faults records);
* ``explain(report, resolver, policy)`` -> Explained (ESR decode, printed fields
  compared with it, instruction, Capstone text, form, kind, decision);
* ``count_by_pc(records)`` and ``explain_pcs(counts, resolver)``: the
  per-instruction double-fault report of live records.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import open_input, reading
from .explain import Explained, explain, explain_pcs
from .live import count_by_pc
from .parse import Found, read_stream, read_text
from .records import LiveRecord, Report
from .resolve import Resolver


def read_path(path: str | os.PathLike[str], found: Found | None = None) -> Found:
    """Every report and record in the file at path (InputError if it cannot be read)."""
    path = Path(path)
    with open_input(path, "log file") as handle, reading(path, "log file"):
        return read_stream(handle, str(path), found)


__all__ = ["Explained", "Found", "LiveRecord", "Report", "Resolver", "count_by_pc", "explain",
           "explain_pcs", "read_path", "read_stream", "read_text"]
