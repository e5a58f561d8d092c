"""Instruction words from user input: hex text, memory bytes, and raw files.

Conventions (the CLI's, documented in the README):

* A hex word is 1–8 hex digits after ``0x``, or an even number of hex digits
  without it (an odd count there means a digit was lost in copying);
  ``b8200041`` and ``0xb8200041`` are the same word. Several words may be
  joined by commas and/or whitespace.
* Bytes are given in memory order, two hex digits each (``41 00 20 b8``);
  ``endian="little"`` (the default: A64 instruction fetch is little-endian)
  reads each group of four as a little-endian word.
* Every error is an InputError whose message fits one line.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, NamedTuple

from ..errors import InputError, reading
from ..word import WORD_BYTES, WORD_LIMIT

ENDIANS = ("little", "big")

_HEX = re.compile(r"[0-9a-fA-F]+")
_SEPARATORS = re.compile(r"[\s,]+")


class Fetched(NamedTuple):
    """One instruction word and where it came from (None when not known)."""

    address: int | None
    word: int

    @property
    def raw(self) -> bytes:
        """The word's bytes as instruction fetch sees them in memory (little-endian)."""
        return self.word.to_bytes(WORD_BYTES, "little")


def _tokens(texts: Iterable[str]) -> list[str]:
    tokens = []
    for text in texts:
        tokens += [token for token in _SEPARATORS.split(text) if token]
    return tokens


def parse_word(token: str) -> int:
    """One hex word (see the module docstring) -> int; InputError if it is not one."""
    prefixed = token[:2].lower() == "0x"
    digits = token[2:] if prefixed else token
    if not digits or not _HEX.fullmatch(digits):
        raise InputError(f"{token!r} is not a hex instruction word")
    if not prefixed and len(digits) % 2:
        raise InputError(f"{token!r} has an odd number of hex digits (write 0x{token} if meant)")
    value = int(digits, 16)
    if value >= WORD_LIMIT:
        raise InputError(f"{token!r} is wider than 32 bits: an A64 instruction is one 32-bit word")
    return value


def parse_words(texts: Iterable[str]) -> list[int]:
    """Words from strings of hex words separated by commas or whitespace."""
    words = [parse_word(token) for token in _tokens(texts)]
    if not words:
        raise InputError("no instruction words given")
    return words


def words_from_bytes(data: bytes, endian: str = "little", what: str = "input") -> list[int]:
    """Split memory bytes into words of the given byte order; a partial word is an error."""
    if endian not in ENDIANS:
        raise InputError(f"endian must be little or big, not {endian!r}")
    if not data:
        raise InputError(f"{what} holds no bytes")
    if len(data) % WORD_BYTES:
        raise InputError(f"{what} holds {len(data)} bytes, not a multiple of 4 "
                         f"({len(data) % WORD_BYTES} left over)")
    order: Literal["little", "big"] = "big" if endian == "big" else "little"
    return [int.from_bytes(data[i:i + WORD_BYTES], order) for i in range(0, len(data), WORD_BYTES)]


def parse_bytes(text: str, endian: str = "little") -> list[int]:
    """Words from memory-order hex bytes such as ``"41 00 20 b8"`` or ``"410020b8"``."""
    chunks = _tokens([text])
    if not chunks:
        raise InputError("no bytes given")
    data = bytearray()
    for chunk in chunks:
        digits = chunk[2:] if chunk[:2].lower() == "0x" else chunk
        if not _HEX.fullmatch(digits or "-"):
            raise InputError(f"{chunk!r} is not hex bytes")
        if len(digits) % 2:
            raise InputError(f"{chunk!r} has an odd number of hex digits (bytes are two digits)")
        data += bytes.fromhex(digits)
    return words_from_bytes(bytes(data), endian, "--bytes")


def parse_int(text: str, what: str, *, hex_default: bool = False, bits: int = 64) -> int:
    """An unsigned integer option: ``0x`` hex or decimal, or always hex with hex_default.

    ``bits`` bounds the value; negative numbers are refused.
    """
    body = text.strip().replace("_", "")
    if body[:2].lower() == "0x":
        base, digits = 16, body[2:]
    else:
        base, digits = (16, body) if hex_default else (10, body)
    valid = _HEX if base == 16 else re.compile(r"[0-9]+")
    if not digits or not valid.fullmatch(digits):
        kind = "a hex number" if base == 16 else "a number (decimal, or hex with 0x)"
        raise InputError(f"{what} {text!r} is not {kind}")
    value = int(digits, base)
    if value >> bits:
        raise InputError(f"{what} {text!r} is wider than {bits} bits")
    return value


def read_file_words(path, offset: int = 0, count: int | None = None,
                    endian: str = "little") -> list[Fetched]:
    """Words from a raw binary file from byte offset (all to the end, or count of them).

    Each word's address is its file offset.
    """
    path = Path(path)
    with reading(path), open(path, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            if count is None:
                raise InputError(f"{path}: not a regular file: give --count to read from it")
            handle.read(offset)  # devices and pipes may not seek
            data = bytes(offset) + handle.read(WORD_BYTES * count)
        elif count is None:
            data = handle.read()
        else:
            handle.seek(offset)
            data = bytes(offset) + handle.read(WORD_BYTES * count)
            size = os.fstat(handle.fileno()).st_size
            if offset > size:
                raise InputError(f"offset {offset:#x} is past the end of {path} ({size} bytes)")
    if offset > len(data):
        raise InputError(f"offset {offset:#x} is past the end of {path} ({len(data)} bytes)")
    end = len(data) if count is None else offset + WORD_BYTES * count
    if end > len(data):
        raise InputError(f"{path}: {count} words from offset {offset:#x} run past its end "
                         f"({len(data)} bytes)")
    words = words_from_bytes(data[offset:end], endian, f"{path} from offset {offset:#x}")
    return [Fetched(offset + WORD_BYTES * i, word) for i, word in enumerate(words)]
