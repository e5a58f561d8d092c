"""Capstone's text for A64 instruction words, and which words of a stretch of
code it cannot decode (instruction ids only, no text): one shared Capstone
handle, called through ``capstone_lib`` without importing the Python binding."""

from __future__ import annotations

from typing import NamedTuple, TypeAlias

from ..errors import InputError
from ..word import WORD_BYTES, check_word
from .capstone_lib import Engine, engine

#: One instruction as a word (as the CPU reads it) or as its 4 bytes in memory order.
WordOrBytes: TypeAlias = "int | bytes | bytearray | memoryview"

#: Addresses are 64-bit: decode() refuses others instead of wrapping them.
ADDRESS_LIMIT = 1 << 64


class Text(NamedTuple):
    """Capstone's rendering of one instruction; str() gives ``"mnemonic op_str"``."""

    mnemonic: str
    op_str: str

    def __str__(self) -> str:
        return f"{self.mnemonic} {self.op_str}".rstrip()


def word_bytes(word_or_bytes: WordOrBytes) -> bytes:
    """The 4 memory bytes of an instruction given as an int word or as bytes.

    An int is the word as the CPU reads it, so its memory bytes are
    little-endian; bytes are taken as they sit in memory.
    """
    if isinstance(word_or_bytes, (bytes, bytearray, memoryview)):
        raw = bytes(word_or_bytes)
        if len(raw) != WORD_BYTES:
            raise InputError(f"an A64 instruction is 4 bytes, got {len(raw)}")
        return raw
    return check_word(word_or_bytes).to_bytes(WORD_BYTES, "little")


def decode(word_or_bytes: WordOrBytes, address: int = 0) -> Text | None:
    """Capstone's text for one A64 instruction, or None where Capstone cannot decode it.

    ``address`` is where the instruction sits (it changes PC-relative
    operands such as branch targets and literal addresses): an int in
    [0, 2**64), else InputError.
    """
    raw = word_bytes(word_or_bytes)
    if isinstance(address, bool) or not isinstance(address, int):
        raise InputError(f"an address must be an int, not {type(address).__name__}")
    if not 0 <= address < ADDRESS_LIMIT:
        raise InputError(f"address {address:#x} is outside the 64-bit address space")
    for _addr, _size, mnemonic, op_str in engine().texts(raw, WORD_BYTES, address, 1):
        return Text(mnemonic, op_str)
    return None


#: Bytes handed to Capstone per call when disassembling a stretch of code.
_BATCH = 1 << 14


def disassemble(code: bytes, address: int = 0,
                cs: Engine | None = None) -> list[tuple[int, int, str, str]]:
    """Capstone's (address, size, mnemonic, op_str) for every 4-byte word of
    ``code`` in order; a word Capstone cannot decode gives an empty mnemonic.

    One Capstone call runs over each stretch of decodable words (not one call
    per word), which is what makes long listings fast. ``cs``: the
    capstone_lib engine to use (default: the shared one).
    """
    cs = cs or engine()
    out: list[tuple[int, int, str, str]] = []
    end = len(code) - len(code) % WORD_BYTES
    position = 0
    while position < end:
        batch = bytes(code[position:min(end, position + _BATCH)])
        decoded = cs.texts(batch, len(batch), address + position)
        out += decoded
        position += WORD_BYTES * len(decoded)
        if len(decoded) < len(batch) // WORD_BYTES:
            # Capstone stops at a word it cannot decode: record it and go on after it.
            out.append((address + position, WORD_BYTES, "", ""))
            position += WORD_BYTES
    return out


#: Words handed to Capstone's C function per call in ``undecodable`` (its
#: instruction records, 256 bytes each, stay within a few MB).
_CHUNK_WORDS = 1 << 14


def undecodable(code: bytes) -> list[int]:
    """Indexes of the 4-byte words of ``code`` that Capstone cannot decode or
    decodes as ``udf`` (permanently undefined): the same words as ``decode``
    returning None or mnemonic ``udf`` one by one.

    Reads only the instruction ids of Capstone's records, so no Python
    object is made per word: a
    call decodes up to the first word it cannot decode (that word is
    recorded, the next call starts after it), over chunks of _CHUNK_WORDS.
    """
    import ctypes

    cs = engine()
    udf = cs.udf
    bad: list[int] = []
    words = len(code) // WORD_BYTES
    for chunk_start in range(0, words, _CHUNK_WORDS):
        chunk_words = min(_CHUNK_WORDS, words - chunk_start)
        chunk = bytearray(code[chunk_start * WORD_BYTES:(chunk_start + chunk_words) * WORD_BYTES])
        base = ctypes.c_char.from_buffer(chunk)
        at = 0
        while at < chunk_words:
            ids = cs.ids(ctypes.byref(base, at * WORD_BYTES), (chunk_words - at) * WORD_BYTES)
            got = len(ids)
            if got:
                k = -1
                while True:
                    try:
                        k = ids.index(udf, k + 1)
                    except ValueError:
                        break
                    bad.append(chunk_start + at + k)
            at += got
            if at < chunk_words:
                bad.append(chunk_start + at)  # Capstone stopped here: it cannot decode this word
                at += 1
        del base  # the chunk's buffer is exported while a ctypes object refers to it
    return bad


def undecodable_distinct(code: bytes) -> list[int]:
    """``undecodable(code)``, asking Capstone once per distinct word (with numpy).

    Whether Capstone decodes a word depends on the word alone, and long
    stretches of real code repeat most words (postgres's 1.3 M ``.text``
    words hold 0.27 M distinct ones), so this is several times faster there.
    """
    import numpy as np

    words = np.frombuffer(code, dtype="<u4", count=len(code) // WORD_BYTES)
    distinct, where = np.unique(words, return_inverse=True)
    bad_distinct = np.zeros(len(distinct), dtype=bool)
    bad_distinct[undecodable(distinct.astype("<u4").tobytes())] = True
    bad: list[int] = np.flatnonzero(bad_distinct[where.reshape(-1)]).tolist()
    return bad


#: A second address to disassemble at: its page and low bits differ from
#: those of the first (0), so every PC-relative operand prints differently.
_OTHER_BASE = 0x5555_5555_5000


def texts_at(words: list[bytes], addresses: list[int],
             cs: Engine | None = None) -> list[tuple[str, str]]:
    """Capstone's (mnemonic, op_str) for each 4-byte word at its address
    (("", "") where it cannot decode), asking Capstone about each distinct
    word once, plus once per occurrence of a word whose text depends on
    where it sits.

    A word's text depends on its address only through PC-relative operands,
    which Capstone prints as absolute targets (pc + offset, or pc's page +
    offset for adrp): a word that reads the same at two addresses whose
    pages and low bits differ does not depend on its address at all.
    """
    distinct = list(dict.fromkeys(words))
    code = b"".join(distinct)
    here = disassemble(code, 0, cs)
    there = disassemble(code, _OTHER_BASE, cs)
    fixed = {word: (a[2], a[3]) for word, a, b in zip(distinct, here, there)
             if a[2] == b[2] and a[3] == b[3]}
    out = []
    for word, address in zip(words, addresses):
        text = fixed.get(word)
        if text is None:
            _a, _s, mnemonic, op_str = disassemble(word, address, cs)[0]
            text = (mnemonic, op_str)
        out.append(text)
    return out
