"""The symbols of an AArch64 ELF file: names for addresses and addresses for names.

Symbols come from ``.symtab``, else from a separate debug file's ``.symtab``
(see debugfile.py), else from ``.dynsym``; PLT stubs are named ``name@plt``
from the ``.rela.plt`` relocations. A symbol names an address only inside
its own section (``st_shndx``): an ET_REL symbol of ``.bss`` never names a
``.text`` word, and SHN_UNDEF/ABS/COMMON symbols never name code.

Mapping symbols (``$x``, ``$d``, ``$x.foo``...) are kept apart: they mark
where code and data start inside executable sections.
"""

from __future__ import annotations

import bisect
import re
import struct
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Literal, NamedTuple, TypeAlias, overload

from .headers import (
    SHF_EXECINSTR,
    SHN_LORESERVE,
    SHN_UNDEF,
    SHT_DYNSYM,
    SHT_RELA,
    SHT_SYMTAB,
    SLOT_SIZE,
    ElfLayout,
    c_string,
)

#: How many symbols below an address symbolize() looks at (nested/overlapping symbols).
_SYMBOLIZE_WINDOW = 64

#: Symbol types that name code or data a fault address can be inside (ELF st_info
#: low nibble): STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2, STT_TLS 6, STT_GNU_IFUNC 10.
_NAMED_TYPES = frozenset((0, 1, 2, 6, 10))
_ST_BIND_SHIFT = 4  # st_info = bind << 4 | type
_ST_TYPE_MASK = (1 << _ST_BIND_SHIFT) - 1
_STB_LOCAL = 0
_SYM = struct.Struct("IBBHQQ")  # Elf64_Sym: name, info, other, shndx, value, size
_RELA = struct.Struct("QQq")  # Elf64_Rela: offset, info, addend
_R_SYM_SHIFT = 32  # ELF64_R_SYM(info) = info >> 32
_DOLLAR = ord("$")  # mapping symbols: "$x", "$d", "$x.foo", "$d.foo"
#: A PLT stub: ``adrp x16, PAGE`` then ``ldr x17, [x16, #OFF]`` loads its GOT slot.
_ADRP_X16 = re.compile(r"x16, #?(0x[0-9a-f]+|\d+)\Z")
_LDR_X17 = re.compile(r"x17, \[x16(?:, #(0x[0-9a-f]+|\d+))?\]\Z")


#: A debug file's section index -> the stripped file's (None: not placed there).
Remap: TypeAlias = Callable[[int], "int | None"]
#: Mapping symbols: (vaddr, "$x" or "$d"), in executable sections.
MappingSymbols: TypeAlias = "list[tuple[int, str]]"
#: The named symbols of a table: a list, or LazySymbols (names decoded on use).
NamedSymbols: TypeAlias = "list[Symbol] | LazySymbols"


class Symbol(NamedTuple):
    """A named symbol (a tuple: tens of thousands are made per shared library).

    ``section`` is the index of its section in the file being read, or -1
    when unknown (a file without section headers).
    """

    name: str
    vaddr: int
    size: int
    is_global: bool
    section: int = -1


new_symbol = tuple.__new__


@lru_cache(maxsize=1 << 16)
def demangle(name: str) -> str:
    """The readable form of an Itanium C++ or Rust (legacy or v0) name, else ``name``.

    LLVM's demanglers through pydemumble (it strips Rust's legacy hash).
    """
    if not name.startswith(("_Z", "_R", "__Z")):
        return name
    import pydemumble

    try:
        readable = pydemumble.demangle(name)
    except Exception:  # noqa: BLE001 - a demangler failure just leaves the name as it is
        return name
    return readable or name


def read_symbol_table(layout: ElfLayout, table_name: str, remap: Remap | None = None,
                      target: ElfLayout | None = None) -> tuple[list[Symbol], MappingSymbols]:
    """(named symbols, mapping symbols) of one symbol table section of ``layout``.

    ``remap(shndx) -> index`` translates section indexes to those of
    ``target`` (a debug file's to the stripped file's, whose address layout
    the symbols then get); symbols whose section it cannot place are dropped.
    Mapping symbols are (vaddr, "$x" | "$d") in executable sections.

    Once numpy is loaded, the entries are sorted out with it and only the
    named ones are visited in Python (_read_with_numpy); else read_table_py.
    """
    if "numpy" in sys.modules:
        named, mapping, _has_named = _read_with_numpy(layout, table_name, remap, target, True)
        return named, mapping
    return read_table_py(layout, table_name, remap, target)


