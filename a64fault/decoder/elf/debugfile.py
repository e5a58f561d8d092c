"""Find the separate debug file of a stripped ELF file, as GDB does.

In order: the build-id (``<debug-dir>/.build-id/xx/rest.debug`` from the
``NT_GNU_BUILD_ID`` note), then ``.gnu_debuglink``'s file name next to the
file, in ``.debug/`` beside it, and under ``<debug-dir>/<the file's
directory>/``; a debuglink candidate counts only when its CRC-32 matches the
one the link records.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from ...errors import InputError, open_input
from .headers import SHT_NOTE, ElfLayout, c_string

#: Where distributions install debug files (``--debug-dir`` changes it).
DEFAULT_DEBUG_DIR = Path("/usr/lib/debug")
_NT_GNU_BUILD_ID = 3
_NOTE = struct.Struct("III")  # namesz, descsz, type


def build_id(layout: ElfLayout) -> str | None:
    """The GNU build-id of the file as hex, or None."""
    order = "<" if layout.little_endian else ">"
    for section in layout.sections:
        if section.sh_type != SHT_NOTE or section.size > 1 << 16:
            continue
        notes = layout.bytes_at(section.offset, section.size, f"section {section.name}")
        at = 0
        while at + _NOTE.size <= len(notes):
            namesz, descsz, kind = struct.unpack_from(order + _NOTE.format, notes, at)
            name_at = at + _NOTE.size
            desc_at = name_at + _align4(namesz)
            if desc_at + descsz > len(notes):
                break
            if kind == _NT_GNU_BUILD_ID and notes[name_at:name_at + namesz] == b"GNU\0":
                return notes[desc_at:desc_at + descsz].hex() or None
            at = desc_at + _align4(descsz)
    return None


def debuglink(layout: ElfLayout) -> tuple[str, int] | None:
    """(file name, CRC-32) recorded in ``.gnu_debuglink``, or None."""
    section = layout.section_named(".gnu_debuglink")
    if section is None or section.size > 4096:
        return None
    raw = layout.bytes_at(section.offset, section.size, "section .gnu_debuglink")
    name = c_string(raw, 0)
    crc_at = _align4(len(name.encode()) + 1)
    if not name or "/" in name or crc_at + 4 > len(raw):
        return None
    (crc,) = struct.unpack_from(("<" if layout.little_endian else ">") + "I", raw, crc_at)
    return name, crc


def find_debug_file(layout: ElfLayout, path: str | os.PathLike[str],
                    debug_dir: str | os.PathLike[str] = DEFAULT_DEBUG_DIR) -> Path | None:
    """The separate debug file of ``path`` (whose headers ``layout`` holds), or None."""
    path = Path(path)
    debug_dir = Path(debug_dir)
    ident = build_id(layout)
    if ident and len(ident) > 2:
        candidate = debug_dir / ".build-id" / ident[:2] / f"{ident[2:]}.debug"
        if candidate.is_file():
            return candidate
    link = debuglink(layout)
    if link is None:
        return None
    name, crc = link
    folder = path.resolve().parent
    for candidate in (folder / name, folder / ".debug" / name,
                      debug_dir / folder.relative_to(folder.anchor) / name):
        if not candidate.is_file():
            continue
        try:
            if candidate.samefile(path):
                continue
            if _crc32(candidate) == crc:
                return candidate
        except (InputError, OSError):
            continue
    return None


def _crc32(path: Path) -> int:
    crc = 0
    with open_input(path, "debug file") as handle:
        while chunk := handle.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def _align4(n: int) -> int:
    return (n + 3) & ~3
