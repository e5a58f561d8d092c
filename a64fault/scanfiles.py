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
from collections.abc import Iterable
from dataclasses import dataclass, field

ELF_MAGIC = b"\x7fELF"


@dataclass
class Found:
    """The files to scan, in order, and how many directory entries were skipped."""

    files: list[str] = field(default_factory=list)
    skipped: int = 0


def _is_elf(path: str) -> bool:
    """Whether ``path`` is a regular file starting with the ELF magic.

    Opened non-blocking (a FIFO put in the place of the file the walk saw
    never blocks) and read only if fstat() says it is still a regular file:
    open_input's rules, without its file object and extra system calls
    (the walk of a distribution looks at thousands of files).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, len(ELF_MAGIC)) == ELF_MAGIC
    except OSError:
        return False
    finally:
        os.close(fd)


def find_files(arguments: Iterable[str]) -> Found:
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