def read_table_py(layout: ElfLayout, table_name: str, remap: Remap | None = None,
                  target: ElfLayout | None = None) -> tuple[list[Symbol], MappingSymbols]:
    """read_symbol_table entry by entry in Python (without numpy)."""
    target = target or layout
    table = layout.section_named(table_name)
    if table is None or table.sh_type not in (SHT_SYMTAB, SHT_DYNSYM):
        return [], []
    if not 0 < table.link < len(layout.sections):
        return [], []
    strtab = layout.sections[table.link]
    strings = layout.bytes_at(strtab.offset, strtab.size, f"the string table of {table_name}")
    raw = layout.bytes_at(table.offset, table.size - table.size % _SYM.size, f"section {table_name}")
    record = struct.Struct(("<" if layout.little_endian else ">") + _SYM.format)
    count = len(target.sections)
    code = {s.index for s in target.sections if s.flags & SHF_EXECINSTR}
    bases = [target.base_of(i) for i in range(count)] if target.is_relocatable else None
    limit = len(strings)
    symbols: list[Symbol] = []
    mapping: MappingSymbols = []
    for name_at, info, _other, shndx, value, size in record.iter_unpack(raw):
        if shndx == SHN_UNDEF or shndx >= SHN_LORESERVE or name_at >= limit:
            continue
        first = strings[name_at]
        if not first:
            continue
        if remap is not None:
            shndx = remap(shndx)
            if shndx is None:
                continue
        if shndx >= count:
            continue
        if bases is not None:
            if value >= SLOT_SIZE:
                continue
            value += bases[shndx]
        if first == _DOLLAR and strings[name_at + 1:name_at + 2] in (b"x", b"d") and \
                strings[name_at + 2:name_at + 3] in (b"\0", b".", b""):
            if table_name == ".symtab" and shndx in code:
                mapping.append((value, "$" + chr(strings[name_at + 1])))
            continue
        if info & _ST_TYPE_MASK in _NAMED_TYPES:
            end = strings.find(b"\0", name_at)
            name = strings[name_at:end if end >= 0 else None].decode("utf-8", "replace")
            # tuple.__new__ skips the NamedTuple constructor's Python frame:
            # hundreds of thousands of symbols are made in a distribution scan.
            symbols.append(new_symbol(Symbol, (name, value, size,
                                               info >> _ST_BIND_SHIFT != _STB_LOCAL, shndx)))
    return symbols, sorted(set(mapping))


def read_mapping_symbols(layout: ElfLayout, table_name: str = ".symtab", remap: Remap | None = None,
                         target: ElfLayout | None = None) -> tuple[MappingSymbols, bool]:
    """(mapping symbols, whether the table holds a named symbol): what
    read_symbol_table(layout, table_name, remap, target) gives as (its
    mapping symbols, bool(its named symbols)), found with numpy and without
    decoding a name.

    A scan needs every file's mapping symbols but names only where it lists
    something (a third of a distribution's files), so names wait for that.
    """
    _named, mapping, has_named = _read_with_numpy(layout, table_name, remap, target, False)
    return mapping, has_named


def read_lazy_symbols(layout: ElfLayout, table_name: str, remap: Remap | None = None,
                      target: ElfLayout | None = None) -> tuple[LazySymbols, MappingSymbols]:
    """(named symbols as LazySymbols, mapping symbols): read_symbol_table's
    answer, with each name decoded only when its symbol is asked for (numpy)."""
    named, mapping, _has_named = _read_with_numpy(layout, table_name, remap, target, "lazy")
    if not isinstance(named, LazySymbols):  # no such table
        named = LazySymbols(b"", [], [], [], [], [])
    return named, mapping


