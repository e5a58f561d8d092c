"""Totals of a scan over many files (``a64fault scan --summary``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: How many files the summary names as holding the most selected instructions.
TOP_FILES = 10


#: The fields of a file's result (its ``as_json()`` dict) that Summary.add reads.
PART_FIELDS = ("file", "selection", "instructions", "data_words", "likely_data", "selected",
               "counts", "features")


def part(result: Mapping[str, Any]) -> dict[str, Any]:
    """What Summary.add needs of one file's result (a parallel scan's workers
    send this instead of the whole result)."""
    return {name: result[name] for name in PART_FIELDS}


@dataclass
class Summary:
    """Running totals over the per-file results (their ``as_json()`` dicts, or part() of them:
    JSON objects read by key, hence Any)."""

    selection: str = ""
    files: int = 0
    failed: int = 0
    skipped: int = 0
    instructions: int = 0
    data_words: int = 0
    likely_data: int = 0
    selected: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    features: Counter[str] = field(default_factory=Counter)
    #: (selected instructions, file) of each file with some.
    per_file: list[tuple[int, str]] = field(default_factory=list)

    def add(self, result: Mapping[str, Any]) -> None:
        self.files += 1
        self.selection = result["selection"]
        self.instructions += result["instructions"]
        self.data_words += result["data_words"]
        self.likely_data += result["likely_data"]
        self.selected += result["selected"]
        self.counts.update(result["counts"])
        self.features.update(result["features"])
        if result["selected"]:
            self.per_file.append((result["selected"], result["file"]))

    def top(self) -> list[dict[str, str | int]]:
        ranked = sorted(self.per_file, key=lambda item: (-item[0], item[1]))[:TOP_FILES]
        return [{"file": name, "selected": n} for n, name in ranked]

    def as_json(self) -> dict[str, object]:
        return {"summary": True, "selection": self.selection, "files": self.files,
                "failed": self.failed, "skipped": self.skipped,
                "instructions": self.instructions, "data_words": self.data_words,
                "likely_data": self.likely_data, "selected": self.selected,
                "counts": dict(self.counts), "features": dict(sorted(self.features.items())),
                "top": self.top()}

    def lines(self) -> list[str]:
        counts = "  ".join(f"{k} {n}" for k, n in self.counts.items() if n)
        features = "  ".join(f"{k} {n}" for k, n in sorted(self.features.items()))
        out = [f"summary: {self.files} files scanned, {self.failed} failed, "
               f"{self.skipped} skipped (not ELF)",
               f"  {self.instructions} instructions ({self.data_words} data words skipped, "
               f"{self.likely_data} likely data)",
               f"  kinds:    {counts or '-'}",
               f"  features: {features or '-'}",
               f"  {self.selection or 'selection'}: {self.selected} instructions"]
        top = self.top()
        if top:
            out.append("  most selected:")
            out += [f"    {item['selected']:>8}  {item['file']}" for item in top]
        return out
