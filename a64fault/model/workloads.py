"""Built-in workloads and size parsing.

A built-in workload is a sweep: a program of instructions (words from
encodings.py, as LLVM assembled them) executed at every ``stride`` bytes of a
range, in address order. ``madv-populate-write`` has no instructions: the
kernel populates every page of the range as a write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError
from .cpu import POPULATE_WRITE, Op
from .encodings import WORDS

_PROGRAMS = {
    "pretouch-lse": ("stadd wzr, [x0]",),
    "pretouch-llsc": ("ldxr w8, [x0]", "add w8, w8, #0", "stxr w9, w8, [x0]"),
    "memset": ("str xzr, [x0]",),
    "populate-read": ("ldrb w8, [x0]",),
    "read-then-write": ("ldr x8, [x0]", "str x8, [x0]"),
}
#: workload -> one line for ``a64fault simulate --help``.
DESCRIPTIONS = {
    "pretouch-lse": "OpenJDK 18-22 Atomic::add(p, 0) per page with LSE (stadd wzr)",
    "pretouch-llsc": "the same without LSE: ldxr / add / stxr per page",
    "memset": "one store per page",
    "populate-read": "QEMU-style one byte load per page",
    "read-then-write": "a load then a store per page",
    "madv-populate-write": "MADV_POPULATE_WRITE over the range (no user faults)",
    "trace": "replay the CSV or JSON Lines trace of (word or asm, address) in --trace FILE",
}
POPULATE = "madv-populate-write"
TRACE = "trace"
BUILTIN = tuple(_PROGRAMS) + (POPULATE,)
WORKLOADS = BUILTIN + (TRACE,)


@dataclass(frozen=True)
class Workload:
    """A built-in sweep: ``ops`` run at each stride step of the range."""

    name: str
    ops: tuple

    @property
    def populates(self) -> bool:
        return self.name == POPULATE


def builtin(name: str) -> Workload:
    """The built-in workload ``name`` (InputError when unknown)."""
    if name == POPULATE:
        return Workload(name, (POPULATE_WRITE,))
    if name not in _PROGRAMS:
        raise InputError(f"unknown workload {name!r}: choose one of {', '.join(WORKLOADS)}")
    return Workload(name, tuple(Op.of(WORDS[asm], asm) for asm in _PROGRAMS[name]))


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}
_SIZE = re.compile(r"(\d+)\s*([KMGTP]?)(I?B)?", re.IGNORECASE)
_HEX = re.compile(r"0x[0-9a-f]+", re.IGNORECASE)


def parse_size(text: str | int, what: str = "size", *, allow_zero: bool = False) -> int:
    """Bytes in a size like ``4096``, ``0x1000``, ``4K``, ``2M``, ``1G``, ``1TiB`` (binary units).

    ``what`` names the value in errors (e.g. ``--stride``); zero is an error
    unless ``allow_zero``.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif _HEX.fullmatch(str(text).strip()):
        value = int(str(text).strip(), 16)
    else:
        match = _SIZE.fullmatch(str(text).strip())
        if not match or (match.group(3) and match.group(3).upper() == "IB" and not match.group(2)):
            raise InputError(f"bad {what} {text!r}: expected a number with an optional K, M, G, "
                             "T or P suffix (binary units), e.g. 4K, 2M, 1G, or 0x hex bytes")
        value = int(match.group(1)) * _UNITS[match.group(2).upper()]
    if value < 0 or (value == 0 and not allow_zero):
        raise InputError(f"bad {what} {text!r}: must be {'>= 0' if allow_zero else 'positive'}")
    return value


def page_aligned(value: int, what: str, page_size: int = 4096) -> int:
    """``value`` if it is a multiple of the page (``page_size`` bytes), else InputError."""
    if value % page_size:
        raise InputError(f"{what} {value:#x} is not a multiple of the {page_size >> 10} KiB page")
    return value