class LazySymbols:
    """Named symbols of one table as columns; a Symbol, and its name, is made
    on first use (a listing names a few hundred addresses of a table of
    thousands, and most files list nothing)."""

    def __init__(self, strings: bytes, name_at: list[int], vaddr: list[int], size: list[int],
                 is_global: list[bool], section: list[int]) -> None:
        self._strings = strings
        self._name_at = name_at
        self.vaddr, self.size, self.is_global, self.section = vaddr, size, is_global, section
        self._made: dict[int, Symbol] = {}

    def __len__(self) -> int:
        return len(self._name_at)

    def name(self, k: int) -> str:
        at = self._name_at[k]
        end = self._strings.find(b"\0", at)
        return self._strings[at:end if end >= 0 else None].decode("utf-8", "replace")

    def __getitem__(self, k: int) -> Symbol:
        made = self._made.get(k)
        if made is None:
            made = self._made[k] = new_symbol(Symbol, (self.name(k), self.vaddr[k], self.size[k],
                                                       self.is_global[k], self.section[k]))
        return made

    def to_list(self) -> list[Symbol]:
        return [self[k] for k in range(len(self))]


@overload
def _read_with_numpy(layout: ElfLayout, table_name: str, remap: Remap | None,
                     target: ElfLayout | None, names: Literal[True]
                     ) -> tuple[list[Symbol], MappingSymbols, bool]: ...


@overload
def _read_with_numpy(layout: ElfLayout, table_name: str, remap: Remap | None,
                     target: ElfLayout | None, names: Literal["lazy"]
                     ) -> tuple[NamedSymbols, MappingSymbols, bool]: ...


@overload
def _read_with_numpy(layout: ElfLayout, table_name: str, remap: Remap | None,
                     target: ElfLayout | None, names: bool
                     ) -> tuple[list[Symbol] | None, MappingSymbols, bool]: ...


