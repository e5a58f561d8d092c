"""The files a scan covers: arguments as given, directories walked recursively.

A file named as an argument is scanned whatever it holds (a non-ELF file is
then an error of that file). Under a directory, only regular files that
start with the ELF magic are scanned; the others (text, scripts, archives,
FIFOs, sockets, devices) are counted as skipped and never opened for long:
the magic check reads 4 bytes of regular files only. Symbolic links are
followed, but every file and directory is visited once (by device and
inode), so a link loop or a ``libfoo.so.1 -> libfoo.so.1.2`` pair costs no
second scan. Entries are visited in name order, so runs are reproducible.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from .errors import InputError, open_input

ELF_MAGIC = b"\x7fELF"


@dataclass
class Found:
    """The files to scan, in order, and how many directory entries were skipped."""

    files: list[str] = field(default_factory=list)
    skipped: int = 0


def _is_elf(path: str) -> bool:
    try:
        with open_input(path, "file") as handle:  # never blocks on a FIFO put in its place
            return handle.read(len(ELF_MAGIC)) == ELF_MAGIC
    except (InputError, OSError):
        return False


def find_files(arguments) -> Found:
    """Expand ``arguments`` (files and directories) into the files to scan."""
    found = Found()
    seen: set[tuple[int, int]] = set()

    def visit_dir(folder: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            found.skipped += 1
            return
        for entry in entries:
            try:
                info = entry.stat()  # follows symbolic links
            except OSError:  # a dangling link
                found.skipped += 1
                continue
            identity = (info.st_dev, info.st_ino)
            if identity in seen:
                continue
            seen.add(identity)
            if stat.S_ISDIR(info.st_mode):
                visit_dir(entry.path)
            elif stat.S_ISREG(info.st_mode) and _is_elf(entry.path):
                found.files.append(entry.path)
            else:
                found.skipped += 1

    for argument in arguments:
        try:
            info = os.stat(argument)
        except OSError:
            found.files.append(argument)  # its scan reports the error
            continue
        if stat.S_ISDIR(info.st_mode):
            identity = (info.st_dev, info.st_ino)
            if identity not in seen:
                seen.add(identity)
                visit_dir(argument)
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in seen:
            continue
        seen.add(identity)
        found.files.append(argument)
    return found
