"""Inputs and disassembly: instruction words from text, raw bytes and ELF files; Capstone text.

* ``ElfImage`` (elf.py): words, symbols, code ranges and mapping symbols of an AArch64 ELF.
"""

from .elf import ElfImage

__all__ = ["ElfImage"]