def _read_with_numpy(layout: ElfLayout, table_name: str, remap: Remap | None,
                     target: ElfLayout | None, names: bool | Literal["lazy"]
                     ) -> tuple[NamedSymbols | None, MappingSymbols, bool]:
    """(named symbols, mapping symbols, whether there is a named symbol):
    read_table_py's rules applied to all entries at once. The named symbols
    are a list with ``names`` true, LazySymbols with "lazy", None with False."""
    import numpy as np

    table = layout.section_named(table_name)
    if table is None or table.sh_type not in (SHT_SYMTAB, SHT_DYNSYM):
        return [], [], False
    if not 0 < table.link < len(layout.sections):
        return [], [], False
    strtab = layout.sections[table.link]
    layout.check_in_file(f"the string table of {table_name}", strtab.offset, strtab.size)
    size = table.size - table.size % _SYM.size
    layout.check_in_file(f"section {table_name}", table.offset, size)
    order = "<" if layout.little_endian else ">"
    entry = np.dtype([("name", order + "u4"), ("info", "u1"), ("other", "u1"),
                      ("shndx", order + "u2"), ("value", order + "u8"), ("size", order + "u8")])
    entries = np.frombuffer(layout.data, dtype=entry, count=size // _SYM.size,
                            offset=table.offset)
    limit = strtab.size
    # Two NULs past the end: reading a name's second and third byte there
    # gives what read_symbol_table's slices give (neither "x"/"d" nor a refusal).
    strings = np.zeros(limit + 3, dtype=np.uint8)
    strings[:limit] = np.frombuffer(layout.data, dtype=np.uint8, count=limit,
                                    offset=strtab.offset)
    target = target or layout
    count = len(target.sections)
    name_at = entries["name"].astype(np.int64)
    shndx = entries["shndx"].astype(np.int64)
    value = entries["value"]
    ok = (shndx != SHN_UNDEF) & (shndx < SHN_LORESERVE) & (name_at < limit)
    at = np.where(ok, name_at, limit)
    first = strings[at]
    ok &= first != 0
    if remap is not None:
        # remap(i) for every index the table uses (-1: not placed); others are dropped.
        used = np.unique(shndx[ok]).tolist()
        table_of = np.full(max(used, default=0) + 1, -1, dtype=np.int64)
        for index in used:
            placed = remap(index)
            if placed is not None:
                table_of[index] = placed
        shndx = np.where(ok, table_of[np.where(ok, shndx, 0)], -1)
        ok &= shndx >= 0
    ok &= shndx < count
    if target.is_relocatable:
        ok &= value < SLOT_SIZE
    second, third = strings[at + 1], strings[at + 2]
    is_mapping = (ok & (first == _DOLLAR) & ((second == ord("x")) | (second == ord("d")))
                  & ((third == 0) | (third == ord("."))))
    named_type = np.zeros(_ST_TYPE_MASK + 1, dtype=bool)
    named_type[sorted(_NAMED_TYPES)] = True
    named = ok & ~is_mapping & named_type[entries["info"] & _ST_TYPE_MASK]
    symbols: list[Symbol] | LazySymbols | None = None
    if names == "lazy":
        chosen_named = np.flatnonzero(named)
        named_values = value[chosen_named]
        named_sections = shndx[chosen_named]
        if target.is_relocatable:
            slot_bases = np.array([target.base_of(i) for i in range(count)], dtype=np.uint64)
            named_values = named_values + slot_bases[named_sections]
        symbols = LazySymbols(
            layout.bytes_at(strtab.offset, strtab.size, f"the string table of {table_name}"),
            name_at[chosen_named].tolist(), named_values.tolist(),
            entries["size"][chosen_named].tolist(),
            (entries["info"][chosen_named] >> _ST_BIND_SHIFT != _STB_LOCAL).tolist(),
            named_sections.tolist())
    elif names:
        text = layout.bytes_at(strtab.offset, strtab.size, f"the string table of {table_name}")
        bases = [target.base_of(i) for i in range(count)] if target.is_relocatable else None
        symbols = []
        chosen_named = np.flatnonzero(named)
        for name_at_one, value_one, size_one, info_one, index in zip(
                name_at[chosen_named].tolist(), value[chosen_named].tolist(),
                entries["size"][chosen_named].tolist(), entries["info"][chosen_named].tolist(),
                shndx[chosen_named].tolist()):
            end = text.find(b"\0", name_at_one)
            name = text[name_at_one:end if end >= 0 else None].decode("utf-8", "replace")
            if bases is not None:
                value_one += bases[index]
            symbols.append(new_symbol(Symbol, (name, value_one, size_one,
                                               info_one >> _ST_BIND_SHIFT != _STB_LOCAL, index)))
    if table_name != ".symtab":
        return symbols, [], bool(named.any())
    code = np.zeros(count + 1, dtype=bool)
    code[[s.index for s in target.sections if s.flags & SHF_EXECINSTR]] = True
    chosen = is_mapping & code[np.where(ok, shndx, count)]
    values = value[chosen].tolist()
    if target.is_relocatable:
        values = [v + target.base_of(i) for v, i in zip(values, shndx[chosen].tolist())]
    kinds = ["$" + chr(k) for k in strings[at[chosen] + 1].tolist()]
    return symbols, sorted(set(zip(values, kinds))), bool(named.any())


