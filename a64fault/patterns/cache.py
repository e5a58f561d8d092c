"""On-disk cache of the compiled tables (the scalar lookup index, the vector
tables), so a process starts without recompiling the pattern table or
importing numpy.

An entry is one file, ``<name>-<key>.bin``: a fixed magic line, a header
(length, JSON and its CRC-32) naming each blob with its length and CRC-32,
then the blobs, each starting at a multiple of ALIGN bytes (zero padding).
``key`` is a digest of the table text and of the code that compiles it, so
any change to either builds (and checks) the tables afresh. A file that does
not verify (truncated, garbage, a different key or layout) is ignored, and
the caller rebuilds and rewrites it; checking a CRC-32 costs about a
millisecond per 8 MB.

The cache lives in $A64FAULT_CACHE, else $XDG_CACHE_HOME/a64fault, else
~/.cache/a64fault; where it cannot be read or written, the tables are simply
built in memory (never an error).
"""

from __future__ import annotations

import json
import mmap
import os
import stat
import struct
import sys
import zlib
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple

#: The sources whose change invalidates every entry.
_COMPILER_SOURCES = ("reader.py", "table.py", "cache.py", "../vector.py")
_MAGIC = b"a64fault cache 3\n"
#: Every blob starts at a multiple of this many bytes of the file (so of the
#: bytes object it is read into): numpy arrays over unaligned blobs are
#: several times slower to index (a 3,000-word classification: 68 -> 945 us).
ALIGN = 64
_HEADER_SIZE = struct.Struct("<II")  # JSON length, its CRC-32


class Entry(NamedTuple):
    """A verified cache entry: its metadata and its blobs (read-only views)."""

    meta: dict[str, Any]  # JSON (json.loads), read by key by whoever stored it
    blobs: dict[str, memoryview]


def cache_dir() -> Path:
    explicit = os.environ.get("A64FAULT_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "a64fault"


def digest(table_text: str) -> str:
    """A key naming this table text compiled by this version of the code.

    CRC-32 and Adler-32 of the inputs (and their length) in 80 bits rather
    than a cryptographic hash: the key only has to change when a developer
    changes the table or the compiler, and ``hashlib``'s import (it loads
    OpenSSL) cost about a tenth of a small scan's start.
    """
    here = Path(__file__).parent
    data = b"\0".join([table_text.encode(), *((here / name).read_bytes()
                                              for name in _COMPILER_SOURCES),
                       sys.byteorder.encode()])
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data) % (1 << 16):04x}"


def path_of(name: str, key: str) -> Path:
    return cache_dir() / f"{name}-{key}.bin"


def load(name: str, key: str) -> Entry | None:
    """The entry ``name`` for ``key`` if present and intact, else None.

    The file is mapped, not read: its blobs are views of the mapping (no
    8 MB copy at every start); it is opened without blocking and used only
    if it is a non-empty regular file.
    """
    try:
        fd = os.open(path_of(name, key), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            return None
        data = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return _verified(data, key)


def _verified(data: bytes | mmap.mmap, key: str) -> Entry | None:
    start = len(_MAGIC) + _HEADER_SIZE.size
    if data[:len(_MAGIC)] != _MAGIC or len(data) < start:
        return None
    length, crc = _HEADER_SIZE.unpack_from(data, len(_MAGIC))
    header = data[start:start + length]
    if len(header) != length or zlib.crc32(header) != crc:
        return None
    try:
        parsed = json.loads(header)
        meta, layout = parsed["meta"], parsed["blobs"]
        if parsed["key"] != key or not isinstance(meta, dict):
            return None
        view = memoryview(data)
        at = _aligned(start + length)
        blobs = {}
        for blob_name, size, blob_crc in layout:
            blob = view[at:at + size]
            if len(blob) != size or zlib.crc32(blob) != blob_crc:
                return None
            blobs[blob_name] = blob
            at = _aligned(at + size)
    except (ValueError, KeyError, TypeError):
        return None
    if at != len(data):
        return None
    return Entry(meta, blobs)


def _aligned(offset: int) -> int:
    """offset rounded up to a multiple of ALIGN."""
    return -(-offset // ALIGN) * ALIGN


def store(name: str, key: str, blobs: dict[str, bytes], meta: dict[str, object] | None = None) -> None:
    """Write an entry atomically; silently give up where the cache is not writable."""
    header = json.dumps({"key": key, "meta": meta or {},
                         "blobs": [[n, len(b), zlib.crc32(b)] for n, b in blobs.items()]},
                        separators=(",", ":")).encode()
    import tempfile

    written = None
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as tmp:
            written = tmp.name
            head = _MAGIC + _HEADER_SIZE.pack(len(header), zlib.crc32(header)) + header
            tmp.write(head + bytes(_aligned(len(head)) - len(head)))
            for blob in blobs.values():
                tmp.write(blob)
                tmp.write(bytes(_aligned(len(blob)) - len(blob)))
        os.replace(written, path_of(name, key))
    except OSError:
        if written is not None:
            with suppress(OSError):
                os.unlink(written)
