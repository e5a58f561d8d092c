"""Inputs and disassembly: instruction words from text, raw bytes and ELF files; Capstone text.

* ``decode(word_or_bytes, address=0)`` (disasm.py): Capstone's ``Text`` or None;
* ``parse_words``, ``parse_bytes``, ``read_file_words`` (words.py):
  words from hex text, memory bytes and raw files;
* ``ElfImage`` (elf.py): words, symbols, code ranges and mapping symbols of an
  AArch64 ELF (imported on first use: it needs pyelftools).
"""

from .disasm import Text, decode
from .words import Fetched, parse_bytes, parse_words, read_file_words

__all__ = ["ElfImage", "Fetched", "Text", "decode", "parse_bytes", "parse_words",
           "read_file_words"]


def __getattr__(name):
    if name == "ElfImage":
        from .elf import ElfImage

        return ElfImage
    raise AttributeError(name)
