"""Read an access trace: CSV (with a header) or JSON Lines, one access a row.

Each row has ``address`` and either ``word`` (the 32-bit instruction, as an
integer or hex text such as ``0xb83f001f``) or ``asm`` (one A64 instruction,
assembled with LLVM here). JSON Lines is chosen for ``.jsonl``/``.json`` files
or when the first non-blank character is ``{``; anything else is CSV.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from dataclasses import dataclass

from ..errors import InputError, reading
from ..word import WORD_LIMIT
from .state import ADDRESS_SPACE


@dataclass(frozen=True)
class Access:
    """One traced access: the instruction word (and its asm, if given) and the address."""

    word: int
    address: int
    asm: str | None = None


def read_trace(path: str) -> list[Access]:
    """The accesses in the trace file at ``path`` (InputError on any bad row)."""
    rows = list(_rows(path, _read_text(path)))
    if not rows:
        raise InputError(f"{path}: the trace has no accesses")
    parsed = [_parse_row(path, where, row) for where, row in rows]
    # asm lines without a word: assemble each distinct line once, errors naming its first row.
    first_row: dict[str, int] = {}
    for where, word, asm, _ in parsed:
        if word is None and asm is not None:
            first_row.setdefault(asm, where)
    lines = list(first_row)
    from ..assembler import assemble  # only asm rows need it (the optional [asm] extra)

    words = assemble(lines, [f"{path}:{first_row[line]}: {line!r}" for line in lines])
    assembled: dict[str | None, int] = dict(zip(lines, words))
    return [Access(assembled[asm] if word is None else word, address, asm)
            for _, word, asm, address in parsed]


def _read_text(path: str) -> str:
    """The trace file's text; only a regular file (a device or FIFO could read forever)."""
    with reading(path, "trace file"):
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise InputError(f"{path}: not a regular file (a trace must be a CSV or JSON Lines file)")
        with open(path, "rb") as handle:
            data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start})") from None


def _parse_row(path: str, where: int, row: dict) -> tuple[int, int | None, str | None, int]:
    """(line, word or None, asm or None, address) of one row, every field type-checked."""
    at = f"{path}:{where}:"
    address = _number(row.get("address"), f"{at} address", ADDRESS_SPACE)
    asm = row.get("asm")
    if asm is not None and not isinstance(asm, str):
        raise InputError(f"{at} asm {asm!r} is not a string (one A64 instruction)")
    asm = (asm or "").strip() or None
    word = row.get("word")
    if word is not None and word != "":
        return where, _number(word, f"{at} word", WORD_LIMIT), asm, address
    if asm is None:
        raise InputError(f"{at} a row needs a word or an asm column")
    return where, None, asm, address


def _rows(path: str, text: str):
    """Yield (line number, dict) pairs from JSON Lines or CSV text."""
    stripped = text.lstrip()
    if path.endswith((".jsonl", ".json")) or stripped.startswith("{"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{path}:{number}: not JSON: {error.msg}") from None
            if not isinstance(row, dict):
                raise InputError(f"{path}:{number}: expected a JSON object")
            yield number, row
        return
    reader = csv.DictReader(io.StringIO(text))
    fields = {name.strip() for name in reader.fieldnames or ()}
    if "address" not in fields or not fields & {"word", "asm"}:
        raise InputError(f"{path}: a CSV trace needs a header with address and word or asm")
    for row in reader:
        yield reader.line_num, {(k or "").strip(): v for k, v in row.items()}


def _number(value, what: str, limit: int) -> int:
    if isinstance(value, bool):
        raise InputError(f"{what} {value!r} is not a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip(), 0)
        except ValueError:
            raise InputError(f"{what} {value!r} is not a number (decimal or 0x hex)") from None
    else:
        raise InputError(f"{what} {value!r} is missing or not a number (an integer or text)")
    if not 0 <= number < limit:
        raise InputError(f"{what} {value!r} is out of range (0 to {limit - 1:#x})")
    return number
