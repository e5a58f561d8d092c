"""Assemble A64 lines with LLVM (the assembler inside the ``ziglang`` wheel).

The one place the project runs an assembler: the fixture builder, the fault
model's traces (``asm`` rows) and the tests all call ``assemble()``. Every
word comes out of LLVM's object file; nothing here encodes an instruction.
All lines go into one ``.s`` file (one assembler run), each behind a label,
so a line that is not exactly one 4-byte instruction is caught and named.
"""

from __future__ import annotations

import importlib.util
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import InputError
from .word import WORD_BYTES

#: Extensions LLVM must enable to accept every feature the table covers.
ARCH_LINE = (
    ".arch armv9.6-a+lse128+the+ls64+lsui+lsfe+gcs+rcpc3+mops+d128+mte+sve2+sme"
    "+sme2+sve2p1+sme2p1+fp16+bf16+f64mm+f32mm+i8mm+sve2p2+sme2p2+sve-b16b16+sme-b16b16"
    "+sme-f64f64+sme-i16i64+sme-f16f16+lut+sme-lutv2+cssc+predres"
)
TARGET = "aarch64-linux-gnu"

_ERROR = re.compile(r"^[^:\n]*\.s:(\d+):(\d+): error: (.*)$", re.M)
#: A directive: a ``.name`` where a statement starts (at the line's start or after a label).
_DIRECTIVE = re.compile(r"(?:^|:)\s*\.[A-Za-z_]")
#: Longest line: one instruction's text is far shorter.
MAX_LINE_CHARS = 256
#: Limits of one assembler run (address space, CPU seconds, bytes per written file);
#: assembling a few thousand instructions needs ~50 MB and well under a second.
ASSEMBLER_MEMORY = 1 << 30
ASSEMBLER_SECONDS = 60
ASSEMBLER_FILE_BYTES = 256 << 20
_LABEL = "__line_"


class AssemblerError(InputError):
    """LLVM is missing, rejects a line, or a line is not exactly one instruction.

    ``str()`` is one line (the first problem, and how many more); ``problems``
    lists them all, each naming its line.
    """

    def __init__(self, summary: str, problems: list[str] | None = None):
        self.problems = problems or [summary]
        more = len(self.problems) - 1
        super().__init__(summary + (f" (and {more} more)" if more else ""))


def available() -> bool:
    """Whether the ziglang wheel (and so LLVM's assembler) is installed."""
    return importlib.util.find_spec("ziglang") is not None


def _source(lines: list[str]) -> tuple[str, int]:
    """The .s text (each line behind a label) and the file line number of lines[0]."""
    header = [ARCH_LINE, ".text"]
    body = [f"{_LABEL}{i}: {line}" for i, line in enumerate(lines)]
    end = [f"{_LABEL}{len(lines)}:"]  # anything after it (a literal pool) is an error
    return "\n".join(header + body + end) + "\n", len(header) + 1


def assemble(lines: list[str], names: list[str] | None = None) -> list[int]:
    """LLVM's 32-bit word for every line, in one assembler run.

    ``names`` (one per line) is how errors name a line; by default the line
    itself. Raises AssemblerError naming every rejected line.
    """
    lines = list(lines)
    if not lines:
        return []
    names = names or [repr(line) for line in lines]
    for line, name in zip(lines, names):
        _check_one_instruction(line, name)
    if not available():
        raise AssemblerError("assembling needs LLVM from the ziglang wheel: "
                             "pip install 'a64fault[asm]'")
    source, first = _source(lines)
    with tempfile.TemporaryDirectory(prefix="a64fault-asm-") as tmp:
        src, obj = Path(tmp, "lines.s"), Path(tmp, "lines.o")
        src.write_text(source)
        run = _run_limited([sys.executable, "-m", "ziglang", "cc", "-target", TARGET, "-c",
                            str(src), "-o", str(obj)])
        if run.returncode != 0:
            raise _rejections(run.stderr, first, names, run.returncode)
        text, offsets, relocated = _read_object(obj)
    if relocated:
        raise AssemblerError("a line refers to a symbol (relocation in .text); use immediates")
    return _split(text, offsets, names)


