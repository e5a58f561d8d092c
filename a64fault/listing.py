"""Listing records of selected instructions: address, symbol, word, Capstone text, kind, form.

Capstone's text is made only for words that get a record, once per
distinct word (plus once per occurrence of a PC-relative one; see
disasm.texts_at). The likely-data rule's question (which words around a pick
Capstone cannot decode) is answered without text: Capstone's C function over
the picks' windows, once per distinct word when they are long (a ``--kind
load`` listing of a stripped program covers nearly all its code).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Protocol, SupportsInt, TypeAlias

from . import datacode
from .decoder.capstone_lib import engine
from .decoder.disasm import texts_at, undecodable, undecodable_distinct
from .decoder.elf import demangle
from .kinds import KINDS_BY_CODE
from .word import WORD_BYTES

if TYPE_CHECKING:
    from .decoder.elf import CodeRange, ElfImage
    from .patterns.table import RowCodes

#: Picks closer than this many words share one Capstone call (a call costs
#: about as much as decoding a few words).
MERGE_GAP = 4
#: From this many words to judge, undecodable words are found per distinct
#: word (numpy's import and sort pay for themselves well below this).
DISTINCT_FROM_WORDS = 1 << 17
#: From this many picks in a range (all listed), their Capstone text is made
#: on a second thread while the likely-data rule's pass runs.
PARALLEL_FROM = 1 << 15


#: One listed instruction, a JSON object: address, symbol, demangled, word, text, kind,
#: form (and section, offset in a relocatable file); None where there is none.
ListingRecord: TypeAlias = "dict[str, str | None]"
#: The row codes of one executable range: a list (numpy-free path) or an int16 array.
RangeRows: TypeAlias = "list[int] | RowCodes"
#: One executable range with selected words: (the range, its bytes, its row codes,
#: the ascending indexes of its selected words).
Pick: TypeAlias = "tuple[CodeRange, bytes, RangeRows, list[int]]"
#: Capstone's (mnemonic, op_str) of a word (disasm.texts_at).
Texts: TypeAlias = "list[tuple[str, str]]"


class RowNames(Protocol):
    """What row_columns reads: a VectorTable or a rowcodes.SmallTables (hashable:
    row_columns caches per table)."""

    def __hash__(self) -> int: ...
    @property
    def row_kind(self) -> Iterable[SupportsInt]: ...
    @property
    def row_form(self) -> Iterable[SupportsInt]: ...
    @property
    def row_feature(self) -> Iterable[SupportsInt]: ...
    @property
    def forms(self) -> Sequence[str]: ...
    @property
    def features(self) -> Sequence[str | None]: ...


@dataclass
class Listed:
    """Selected words of one file: how many, their records (up to a limit), their rows."""

    count: int = 0
    records: list[ListingRecord] = field(default_factory=list)
    #: Row code -> selected words of that row.
    rows: dict[int, int] = field(default_factory=dict)


class Columns(NamedTuple):
    """Per row code + 1 (entry 0: no row): kind code and name, form and feature codes."""

    kind_codes: list[int]
    kind_names: list[str]
    form_codes: list[int]
    feature_codes: list[int]
    forms: tuple[str, ...]
    features: tuple[str | None, ...]
    #: The form's name (None for no form).
    form_names: list[str | None]


@lru_cache(maxsize=4)
def row_columns(names: RowNames) -> Columns:
    """The per-row columns of a VectorTable or rowcodes.SmallTables as plain
    lists, made once per process (a scan of many files asks for them per file)."""
    kind_codes = [int(code) for code in names.row_kind]
    form_codes = [int(code) for code in names.row_form]
    forms = tuple(names.forms)
    return Columns(kind_codes, [KINDS_BY_CODE[code].value for code in kind_codes], form_codes,
                   [int(code) for code in names.row_feature], forms, tuple(names.features),
                   [forms[form] if form >= 0 else None for form in form_codes])


def _spans(indexes: list[int], count: int, reach: int) -> list[tuple[int, int]]:
    """Merged [lo, hi) word spans covering each index +- reach, within [0, count)
    (``indexes`` ascending)."""
    spans: list[tuple[int, int]] = []
    lo = hi = -(1 << 62)
    for i in indexes:
        if i - reach <= hi + MERGE_GAP:
            hi = i + reach + 1
        else:
            if hi > 0:
                spans.append((max(0, lo), min(count, hi)))
            lo, hi = i - reach, i + reach + 1
    if hi > 0:
        spans.append((max(0, lo), min(count, hi)))
    return spans


def _undecodable_mask(raw: bytes, spans: list[tuple[int, int]], count: int) -> bytearray:
    """One byte per word of ``raw`` (``count`` words): 1 where a word inside
    one of the [lo, hi) ``spans`` is one Capstone cannot decode or decodes as
    udf (datacode's rule), 0 elsewhere; words outside the spans are not asked.

    One pass over all spans together; asked per distinct word once the spans
    are long enough to pay for numpy (see disasm.undecodable_distinct).
    """
    code = b"".join(raw[lo * WORD_BYTES:hi * WORD_BYTES] for lo, hi in spans)
    total = len(code) // WORD_BYTES
    find = undecodable_distinct if total >= DISTINCT_FROM_WORDS else undecodable
    bad = find(code)
    mask = bytearray(count)
    k, start = 0, 0
    for lo, hi in spans:
        end = start + hi - lo
        while k < len(bad) and bad[k] < end:
            mask[lo + bad[k] - start] = 1
            k += 1
        start = end
    return mask


def _near(bad: bytearray) -> bytearray:
    """1 for each word within datacode.SIDE words of a 1 in ``bad``: only
    those words can be likely data (the rule needs bad words beside them)."""
    near = bytearray(len(bad))
    side = datacode.SIDE
    at = bad.find(1)
    while at >= 0:
        lo = max(0, at - side)
        near[lo:at + side + 1] = b"\1" * (min(len(bad), at + side + 1) - lo)
        at = bad.find(1, at + 1)
    return near


def _rows_at(rows: RangeRows, chosen: list[int]) -> list[int]:
    """The row codes (ints) of the words at ``chosen`` (rows: a list or a numpy array)."""
    if isinstance(rows, list):
        return [rows[i] for i in chosen]
    picked: list[int] = rows.take(chosen).tolist()
    return picked


def _add_rows(target: Listed, rows: list[int]) -> None:
    for row, n in Counter(rows).items():
        target.rows[row] = target.rows.get(row, 0) + n


def list_picks(image: ElfImage, picks: Sequence[Pick], names: RowNames, limit: int | None, *,
               data_check: bool) -> tuple[Listed, Listed]:
    """(instructions, likely data) as two Listed, from ``picks``: per executable
    range ((name, vaddr, offset, size), its bytes, its row codes, the sorted
    indexes of its selected words). ``names`` gives per row code + 1 the kind,
    form and feature codes (``row_kind``, ``row_form``, ``forms``)."""
    listed, likely = Listed(), Listed()
    columns = row_columns(names)
    reach = datacode.SIDE if data_check else 0
    for (_name, vaddr, _offset, _size), raw, rows, chosen in picks:
        count = len(raw) // WORD_BYTES
        chosen_rows = _rows_at(rows, chosen)
        if not data_check and limit is not None and len(listed.records) >= limit:
            # Nothing more to show or to judge: count the rest without Capstone.
            _add_rows(listed, chosen_rows)
            listed.count += len(chosen)
            continue
        # Positions (into chosen) of the instructions and of the likely data.
        as_code: Sequence[int] = range(len(chosen))
        as_data: list[int] = []
        texts: Texts | None = None
        if data_check:
            # A long listing: Capstone's text for every pick (all are shown)
            # is made on another thread meanwhile (Capstone runs without the GIL).
            early = _Texts(image, vaddr, raw, chosen) if limit is None and \
                len(chosen) >= PARALLEL_FROM else None
            try:
                bad = _undecodable_mask(raw, _spans(chosen, count, reach), count)
            finally:
                texts = early.result() if early is not None else None
            if bad.count(1) >= datacode.MIN_UNDECODABLE:
                rule, near = datacode.likely_data, _near(bad)
                as_data = [k for k, i in enumerate(chosen) if near[i] and rule(bad, i, count)]
                if as_data:
                    data = set(as_data)
                    as_code = [k for k in range(len(chosen)) if k not in data]
        shown: list[tuple[Listed, Sequence[int]]] = []
        for target, positions in ((listed, as_code), (likely, as_data)):
            target.count += len(positions)
            _add_rows(target, [chosen_rows[k] for k in positions])
            room = len(positions) if limit is None else max(0, limit - len(target.records))
            shown.append((target, positions[:room]))
        _make_records(image, vaddr, raw, chosen, chosen_rows, shown, columns, texts)
    return listed, likely


class _Texts:
    """texts_at for every pick of a range, on a thread of its own with its own
    Capstone handle; result() waits for it (and raises what it raised)."""

    def __init__(self, image: ElfImage, vaddr: int, raw: bytes, chosen: list[int]) -> None:
        import threading

        pc0 = image.pc(vaddr)
        self._words = [raw[i * WORD_BYTES:(i + 1) * WORD_BYTES] for i in chosen]
        self._addresses = [pc0 + i * WORD_BYTES for i in chosen]
        self._out: Texts | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        cs = engine().another()
        try:
            self._out = texts_at(self._words, self._addresses, cs)
        except BaseException as error:  # noqa: BLE001 - handed to the caller by result()
            self._error = error
        finally:
            cs.close()

    def result(self) -> Texts:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._out is not None
        return self._out


def _make_records(image: ElfImage, vaddr: int, raw: bytes, chosen: list[int], chosen_rows: list[int],
                  shown: list[tuple[Listed, Sequence[int]]], columns: Columns,
                  all_texts: Texts | None = None) -> None:
    """Append to each target of ``shown`` ((Listed, positions into chosen)) the
    records of those words: address, symbol, word, Capstone text, kind, form.
    ``all_texts``: texts_at of every pick, when already made."""
    kinds, forms = columns.kind_names, columns.form_names
    pc0 = image.pc(vaddr)
    texts: dict[int, tuple[str, str]] | Texts
    if all_texts is not None:
        texts = all_texts
    else:
        wanted = sorted(k for _target, positions in shown for k in positions)
        texts = dict(zip(wanted, texts_at(
            [raw[chosen[k] * WORD_BYTES:(chosen[k] + 1) * WORD_BYTES] for k in wanted],
            [pc0 + chosen[k] * WORD_BYTES for k in wanted])))
    relocatable = image.is_relocatable
    from_bytes = int.from_bytes
    for target, positions in shown:
        records = target.records
        span_end = -1  # the current symbol names addresses up to here
        name: str | None = None
        readable_name = ""
        symbol_start = 0
        for k in positions:
            i = chosen[k]
            address = vaddr + i * WORD_BYTES
            if address >= span_end:
                symbol, span_end = image.symbol_span(address)
                if symbol is None:
                    name = None
                else:
                    name, readable_name, symbol_start = symbol.name, demangle(symbol.name), \
                        symbol.vaddr
            if name is None:
                symbol_text = readable = None
            else:
                delta = address - symbol_start
                if delta:
                    suffix = f"+{delta:#x}"
                    symbol_text, readable = name + suffix, readable_name + suffix
                else:
                    symbol_text, readable = name, readable_name
            mnemonic, op_str = texts[k]
            row = chosen_rows[k] + 1
            record: ListingRecord = {"address": image.describe(address) if relocatable else f"{address:#x}",
                      "symbol": symbol_text, "demangled": readable,
                      "word": f"{from_bytes(raw[i * WORD_BYTES:(i + 1) * WORD_BYTES], 'little'):#010x}",
                      "text": f"{mnemonic} {op_str}".rstrip() if mnemonic else None,
                      "kind": kinds[row], "form": forms[row]}
            if relocatable:
                place = image.location(address)
                if place is not None:
                    record["section"], record["offset"] = place[0], f"{place[1]:#x}"
            records.append(record)