def plt_symbols(layout: ElfLayout) -> list[Symbol]:
    """``name@plt`` for each PLT stub, matched to ``.rela.plt`` by the GOT slot it loads.

    The stubs are read with Capstone (``adrp x16`` + ``ldr x17, [x16, #off]``),
    so the lazy, BTI and PAC PLT layouts all work; PLT0 loads no relocated
    slot and stays unnamed.
    """
    rela = layout.section_named(".rela.plt")
    plt = layout.section_named(".plt")
    if rela is None or plt is None or rela.sh_type != SHT_RELA or not plt.has_bytes:
        return []
    if not 0 < rela.link < len(layout.sections):
        return []
    dynsym = layout.sections[rela.link]
    strtab = layout.sections[dynsym.link] if 0 < dynsym.link < len(layout.sections) else None
    if strtab is None:
        return []
    order = "<" if layout.little_endian else ">"
    strings = layout.bytes_at(strtab.offset, strtab.size, "the dynamic string table")
    symtab = layout.bytes_at(dynsym.offset, dynsym.size, "section .dynsym")
    sym = struct.Struct(order + _SYM.format)
    slot_names = {}
    raw = layout.bytes_at(rela.offset, rela.size - rela.size % _RELA.size, "section .rela.plt")
    for offset, info, _addend in struct.Struct(order + _RELA.format).iter_unpack(raw):
        index = info >> _R_SYM_SHIFT
        if index and (index + 1) * sym.size <= len(symtab):
            name_at = sym.unpack_from(symtab, index * sym.size)[0]
            if name_at < len(strings):
                slot_names[offset] = c_string(strings, name_at)
    if not slot_names:
        return []
    from ..disasm import disassemble

    code = layout.bytes_at(plt.offset, plt.size, "section .plt")
    base = layout.base_of(plt.index)
    lines = disassemble(code, base)
    starts = []
    for i in range(len(lines) - 1):
        (addr, _, mnemonic, ops), (_, _, next_mnemonic, next_ops) = lines[i], lines[i + 1]
        adrp = _ADRP_X16.match(ops) if mnemonic == "adrp" else None
        ldr = _LDR_X17.match(next_ops) if next_mnemonic == "ldr" else None
        if adrp and ldr:
            slot = int(adrp[1], 0) + (int(ldr[1], 0) if ldr[1] else 0)
            if slot in slot_names:
                start = lines[i - 1][0] if i and lines[i - 1][2] == "bti" else addr
                starts.append((start, slot_names[slot]))
    ends = [start for start, _ in starts[1:]] + [base + plt.size]
    return [Symbol(f"{name}@plt", start, end - start, False, plt.index)
            for (start, name), end in zip(starts, ends)]


class SymbolTable:
    """Symbols sorted by address, for symbolize() and lookup().

    ``symbols``: a list of Symbol or LazySymbols (whose names are decoded only
    for the symbols asked for); ``extra``: more symbols (the PLT stubs).
    """

    def __init__(self, symbols: NamedSymbols, layout: ElfLayout,
                 extra: list[Symbol] | None = None) -> None:
        self._named = symbols
        self._extra = list(extra or [])
        self._layout = layout
        self._by_name_table: dict[str, Symbol] | None = None
        self._by_readable: dict[str, Symbol] | None = None
        self._all: list[Symbol] | None = None
        if isinstance(symbols, LazySymbols):
            vaddr, size, section = list(symbols.vaddr), list(symbols.size), list(symbols.section)
        else:
            vaddr = [s.vaddr for s in symbols]
            size = [s.size for s in symbols]
            section = [s.section for s in symbols]
        vaddr += [s.vaddr for s in self._extra]
        size += [s.size for s in self._extra]
        section += [s.section for s in self._extra]
        order = _address_order(vaddr, size, self._name)
        self._ids = order
        self._sorted_addrs = [vaddr[k] for k in order]
        self._sizes = [size[k] for k in order]
        self._sections = [section[k] for k in order]
        #: [lo, hi) addresses known to get the answer ``symbol`` (or None) from holder().
        self._span: tuple[int, int, Symbol | None] = (0, 0, None)

    def _symbol(self, k: int) -> Symbol:
        """Symbol k: of the named ones, then of the extra ones."""
        named = len(self._named)
        return self._named[k] if k < named else self._extra[k - named]

    def _name(self, k: int) -> str:
        named = len(self._named)
        if k >= named:
            return self._extra[k - named].name
        if isinstance(self._named, LazySymbols):
            return self._named.name(k)
        return self._named[k].name

    @property
    def symbols(self) -> list[Symbol]:
        """Every symbol (named ones in table order, then the extra ones)."""
        if self._all is None:
            named = self._named.to_list() if isinstance(self._named, LazySymbols) \
                else list(self._named)
            self._all = named + self._extra
        return self._all

    def sorted_symbols(self) -> list[Symbol]:
        """Every symbol by (address, -size, name), in the order holder() reads them."""
        return [self._symbol(k) for k in self._ids]

    def __len__(self) -> int:
        return len(self._named) + len(self._extra)

    @property
    def _by_name(self) -> dict[str, Symbol]:
        """Name -> symbol (a global wins over locals), made on first lookup."""
        if self._by_name_table is None:
            table: dict[str, Symbol] = {}
            for symbol in self.symbols:
                known = table.get(symbol.name)
                if known is None or (symbol.is_global and not known.is_global):
                    table[symbol.name] = symbol
            self._by_name_table = table
        return self._by_name_table

    def lookup(self, name: str) -> Symbol | None:
        """The symbol called ``name``, raw or demangled (a global wins over locals)."""
        found = self._by_name.get(name)
        if found is not None:
            return found
        if self._by_readable is None:
            self._by_readable = {}
            for symbol in self._by_name.values():
                readable = demangle(symbol.name)
                if readable != symbol.name:
                    self._by_readable.setdefault(readable, symbol)
        return self._by_readable.get(name)

    def holder(self, vaddr: int) -> tuple[Symbol, int] | None:
        """(symbol, offset) naming ``vaddr``: a sized symbol of the same section
        that holds it, else the nearest label (size 0) of that section before it."""
        known, _end = self.holder_span(vaddr)
        return None if known is None else (known, vaddr - known.vaddr)

    def holder_span(self, vaddr: int) -> tuple[Symbol | None, int]:
        """(the symbol naming ``vaddr`` as in holder(), or None; an end address
        such that every address from vaddr up to it is named by the same one)."""
        lo, hi, known = self._span
        if lo <= vaddr < hi:
            return known, hi
        section = self._layout.section_at(vaddr)
        want = section.index if section is not None else None
        check = bool(self._layout.sections)
        addrs, sizes, sections = self._sorted_addrs, self._sizes, self._sections
        index = bisect.bisect_right(addrs, vaddr)
        best = -1  # position in the sorted order
        for at in range(index - 1, max(0, index - _SYMBOLIZE_WINDOW) - 1, -1):
            if check and sections[at] != want:
                continue
            if sizes[at] and vaddr < addrs[at] + sizes[at]:
                best = at
                break
            if not sizes[at] and best < 0:
                best = at
        # The same answer holds up to the next symbol's start, the end of the
        # holder and of the section (listings ask in address order).
        hi = addrs[index] if index < len(addrs) else vaddr + 1
        if best >= 0 and sizes[best] and vaddr < addrs[best] + sizes[best]:
            hi = min(hi, addrs[best] + sizes[best])
        if section is not None:
            hi = min(hi, self._layout.base_of(section.index) + section.size)
        symbol = self._symbol(self._ids[best]) if best >= 0 else None
        self._span = (vaddr, max(hi, vaddr + 1), symbol)
        return symbol, self._span[1]


