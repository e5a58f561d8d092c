"""Built-in workloads (sizes are parsed by a64fault.numbers.parse_size, re-exported here).

A built-in workload is a sweep: a program of instructions (words from
encodings.py, as LLVM assembled them) executed at every ``stride`` bytes of a
range, in address order. ``madv-populate-write`` has no instructions: the
kernel populates every page of the range as a write.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..numbers import parse_size as parse_size  # re-exported: the model's users import it here
from .cpu import POPULATE_WRITE, Op, Program
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
    ops: Program

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


def page_aligned(value: int, what: str, page_size: int = 4096) -> int:
    """``value`` if it is a multiple of the page (``page_size`` bytes), else InputError."""
    if value % page_size:
        raise InputError(f"{what} {value:#x} is not a multiple of the {page_size >> 10} KiB page")
    return value
