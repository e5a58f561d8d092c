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
from typing import BinaryIO, Literal, NamedTuple

from ..errors import FileName, InputError, open_input, reading, shown
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


#: Most words one call reads (4 MiB of code); whole binaries are for ``scan``.
MAX_FILE_WORDS = 1 << 20
#: Most bytes skipped by reading from a device that cannot seek.
MAX_DEVICE_SKIP = 1 << 26


def read_file_words(path: FileName, offset: int = 0, count: int | None = None,
                    endian: str = "little") -> list[Fetched]:
    """Words from a raw binary file from byte offset (all to the end, or count of them).

    Each word's address is its file offset. Only a regular file is read, or a
    character device when ``count`` is given; at most MAX_FILE_WORDS words,
    so memory stays bounded whatever the offset and count.
    """
    if offset < 0 or (count is not None and count < 1):
        raise InputError(f"offset must be >= 0 and count >= 1, not {offset} and {count}")
    if count is not None and count > MAX_FILE_WORDS:
        raise InputError(f"count {count} is more than {MAX_FILE_WORDS} words "
                         "(the most read at once; scan classifies whole binaries)")
    name = shown(path)
    with open_input(path, "raw instruction file", devices=count is not None) as handle, reading(path):
        if stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            data = _read_regular(handle, name, offset, count)
        else:  # a character device: open_input allowed one only with a count
            data = _read_device(handle, name, offset, count or 1)
    if not data:
        raise InputError(f"{name} holds no bytes from offset {offset:#x}")
    words = words_from_bytes(data, endian, f"{name} from offset {offset:#x}")
    return [Fetched(offset + WORD_BYTES * i, word) for i, word in enumerate(words)]


def _read_regular(handle: BinaryIO, name: str, offset: int, count: int | None) -> bytes:
    size = os.fstat(handle.fileno()).st_size
    if offset > size:
        raise InputError(f"offset {offset:#x} is past the end of {name} ({size} bytes)")
    wanted = size - offset if count is None else WORD_BYTES * count
    if count is None and wanted > WORD_BYTES * MAX_FILE_WORDS:
        raise InputError(f"{name} holds {wanted} bytes from offset {offset:#x}, more than "
                         f"{MAX_FILE_WORDS} words: give --count (scan classifies whole binaries)")
    if offset + wanted > size:
        raise InputError(f"{name}: {count} words from offset {offset:#x} run past its end "
                         f"({size} bytes)")
    handle.seek(offset)
    return handle.read(wanted)


def _read_device(handle: BinaryIO, name: str, offset: int, count: int) -> bytes:
    """count words at offset of a character device, read in bounded pieces."""
    try:
        handle.seek(offset)
        seeks = True
    except (OSError, OverflowError, ValueError):
        seeks = False
    if not seeks:
        if offset > MAX_DEVICE_SKIP:
            raise InputError(f"{name} cannot seek: an offset past {MAX_DEVICE_SKIP} bytes "
                             "would be read and dropped")
        left = offset
        while left:
            piece = handle.read(min(left, 1 << 20))
            if not piece:
                raise InputError(f"offset {offset:#x} is past the end of {name}")
            left -= len(piece)
    wanted = WORD_BYTES * count
    data = handle.read(wanted)
    if len(data) != wanted:
        raise InputError(f"{name}: {count} words from offset {offset:#x} run past its end "
                         f"({len(data)} bytes there)")
    return data
