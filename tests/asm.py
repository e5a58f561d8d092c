"""Assemble A64 lines with LLVM (the ziglang wheel) for tests: one run per batch, cached.

Tests state their instructions as assembly text; the words come from this
real assembler, never from a64fault's own code.
"""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

ARCH = (".arch armv9.6-a+lse128+the+ls64+lsui+lsfe+gcs+rcpc3+mops+d128+mte+sve2+sme+sme2"
        "+sve2p1+sme2p1+fp16+bf16+f64mm")


def have_llvm() -> bool:
    return importlib.util.find_spec("ziglang") is not None


@lru_cache(maxsize=None)
def _assemble(lines: tuple[str, ...]) -> tuple[int, ...]:
    from elftools.elf.elffile import ELFFile

    with tempfile.TemporaryDirectory() as tmp:
        source, obj = Path(tmp, "x.s"), Path(tmp, "x.o")
        source.write_text(ARCH + "\n" + "".join(line + "\n" for line in lines))
        run = subprocess.run(
            [sys.executable, "-m", "ziglang", "cc", "-target", "aarch64-linux-gnu",
             "-c", str(source), "-o", str(obj)],
            capture_output=True, text=True,
        )
        if run.returncode:
            raise AssertionError(f"LLVM rejected the test's assembly:\n{run.stderr}")
        with obj.open("rb") as f:
            text = ELFFile(f).get_section_by_name(".text").data()
    assert len(text) == 4 * len(lines), "one instruction per line expected"
    return struct.unpack(f"<{len(lines)}I", text)


def assemble(*lines: str) -> list[int]:
    """The little-endian instruction words LLVM produces for ``lines``."""
    if not have_llvm():
        pytest.skip("ziglang (LLVM assembler) is not installed")
    return list(_assemble(tuple(lines)))


def word(line: str) -> int:
    return assemble(line)[0]
