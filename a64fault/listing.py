"""Listing records of selected instructions: address, symbol, word, Capstone text, kind, form.

Capstone's text is made only for words that get a record, once per
distinct word (plus once per occurrence of a PC-relative one; see
disasm.texts_at). The likely-data rule's question (which words around a pick
Capstone cannot decode) is answered without text: Capstone's C function over
the picks' windows, once per distinct word when they are long (a ``--kind
load`` listing of a stripped program covers nearly all its code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from . import datacode
from .decoder.disasm import texts_at, undecodable, undecodable_distinct
from .decoder.elf import demangle
from .kinds import KINDS_BY_CODE
from .word import WORD_BYTES

#: Picks closer than this many words share one Capstone call (a call costs
#: about as much as decoding a few words).
MERGE_GAP = 4
#: From this many words to judge, undecodable words are found per distinct
#: word (numpy's import and sort pay for themselves well below this).
DISTINCT_FROM_WORDS = 1 << 17


@dataclass
class Listed:
    """Selected words of one file: how many, their records (up to a limit), their rows."""

    count: int = 0
    records: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)


class Columns(NamedTuple):
    """Per row code + 1 (entry 0: no row): kind code and name, form and feature codes."""

    kind_codes: list[int]
    kind_names: list[str]
    form_codes: list[int]
    feature_codes: list[int]
    forms: tuple[str, ...]
    features: tuple[str | None, ...]


@lru_cache(maxsize=4)
def row_columns(names) -> Columns:
    """The per-row columns of a VectorTable or rowcodes.SmallTables as plain
    lists, made once per process (a scan of many files asks for them per file)."""
    kind_codes = [int(code) for code in names.row_kind]
    return Columns(kind_codes, [KINDS_BY_CODE[code].value for code in kind_codes],
                   [int(code) for code in names.row_form],
                   [int(code) for code in names.row_feature], tuple(names.forms),
                   tuple(names.features))


def _spans(indexes: list[int], count: int, reach: int) -> list[tuple[int, int]]:
    """Merged [lo, hi) word spans covering each index +- reach, within [0, count)."""
    spans: list[list[int]] = []
    for i in indexes:
        lo, hi = max(0, i - reach), min(count, i + reach + 1)
        if spans and lo <= spans[-1][1] + MERGE_GAP:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    return [(lo, hi) for lo, hi in spans]


def _fill_texts(needs_text: list, raw: bytes, pc0: int) -> None:
    """Set each (record, word index) record's ``text`` to Capstone's text of
    that word of ``raw`` at pc0 + 4 * index (None where it cannot decode)."""
    words = [raw[i * WORD_BYTES:(i + 1) * WORD_BYTES] for _record, i in needs_text]
    addresses = [pc0 + i * WORD_BYTES for _record, i in needs_text]
    for (record, _i), (mnemonic, op_str) in zip(needs_text, texts_at(words, addresses)):
        record["text"] = f"{mnemonic} {op_str}".rstrip() if mnemonic else None


def _undecodable_by_span(raw: bytes, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Per [lo, hi) word span of ``raw``: the sorted span-relative indexes of
    its words Capstone cannot decode or decodes as udf (datacode's rule).

    One pass over all spans together; asked per distinct word once the spans
    are long enough to pay for numpy (see disasm.undecodable_distinct).
    """
    code = b"".join(raw[lo * WORD_BYTES:hi * WORD_BYTES] for lo, hi in spans)
    total = len(code) // WORD_BYTES
    find = undecodable_distinct if total >= DISTINCT_FROM_WORDS else undecodable
    bad = find(code)
    out, k, start = [], 0, 0
    for lo, hi in spans:
        end = start + hi - lo
        first = k
        while k < len(bad) and bad[k] < end:
            k += 1
        out.append([b - start for b in bad[first:k]])
        start = end
    return out


def list_picks(image, picks, names, limit: int | None, *, data_check: bool):
    """(instructions, likely data) as two Listed, from ``picks``: per executable
    range ((name, vaddr, offset, size), its bytes, its row codes, the sorted
    indexes of its selected words). ``names`` gives per row code + 1 the kind,
    form and feature codes (``row_kind``, ``row_form``, ``forms``)."""
    listed, likely = Listed(), Listed()
    columns = row_columns(names)
    kinds, row_form, forms = columns.kind_names, columns.form_codes, columns.forms
    reach = datacode.SIDE if data_check else 0
    for (_name, vaddr, _offset, _size), raw, rows, chosen in picks:
        count = len(raw) // WORD_BYTES
        pc0 = image.pc(vaddr)
        if not data_check and limit is not None and len(listed.records) >= limit:
            # Nothing more to show or to judge: count the rest without Capstone.
            for i in chosen:
                row = int(rows[i])
                listed.rows[row] = listed.rows.get(row, 0) + 1
            listed.count += len(chosen)
            continue
        needs_text: list = []
        spans = _spans(chosen, count, reach)
        bad_by_span = _undecodable_by_span(raw, spans) if data_check else [[] for _ in spans]
        at = 0
        for (lo, hi), bad in zip(spans, bad_by_span):
            first = at
            while at < len(chosen) and chosen[at] < hi:
                at += 1
            for i in chosen[first:at]:
                row = int(rows[i])
                target = likely if bad and datacode.likely_data(bad, i - lo, hi - lo) else listed
                target.count += 1
                target.rows[row] = target.rows.get(row, 0) + 1
                if limit is not None and len(target.records) >= limit:
                    continue
                word = int.from_bytes(raw[i * WORD_BYTES:(i + 1) * WORD_BYTES], "little")
                address = vaddr + i * WORD_BYTES
                held = image.symbol_at(address)
                if held is None:
                    symbol = readable = None
                else:
                    name, delta = held[0].name, held[1]
                    suffix = f"+{delta:#x}" if delta else ""
                    symbol, readable = name + suffix, demangle(name) + suffix
                form = row_form[row + 1]
                record = {"address": image.describe(address), "symbol": symbol,
                          "demangled": readable, "word": f"{word:#010x}",
                          "text": None,
                          "kind": kinds[row + 1], "form": forms[form] if form >= 0 else None}
                if image.is_relocatable:
                    place = image.location(address)
                    if place is not None:
                        record["section"], record["offset"] = place[0], f"{place[1]:#x}"
                target.records.append(record)
                needs_text.append((record, i))
        _fill_texts(needs_text, raw, pc0)
    return listed, likely
