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
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import InputError, open_input, reading, shown
from ..numbers import MAX_NUMBER_CHARS, parse_field, quoted
from ..word import WORD_LIMIT
from .state import ADDRESS_SPACE

#: Largest trace file read (bounded memory: rows are parsed in memory).
MAX_TRACE_BYTES = 64 << 20
#: Longest line: a row is an address, a word and one instruction's text.
MAX_LINE_CHARS = 4096


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
        raise InputError(f"{shown(path)}: the trace has no accesses")
    parsed = [_parse_row(path, where, row) for where, row in rows]
    # asm lines without a word: assemble each distinct line once, errors naming its first row.
    first_row: dict[str, int] = {}
    for where, word, asm, _ in parsed:
        if word is None and asm is not None:
            first_row.setdefault(asm, where)
    lines = list(first_row)
    from ..assembler import assemble  # only asm rows need it (the optional [asm] extra)

    words = assemble(lines, [f"{shown(path)}:{first_row[line]}: {quoted(line)}"
                              for line in lines])
    assembled: dict[str | None, int] = dict(zip(lines, words))
    return [Access(assembled[asm] if word is None else word, address, asm)
            for _, word, asm, address in parsed]


def _read_text(path: str) -> str:
    """The trace file's text: only a regular file (a device or FIFO could read
    forever), at most MAX_TRACE_BYTES, every line at most MAX_LINE_CHARS."""
    with open_input(path, "trace file") as handle, reading(path, "trace file"):
        data = handle.read(MAX_TRACE_BYTES + 1)
    if len(data) > MAX_TRACE_BYTES:
        raise InputError(f"{shown(path)}: a trace is at most {MAX_TRACE_BYTES >> 20} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{shown(path)}: not UTF-8 text (byte {error.start})") from None
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > MAX_LINE_CHARS:
            raise InputError(f"{shown(path)}:{number}: line of {len(line)} characters "
                             f"(a trace row is at most {MAX_LINE_CHARS})")
    return text


def _parse_row(path: str, where: int, row: dict[str, object]) -> tuple[int, int | None, str | None, int]:
    """(line, word or None, asm or None, address) of one row, every field type-checked."""
    at = f"{shown(path)}:{where}:"
    address = parse_field(row.get("address"), f"{at} address", ADDRESS_SPACE)
    asm = row.get("asm")
    if asm is not None and not isinstance(asm, str):
        raise InputError(f"{at} asm {asm!r} is not a string (one A64 instruction)")
    asm = (asm or "").strip() or None
    word = row.get("word")
    if word is not None and word != "":
        return where, parse_field(word, f"{at} word", WORD_LIMIT), asm, address
    if asm is None:
        raise InputError(f"{at} a row needs a word or an asm column")
    return where, None, asm, address


def _json_int(text: str) -> int:
    """A JSON integer, its length checked before conversion (see numbers.parse_int)."""
    if len(text) > MAX_NUMBER_CHARS:
        raise InputError(f"a number of {len(text)} digits (at most {MAX_NUMBER_CHARS})")
    return int(text)


def _rows(path: str, text: str) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield (line number, dict) pairs from JSON Lines or CSV text."""
    name = shown(path)
    stripped = text.lstrip()
    if path.endswith((".jsonl", ".json")) or stripped.startswith("{"):
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line, parse_int=_json_int)
            except json.JSONDecodeError as error:
                raise InputError(f"{name}:{number}: not JSON: {error.msg}") from None
            except InputError as error:
                raise InputError(f"{name}:{number}: {error}") from None
            except RecursionError:
                raise InputError(f"{name}:{number}: JSON nested too deeply") from None
            if not isinstance(row, dict):
                raise InputError(f"{name}:{number}: expected a JSON object")
            yield number, row
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fields = {name.strip() for name in reader.fieldnames or ()}
        if "address" not in fields or not fields & {"word", "asm"}:
            raise InputError(f"{name}: a CSV trace needs a header with address and word or asm")
        for row in reader:
            yield reader.line_num, {(k or "").strip(): v for k, v in row.items()}
    except csv.Error as error:
        raise InputError(f"{name}:{reader.line_num}: not CSV: {error}") from None