def _check_one_instruction(line: str, name: str) -> None:
    """AssemblerError unless ``line`` could be one instruction: no directive (``.incbin``,
    ``.fill``... could make the assembler read or write without end), no second
    statement, no control character, at most MAX_LINE_CHARS."""
    if len(line) > MAX_LINE_CHARS:
        raise AssemblerError(f"not one assembly instruction ({len(line)} characters, "
                             f"at most {MAX_LINE_CHARS}): {name[:80]}")
    if not line.strip() or ";" in line or not line.isprintable():
        raise AssemblerError(f"not one assembly instruction: {name}")
    if _DIRECTIVE.search(line):
        raise AssemblerError(f"assembler directives are refused (a line is one instruction): "
                             f"{name}")


def _limit_child() -> None:  # runs in the child between fork and exec
    os.setsid()  # its own process group, so a timeout ends LLVM's children too
    resource.setrlimit(resource.RLIMIT_AS, (ASSEMBLER_MEMORY, ASSEMBLER_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (ASSEMBLER_SECONDS, ASSEMBLER_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (ASSEMBLER_FILE_BYTES, ASSEMBLER_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run_limited(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the assembler under the memory, CPU-time and file-size limits (and a wall-clock
    timeout); exceeding one is an AssemblerError naming it."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_limit_child)
    try:
        out, err = process.communicate(timeout=2 * ASSEMBLER_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssemblerError(f"the assembler ran past {2 * ASSEMBLER_SECONDS} s and was "
                             "stopped") from None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def _rejections(stderr: str, first: int, names: list[str], status: int = 1) -> AssemblerError:
    if status < 0 or status in (128 + signal.SIGKILL, 128 + signal.SIGXCPU, 128 + signal.SIGXFSZ):
        return AssemblerError(f"the assembler stopped at a limit (signal {abs(status) & 127}): "
                              f"{ASSEMBLER_MEMORY >> 20} MiB memory, {ASSEMBLER_SECONDS} s CPU, "
                              f"{ASSEMBLER_FILE_BYTES >> 20} MiB per file")
    errors = []
    for m in _ERROR.finditer(stderr):
        index = int(m.group(1)) - first
        name = names[index] if 0 <= index < len(names) else "(header)"
        errors.append(f"LLVM cannot assemble {name}: {m.group(3)}")
    if not errors:
        return AssemblerError("LLVM failed: " + (stderr.strip().splitlines() or ["no message"])[0])
    return AssemblerError(errors[0], errors)


def _read_object(path: Path) -> tuple[bytes, dict[int, int], bool]:
    """(.text bytes, label number -> offset, whether .text has relocations)."""
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as handle:
        elf = ELFFile(handle)
        text = elf.get_section_by_name(".text").data()
        relocations = elf.get_section_by_name(".rela.text")
        relocated = relocations is not None and relocations.num_relocations() > 0
        offsets = {
            int(symbol.name[len(_LABEL):]): symbol["st_value"]
            for symbol in elf.get_section_by_name(".symtab").iter_symbols()
            if symbol.name.startswith(_LABEL)
        }
    return text, offsets, relocated


def _split(text: bytes, offsets: dict[int, int], names: list[str]) -> list[int]:
    count = len(names)
    words, wrong = [], []
    if len(text) != offsets[count]:
        wrong.append("data after the last line (a literal pool?)")
    for i in range(count):
        size = offsets[i + 1] - offsets[i]
        if size != WORD_BYTES:
            wrong.append(f"{names[i]}: assembles to {size} bytes")
        else:
            words.append(int.from_bytes(text[offsets[i]:offsets[i + 1]], "little"))
    if wrong:
        raise AssemblerError(f"not one instruction: {wrong[0]}", wrong)
    return words
