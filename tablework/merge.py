"""Development helper: concatenate the per-area fragments into a64.patterns and check it.

Usage: python tablework/merge.py   (prints row count or the table error)
"""
import sys
from pathlib import Path

HERE = Path(__file__).parent
ORDER = ["header", "atomics", "loadstore", "simd", "system", "sve", "sme"]
OUT = HERE.parent / "a64fault" / "patterns" / "a64.patterns"

parts = []
for name in ORDER:
    path = HERE / f"{name}.patterns"
    if path.exists():
        parts.append(path.read_text().rstrip("\n") + "\n")
tmp = OUT.with_suffix(".tmp")
tmp.write_text("\n".join(parts))
tmp.replace(OUT)

sys.path.insert(0, str(HERE.parent))
from a64fault.patterns import Table, read_file  # noqa: E402

rows = read_file(OUT)
table = Table(rows)
index = table.index
print(f"{len(rows)} rows, {len(table.forms)} forms, "
      f"{int((index == -2).sum())} ambiguous keys of {len(index)}")
