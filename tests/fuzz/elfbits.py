"""Hostile ELF files: generated headers and section tables, and mutants of the fixtures;
``exercise`` runs every reader entry point on one file."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import tempfile
from contextlib import contextmanager
from pathlib import Path

from hypothesis import strategies as st

from a64fault.decoder.elf import ElfImage
from a64fault.scan import scan_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "elf"
EM_AARCH64 = 183
SHF_ALLOC_EXEC = 0x6


def scratch_dir() -> str:
    """A directory for mutant files, in memory when /dev/shm exists (a disk write per
    mutant would cost milliseconds)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix="a64fault-fuzz-", dir=base)


@contextmanager
def special_files():
    """A scratch directory holding a FIFO, a listening socket, a directory and an ELF file
    (``fifo``, ``sock``, ``dir``, ``elf``): what a file-name surface should meet."""
    directory = scratch_dir()
    os.mkfifo(os.path.join(directory, "fifo"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(os.path.join(directory, "sock"))
    os.mkdir(os.path.join(directory, "dir"))
    shutil.copy(FIXTURES / "tiny-le", os.path.join(directory, "elf"))
    try:
        yield directory
    finally:
        server.close()
        shutil.rmtree(directory, ignore_errors=True)


def exercise(path) -> int:
    """Open ``path`` as an ELF and use every query a command makes; scan it. Returns the
    number of instructions scanned (InputError propagates)."""
    with ElfImage(path) as image:
        ranges = image.executable_ranges()
        image.mapping_symbols()
        for _, vaddr, _, size in ranges[:3]:
            image.symbolize(vaddr)
            image.mapping_at(vaddr)
            if size >= 4:
                image.words_at(vaddr, 1)
                image.describe(vaddr)
        for name in ("main", "add_one", "pretouch+0x4", ".text+8", "nope-1"):
            try:
                image.address_of(name)
            except ValueError:
                pass  # InputError is a ValueError; only it may come out
    return scan_file(path, limit=4).instructions


def _u(bits):
    top = (1 << bits) - 1
    return st.one_of(st.sampled_from([0, 1, 4, 8, 64, 0x40, 0x1000, top, top >> 1, (top >> 1) + 1]),
                     st.integers(0, top), st.integers(0, 4096))


SECTION = st.tuples(
    st.integers(0, 64),                                        # sh_name
    st.one_of(st.sampled_from([0, 1, 2, 3, 4, 8, 9, 11, 0x70000003]), _u(32)),  # sh_type
    st.one_of(st.sampled_from([0, SHF_ALLOC_EXEC, 2]), _u(64)),  # sh_flags
    _u(64),                                                     # sh_addr
    _u(64),                                                     # sh_offset
    _u(64),                                                     # sh_size
    st.integers(0, 8), st.integers(0, 8),                       # sh_link, sh_info
    st.one_of(st.sampled_from([0, 1, 4, 8, 1 << 63]), _u(64)),  # sh_addralign
    st.one_of(st.sampled_from([0, 16, 24]), _u(64)),            # sh_entsize
)
SEGMENT = st.tuples(st.sampled_from([1, 2, 4, 0x6474E551, 0x70000003]), st.integers(0, 7),
                    _u(64), _u(64), _u(64), _u(64), _u(64), _u(64))


@st.composite
def elf_files(draw) -> bytes:
    """ELF64 files: header fields, a section table and program headers, all drawn."""
    endian = draw(st.sampled_from("<>"))
    klass = draw(st.sampled_from([2, 2, 2, 1, 0, 3]))
    data_byte = 1 if endian == "<" else 2
    if draw(st.booleans()):
        data_byte = draw(st.integers(0, 3))
    payload = draw(st.binary(max_size=256))
    sections = draw(st.lists(SECTION, max_size=6))
    segments = draw(st.lists(SEGMENT, max_size=3))
    shoff = 64 + len(payload)
    phoff = shoff + 64 * len(sections)
    shoff = draw(st.one_of(st.just(shoff), _u(64)))
    phoff = draw(st.one_of(st.just(phoff), _u(64)))
    header = b"\x7fELF" + bytes([klass, data_byte, 1, 0]) + bytes(8) + struct.pack(
        endian + "HHIQQQIHHHHHH",
        draw(st.sampled_from([1, 2, 3, 4, 0xFE00])),
        draw(st.sampled_from([EM_AARCH64] * 4 + [0, 62, 0xFFFF])),
        draw(st.sampled_from([1, 0, 0xFFFFFFFF])), draw(_u(64)), phoff, shoff,
        draw(_u(32)), draw(st.sampled_from([64, 0, 0xFFFF])),
        draw(st.sampled_from([56, 0, 0xFFFF])), len(segments) if draw(st.booleans()) else draw(_u(16)),
        draw(st.sampled_from([64, 0, 40, 0xFFFF])),
        len(sections) if draw(st.booleans()) else draw(_u(16)),
        draw(st.one_of(st.integers(0, max(len(sections) - 1, 0)), _u(16))),
    )
    table = b"".join(struct.pack(endian + "IIQQQQIIQQ", *section) for section in sections)
    headers = b"".join(struct.pack(endian + "IIQQQQQQ", *segment) for segment in segments)
    return header + payload + table + headers


def truncations(data: bytes):
    """Every prefix of data, shortest first."""
    for length in range(len(data)):
        yield data[:length]


#: Values a corrupted field takes: zero, its top bit alone, all ones (cut to the field's width).
CORRUPT = (0, None, (1 << 64) - 1)
#: More values, under ``pytest -m fuzz``.
CORRUPT_MORE = (1, 0xFF, 0xFFFF, 0xFFFFFFFF, 1 << 31, 1 << 63)


def _fields(data: bytes):
    """(offset, size) of every ELF64 header field, and of every section-header and
    program-header field the file's header points at (where they lie inside the file)."""
    header = [(16, 2), (18, 2), (20, 4), (24, 8), (32, 8), (40, 8), (48, 4), (52, 2), (54, 2),
              (56, 2), (58, 2), (60, 2), (62, 2)]
    fields = [(4, 1), (5, 1), (6, 1)] + header
    if len(data) < 64 or data[4] != 2:
        return fields
    endian = "<" if data[5] == 1 else ">"
    phoff, shoff = struct.unpack_from(endian + "QQ", data, 32)
    phnum = struct.unpack_from(endian + "H", data, 56)[0]
    shnum = struct.unpack_from(endian + "H", data, 60)[0]
    section = [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 4), (44, 4), (48, 8), (56, 8)]
    segment = [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8), (48, 8)]
    for i in range(shnum):
        if shoff + 64 * (i + 1) <= len(data):
            fields += [(shoff + 64 * i + at, size) for at, size in section]
    for i in range(phnum):
        if phoff + 56 * (i + 1) <= len(data):
            fields += [(phoff + 56 * i + at, size) for at, size in segment]
    return fields


def corruptions(data: bytes, more: bool = False):
    """data with one header, section-header or program-header field set to each CORRUPT
    value (and CORRUPT_MORE with ``more``), in the file's byte order."""
    little = len(data) > 5 and data[5] == 1
    for offset, size in _fields(data):
        for value in CORRUPT + (CORRUPT_MORE if more else ()):
            top = 1 << (8 * size - 1)
            value = top if value is None else value & ((top << 1) - 1)
            mutant = bytearray(data)
            mutant[offset:offset + size] = value.to_bytes(size, "little" if little else "big")
            yield bytes(mutant)
