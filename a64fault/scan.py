"""Scan the code of an AArch64 ELF file: classify every instruction in one vector pass.

The executable sections (or, in a file without sections, the executable
PT_LOAD segments) come from ``ElfImage.executable_ranges()``; their bytes are
read as numpy views of an mmap of the file (A64 code is little-endian even in
big-endian ELF files), classified by ``vector.classify_rows``, counted per
kind and feature, and the instructions a policy would upgrade (or of chosen
kinds) are listed with symbol and Capstone text — Capstone runs only on those.

Words overlapping a ``$d`` mapping-symbol range (literal pools, jump tables)
are data: not counted as instructions and never listed.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import vector
from .errors import InputError
from .kinds import KINDS_BY_CODE, Kind
from .patterns import default_table
from .policies import DEFAULT_POLICY, KERNEL_V5, POLICY_KINDS, check_policy

WORD_BYTES = 4
#: Row code given to data words (below NO_ROW = -1).
DATA = -2
#: Shift that makes every code (DATA, NO_ROW, rows) a non-negative index.
SHIFT = 2
#: Words per bincount/listing step (bounds the temporaries).
STEP = 1 << 20
BASE_FEATURE = "base"


@dataclass
class ScanResult:
    """What one file holds: counts by kind and feature, and the listed instructions."""

    file: str
    instructions: int = 0
    data_words: int = 0
    ranges: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    listed: list = field(default_factory=list)
    selection: str = ""

    def as_json(self) -> dict:
        return {"file": self.file, "instructions": self.instructions,
                "data_words": self.data_words, "sections": [r[0] for r in self.ranges],
                "selection": self.selection, "counts": self.counts,
                "features": self.features, "listed": self.listed}


def data_ranges(mapping_symbols, ranges) -> list[tuple[int, int]]:
    """[start, end) address ranges marked ``$d``: each runs to the next mapping
    symbol or the end of its executable range, whichever comes first."""
    ends = sorted(vaddr + size for _, vaddr, _, size in ranges)
    out = []
    for i, (start, kind) in enumerate(mapping_symbols):
        if kind != "$d":
            continue
        end = mapping_symbols[i + 1][0] if i + 1 < len(mapping_symbols) else None
        range_end = next((e for e in ends if e > start), start)
        end = range_end if end is None else min(end, range_end)
        if end > start:
            out.append((start, end))
    return out


def open_image(path):
    """ElfImage of path, reading its symbol tables with numpy (see _NumpySymbols)."""
    from .decoder import elf

    base = elf.ElfImage
    if not hasattr(base, "_read_symbols") or not hasattr(elf, "_Symbol"):
        return base(path)
    return _numpy_symbols_class(base)(path)


def _numpy_symbols_class(base):
    """A subclass of ElfImage whose _read_symbols parses Elf64_Sym with numpy.

    ElfImage reads every symbol through pyelftools' per-symbol parser, about
    2 s for the 45 000 dynamic symbols of libLLVM: 20 times the vector pass.
    This is the same rule as ElfImage._read_symbols (tests compare the two on
    every fixture), done on whole arrays; it belongs in decoder/elf.py.
    """
    global _NUMPY_SYMBOLS
    if _NUMPY_SYMBOLS is not None:
        return _NUMPY_SYMBOLS
    from .decoder import elf as elf_module

    class NumpySymbols(base):
        def _read_symbols(self, elf, sections):
            if self.elfclass != 64:
                return super()._read_symbols(elf, sections)
            return _read_symbols_numpy(self, elf, sections, elf_module)

    _NUMPY_SYMBOLS = NumpySymbols
    return NumpySymbols


_NUMPY_SYMBOLS = None
#: STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_TLS, STT_GNU_IFUNC: types that name code or data.
_NAMED_TYPE_CODES = (0, 1, 2, 6, 10)
_SHN_LORESERVE = 0xFF00


def _read_symbols_numpy(image, elf, sections, elf_module):
    order = "<" if image.little_endian else ">"
    sym_dtype = np.dtype([("name", order + "u4"), ("info", "u1"), ("other", "u1"),
                          ("shndx", order + "u2"), ("value", order + "u8"),
                          ("size", order + "u8")])
    exec_sections = np.array(
        [index for index, section in enumerate(sections)
         if elf_module._has_bytes(section)
         and section["sh_flags"] & elf_module.SH_FLAGS.SHF_EXECINSTR], dtype=np.int64)
    bases = np.zeros(max(len(sections), 1), dtype=np.uint64)
    if image.elf_type == "ET_REL":
        for index, base in image._section_base.items():
            bases[index] = base
    symbols, mapping = [], set()
    for table_name in (".symtab", ".dynsym"):
        # Not elf.get_section_by_name: it rebuilds every section object, and
        # pyelftools parses whole hash tables while doing so.
        table = next((t for t in sections if t.name == table_name), None)
        if table is None or table["sh_type"] not in ("SHT_SYMTAB", "SHT_DYNSYM"):
            continue
        strtab = sections[table["sh_link"]]
        strings = bytes(image._data[strtab["sh_offset"]:strtab["sh_offset"] + strtab["sh_size"]])
        count = table["sh_size"] // sym_dtype.itemsize
        entries = np.frombuffer(image._data, dtype=sym_dtype, count=count,
                                offset=table["sh_offset"])
        shndx = entries["shndx"].astype(np.int64)
        keep = (shndx != 0) & (shndx < _SHN_LORESERVE)
        vaddr = entries["value"].copy()
        if image.elf_type == "ET_REL":
            vaddr[keep] += bases[np.minimum(shndx[keep], len(bases) - 1)]
        # Mapping symbols ("$x", "$d", "$x.foo"...) by their first three name bytes.
        raw = np.frombuffer(strings + b"\0\0\0", dtype=np.uint8)
        offsets = entries["name"].astype(np.int64)
        offsets = np.where(offsets < len(strings), offsets, len(strings))
        third = raw[offsets + 2]
        is_mapping = (raw[offsets] == ord("$")) & np.isin(raw[offsets + 1], (ord("x"), ord("d"))) \
            & ((third == 0) | (third == ord(".")))
        if table_name == ".symtab":
            here = keep & is_mapping & np.isin(shndx, exec_sections)
            for addr, letter in zip(vaddr[here].tolist(), raw[offsets[here] + 1].tolist()):
                mapping.add((addr, "$" + chr(letter)))
        named = keep & ~is_mapping & (offsets < len(strings)) & (raw[offsets] != 0) \
            & np.isin(entries["info"] & 0xF, _NAMED_TYPE_CODES)
        make = elf_module._Symbol
        found = [make(strings[start:strings.find(b"\0", start)].decode("utf-8", "replace"),
                      addr, size, info >> 4 != 0)
                 for start, addr, size, info in zip(offsets[named].tolist(), vaddr[named].tolist(),
                                                    entries["size"][named].tolist(),
                                                    entries["info"][named].tolist())]
        if found:
            symbols = found
            break
    return symbols, sorted(mapping)


def _selector(policy: str | None, kinds) -> tuple[np.ndarray | None, object, str]:
    """(accept per shifted row code, word predicate or None, label) of the listing."""
    table = default_table()
    if kinds:
        wanted = {Kind(k) for k in kinds}
        label = "kind " + ",".join(sorted(k.value for k in wanted))
    else:
        policy = check_policy(policy or DEFAULT_POLICY)
        label = f"policy {policy}"
        if policy == KERNEL_V5:
            from .audit import preset

            masks, values = preset(KERNEL_V5).arrays()
            return None, (masks.astype(np.uint32), values.astype(np.uint32)), label
        wanted = POLICY_KINDS[policy]
    accept = np.zeros(len(table.rows) + SHIFT, dtype=bool)
    for code, row in enumerate(table.rows):
        accept[code + SHIFT] = row.kind in wanted
    if Kind.OTHER in wanted:
        accept[SHIFT - 1] = True  # NO_ROW words are kind other
    return accept, None, label


def _cube_hits(words: np.ndarray, cubes) -> np.ndarray:
    masks, values = cubes
    hit = np.zeros(len(words), dtype=bool)
    for m, v in zip(masks.tolist(), values.tolist()):
        hit |= (words & np.uint32(m)) == np.uint32(v)
    return hit


def scan_file(path, policy: str | None = DEFAULT_POLICY, kinds=None, decode_text=True) -> ScanResult:
    """Classify the code of one ELF file (see the module docstring)."""
    accept, cubes, label = _selector(policy, kinds)
    table = default_table()
    vt = vector.vector_table(table)
    result = ScanResult(str(path), selection=label)
    row_counts = np.zeros(len(table.rows) + SHIFT, dtype=np.int64)
    with open_image(path) as image, open(path, "rb") as handle:
        ranges = image.executable_ranges()
        result.ranges = ranges
        data = data_ranges(image.mapping_symbols(), ranges)
        size = Path(path).stat().st_size
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else None
        try:
            for name, vaddr, offset, length in ranges:
                count = length // WORD_BYTES
                if count == 0:
                    continue
                if offset + count * WORD_BYTES > size:
                    raise InputError(f"{path}: truncated ELF: {name} runs past the end of the file")
                words = np.frombuffer(mapped, dtype="<u4", count=count, offset=offset)
                rows = vector.classify_rows(words, table)
                for start, end in data:
                    lo = max(0, (start - vaddr) // WORD_BYTES)
                    hi = min(count, -(-(end - vaddr) // WORD_BYTES))
                    if lo < hi:
                        rows[lo:hi] = DATA
                for s in range(0, count, STEP):
                    chunk = rows[s:s + STEP].astype(np.intp) + SHIFT
                    row_counts += np.bincount(chunk, minlength=len(row_counts))
                    if accept is not None:
                        picked = np.flatnonzero(accept[chunk])
                    else:
                        picked = np.flatnonzero(_cube_hits(words[s:s + STEP], cubes)
                                                & (chunk != DATA + SHIFT))
                    for i in (picked + s).tolist():
                        result.listed.append(_listing(image, vaddr + WORD_BYTES * i,
                                                      int(words[i]), int(rows[i]), decode_text))
                del words
        finally:
            if mapped is not None:
                try:
                    mapped.close()
                except BufferError:  # a view still alive after an error: the GC closes it
                    pass
    _fill_counts(result, row_counts, vt)
    return result


def _listing(image, address: int, word: int, row: int, decode_text: bool) -> dict:
    from .decoder import decode

    table = default_table()
    kind = table.rows[row].kind if row >= 0 else Kind.OTHER
    text = decode(word, address) if decode_text else None
    return {"address": f"{address:#x}", "symbol": image.symbolize(address),
            "word": f"{word:#010x}", "text": None if text is None else str(text),
            "kind": kind.value, "form": table.rows[row].form if row >= 0 else None}


def _fill_counts(result: ScanResult, row_counts: np.ndarray, vt) -> None:
    result.data_words = int(row_counts[DATA + SHIFT])
    result.instructions = int(row_counts.sum()) - result.data_words
    kind_counts = {kind.value: 0 for kind in KINDS_BY_CODE}
    features: dict[str, int] = {}
    kind_counts[Kind.OTHER.value] += int(row_counts[SHIFT - 1])
    for code, row in enumerate(vt.table.rows):
        n = int(row_counts[code + SHIFT])
        if n:
            kind_counts[row.kind.value] += n
            if row.kind is Kind.OTHER:  # UNALLOCATED carve-outs: no feature to speak of
                continue
            name = row.feature or BASE_FEATURE
            features[name] = features.get(name, 0) + n
    result.counts = kind_counts
    result.features = dict(sorted(features.items()))
