"""Capstone's text for A64 instruction words (one shared Cs instance, disasm_lite)."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from ..errors import InputError
from ..word import WORD_BYTES, check_word

#: Addresses are 64-bit: decode() refuses others instead of wrapping them.
ADDRESS_LIMIT = 1 << 64


class Text(NamedTuple):
    """Capstone's rendering of one instruction; str() gives ``"mnemonic op_str"``."""

    mnemonic: str
    op_str: str

    def __str__(self) -> str:
        return f"{self.mnemonic} {self.op_str}".rstrip()


@lru_cache(maxsize=1)
def _capstone():
    import capstone

    return capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)


def word_bytes(word_or_bytes) -> bytes:
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


def decode(word_or_bytes, address: int = 0) -> Text | None:
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
    for _addr, _size, mnemonic, op_str in _capstone().disasm_lite(raw, address, 1):
        return Text(mnemonic, op_str)
    return None


#: Bytes handed to Capstone per call when disassembling a stretch of code.
_BATCH = 1 << 14


def disassemble(code: bytes, address: int = 0) -> list[tuple[int, int, str, str]]:
    """Capstone's (address, size, mnemonic, op_str) for every 4-byte word of
    ``code`` in order; a word Capstone cannot decode gives an empty mnemonic.

    One Capstone call runs over each stretch of decodable words (not one call
    per word), which is what makes long listings fast.
    """
    cs = _capstone()
    out: list[tuple[int, int, str, str]] = []
    end = len(code) - len(code) % WORD_BYTES
    position = 0
    while position < end:
        batch = code[position:min(end, position + _BATCH)]
        decoded = list(cs.disasm_lite(batch, address + position))
        out += decoded
        position += WORD_BYTES * len(decoded)
        if len(decoded) < len(batch) // WORD_BYTES:
            # Capstone stops at a word it cannot decode: record it and go on after it.
            out.append((address + position, WORD_BYTES, "", ""))
            position += WORD_BYTES
    return out
