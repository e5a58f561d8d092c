"""A newc ("070701") cpio archive writer: the format the kernel unpacks as an initramfs."""

from __future__ import annotations

import stat
from dataclasses import dataclass

TRAILER = "TRAILER!!!"


@dataclass(frozen=True)
class Entry:
    """One archive member: a directory, a regular file (``data``) or a device node."""

    name: str
    mode: int
    data: bytes = b""
    rdev: tuple[int, int] = (0, 0)


def directory(name: str, perm: int = 0o755) -> Entry:
    return Entry(name, stat.S_IFDIR | perm)


def regular(name: str, data: bytes, perm: int = 0o644) -> Entry:
    return Entry(name, stat.S_IFREG | perm, data)


def char_device(name: str, major: int, minor: int, perm: int = 0o600) -> Entry:
    return Entry(name, stat.S_IFCHR | perm, rdev=(major, minor))


def _pad(length: int) -> bytes:
    return b"\0" * (-length % 4)


def _member(ino: int, entry: Entry) -> bytes:
    name = entry.name.encode() + b"\0"
    fields = (ino, entry.mode, 0, 0, 1, 0, len(entry.data), 0, 0,
              entry.rdev[0], entry.rdev[1], len(name), 0)
    header = b"070701" + b"".join(b"%08X" % value for value in fields)
    return header + name + _pad(len(header) + len(name)) + entry.data + _pad(len(entry.data))


def archive(entries: list[Entry]) -> bytes:
    """The newc archive of ``entries`` (uid/gid 0, mtime 0: the same bytes every time)."""
    members = [_member(ino, entry) for ino, entry in enumerate(entries, start=1)]
    members.append(_member(0, Entry(TRAILER, 0)))
    data = b"".join(members)
    return data + _pad(len(data))
