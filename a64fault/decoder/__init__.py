"""Inputs and disassembly: instruction words from text, raw bytes and ELF files; Capstone text.

* ``decode(word_or_bytes, address=0)`` (disasm.py): Capstone's ``Text`` or None;
* ``parse_words``, ``parse_bytes``, ``read_file_words`` (words.py):
  words from hex text, memory bytes and raw files;
* ``ElfImage`` (elf.py): words, symbols, code ranges and mapping symbols of an
  AArch64 ELF (imported on first use: it needs pyelftools).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .disasm import Text, decode
from .words import Fetched, parse_bytes, parse_words, read_file_words

__all__ = ["ElfImage", "Fetched", "Text", "decode", "parse_bytes", "parse_words",
           "read_file_words"]

if TYPE_CHECKING:
    from .elf import ElfImage


def __getattr__(name: str) -> type[ElfImage]:
    if name == "ElfImage":
        from .elf import ElfImage

        return ElfImage
    raise AttributeError(name)