def _address_order(vaddr: list[int], size: list[int], name_of: Callable[[int], str],
                   with_numpy: bool | None = None) -> list[int]:
    """Indexes of the symbols by (vaddr, -size, name), ties in index order (a
    stable sort by those keys); ``name_of(k)`` is asked only for symbols that
    share their address and size with another. With numpy once it is loaded
    (``with_numpy`` forces either way)."""
    count = len(vaddr)
    if with_numpy is None:
        with_numpy = "numpy" in sys.modules
    if with_numpy and count > 1:
        import numpy as np

        addresses = np.array(vaddr, dtype=np.uint64)
        sizes = np.array(size, dtype=np.uint64)
        # lexsort: the last key first; sizes descending as (max - size) ascending.
        order = np.lexsort((np.arange(count), np.iinfo(np.uint64).max - sizes, addresses))
        same = (addresses[order][1:] == addresses[order][:-1]) & \
            (sizes[order][1:] == sizes[order][:-1])
        order_list: list[int] = order.tolist()
        tied: list[int] = np.flatnonzero(same).tolist()
    else:
        order_list = sorted(range(count), key=size.__getitem__, reverse=True)
        order_list.sort(key=vaddr.__getitem__)
        tied = [i for i in range(count - 1)
                if vaddr[order_list[i]] == vaddr[order_list[i + 1]]
                and size[order_list[i]] == size[order_list[i + 1]]]
    # Runs of equal (vaddr, size): by name, then index.
    i = 0
    while i < len(tied):
        start = end = tied[i]
        while i < len(tied) and tied[i] == end:
            end += 1
            i += 1
        run = order_list[start:end + 1]
        order_list[start:end + 1] = sorted(run, key=lambda k: (name_of(k), k))
    return order_list
