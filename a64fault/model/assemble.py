"""Assemble A64 lines with LLVM (the assembler inside the `ziglang` wheel).

Used for traces given as assembly text and by the test that re-checks the
committed words in encodings.py. Nothing here invents an encoding: every
word comes out of LLVM's object file.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import InputError

#: The first line of every assembled file: without it LLVM refuses LSE forms.
ARCH_LINE = ".arch armv9.6-a+lse"

WORD_BYTES = 4


def available() -> bool:
    """Whether the ziglang wheel (and so LLVM's assembler) is importable."""
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True


def assemble(lines: list[str]) -> list[int]:
    """Assemble one instruction per line; return one 32-bit word per line.

    Raises InputError naming the line LLVM rejects, or when ziglang is missing.
    """
    if not lines:
        return []
    if not available():
        raise InputError("assembling needs the ziglang wheel (pip install ziglang)")
    for line in lines:
        if not line.strip() or "\n" in line or ";" in line:
            raise InputError(f"not one assembly instruction: {line!r}")
    with tempfile.TemporaryDirectory(prefix="a64fault-asm-") as tmp:
        source, obj = Path(tmp, "x.s"), Path(tmp, "x.o")
        source.write_text(ARCH_LINE + "\n" + "\n".join(lines) + "\n")
        done = subprocess.run(
            [sys.executable, "-m", "ziglang", "cc", "-target", "aarch64-linux-gnu",
             "-c", str(source), "-o", str(obj)],
            capture_output=True, text=True,
        )
        if done.returncode:
            raise InputError(_first_error(done.stderr, lines))
        text = _text_section(obj)
    if len(text) != WORD_BYTES * len(lines):
        raise InputError(f"LLVM produced {len(text)} bytes for {len(lines)} instructions "
                         "(a line is not exactly one instruction)")
    return list(struct.unpack(f"<{len(lines)}I", text))


def _text_section(path: Path) -> bytes:
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as handle:
        return ELFFile(handle).get_section_by_name(".text").data()


def _first_error(stderr: str, lines: list[str]) -> str:
    """LLVM's first error, naming our line rather than the temporary file's."""
    for text in stderr.splitlines():
        if "error:" not in text:
            continue
        location, _, message = text.partition(": error: ")
        try:
            index = int(location.split(":")[-2]) - 2  # file line 1 is the .arch line
            return f"LLVM cannot assemble {lines[index]!r}: {message.strip()}"
        except (ValueError, IndexError):
            return f"LLVM: {message.strip() or text.strip()}"
    return "LLVM failed: " + (stderr.strip().splitlines() or ["no message"])[0]
