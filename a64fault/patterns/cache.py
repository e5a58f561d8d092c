"""On-disk cache of the compiled lookup index, so the scalar path starts without numpy.

The cache key is a digest of the table text and of the code that compiles it;
any change to either builds (and checks) the index afresh. The cache lives in
$A64FAULT_CACHE, else $XDG_CACHE_HOME/a64fault, else ~/.cache/a64fault; where
it cannot be read or written, the index is simply built in memory.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from array import array
from pathlib import Path

_COMPILER_SOURCES = ("reader.py", "table.py", "cache.py")


def cache_dir() -> Path:
    explicit = os.environ.get("A64FAULT_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "a64fault"


def digest(table_text: str) -> str:
    """A key naming this table text compiled by this version of the code."""
    h = hashlib.sha256(table_text.encode())
    here = Path(__file__).parent
    for name in _COMPILER_SOURCES:
        h.update((here / name).read_bytes())
    h.update(sys.byteorder.encode())
    return h.hexdigest()[:20]


def load(key: str, entries: int) -> array | None:
    """The cached index for ``key``, or None when absent or unreadable."""
    try:
        data = (cache_dir() / f"index-{key}.bin").read_bytes()
    except OSError:
        return None
    index = array("h")
    if len(data) != entries * index.itemsize:
        return None
    index.frombytes(data)
    return index


def store(key: str, index: array) -> None:
    """Write the index atomically; silently give up where the cache is not writable."""
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as tmp:
            tmp.write(index.tobytes())
        os.replace(tmp.name, folder / f"index-{key}.bin")
    except OSError:
        pass
