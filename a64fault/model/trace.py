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
from dataclasses import dataclass

from ..errors import InputError
from ..assembler import assemble

WORD_LIMIT = 1 << 32
ADDRESS_LIMIT = 1 << 48


@dataclass(frozen=True)
class Access:
    """One traced access: the instruction word (and its asm, if given) and the address."""

    word: int
    address: int
    asm: str | None = None


def read_trace(path: str) -> list[Access]:
    """The accesses in the trace file at ``path`` (InputError on any bad row)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read trace {path}: {getattr(error, 'strerror', None) or error}") \
            from None
    rows = list(_rows(path, text))
    if not rows:
        raise InputError(f"{path}: the trace has no accesses")
    to_assemble = sorted({row["asm"] for _, row in rows if row.get("word") in (None, "")
                          and row.get("asm")})
    assembled = dict(zip(to_assemble, assemble(to_assemble))) if to_assemble else {}
    accesses = []
    for where, row in rows:
        address = _number(row.get("address"), f"{path}:{where}: address", ADDRESS_LIMIT)
        asm = (row.get("asm") or "").strip() or None
        if row.get("word") not in (None, ""):
            word = _number(row["word"], f"{path}:{where}: word", WORD_LIMIT)
        elif asm:
            word = assembled[row["asm"]]
        else:
            raise InputError(f"{path}:{where}: a row needs a word or an asm column")
        accesses.append(Access(word, address, asm))
    return accesses


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
        raise InputError(f"{what} {value!r} is missing or not a number")
    if not 0 <= number < limit:
        raise InputError(f"{what} {value!r} is out of range")
    return number
