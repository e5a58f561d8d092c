"""The likely-data rule's question, "which words can Capstone not decode (or
decodes as udf)", answered from Capstone's instruction ids (disasm.undecodable,
undecodable_distinct) must give the same words as asking Capstone's Python
binding for each word's text one at a time, which is the rule's definition.

Words: the fixture ELFs' executable ranges and whole files (headers, tables,
strings), seeded random words, and every word with a zero top half (udf's).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from a64fault import datacode, listing
from a64fault.datacode import NOT_INSTRUCTIONS
from a64fault.decoder import disasm
from a64fault.decoder.elf import ElfImage
from a64fault.scan import scan_file

capstone = pytest.importorskip("capstone")
BINDING = capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
ELF = Path(__file__).resolve().parent.parent / "fixtures" / "elf"
LITTLE_ENDIAN = ["tiny-le", "tiny-le.o", "tiny-le-stripped", "mod.o", "dso-stripped.so",
                 "table", "table-stripped"]


def one_by_one(code: bytes) -> list[int]:
    """The rule's definition: per word, Capstone's binding gives no text or ``udf``."""
    bad = []
    for k in range(len(code) // 4):
        texts = list(BINDING.disasm_lite(code[4 * k:4 * k + 4], 0, 1))
        if (texts[0][2] if texts else "") in NOT_INSTRUCTIONS:
            bad.append(k)
    return bad


def pack(words) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in words)


def samples() -> dict[str, bytes]:
    rng = random.Random(20261130)
    out = {"random": pack(rng.getrandbits(32) for _ in range(30000)),
           "low-half": pack(range(1 << 16)),
           "ragged": pack(rng.getrandbits(32) for _ in range(100)) + b"\x00\x01"}
    for name in LITTLE_ENDIAN:
        path = ELF / name
        out[name] = path.read_bytes()
        raw = path.read_bytes()
        out[name + " code"] = b"".join(raw[offset:offset + size] for _name, _vaddr, offset, size
                                       in ElfImage(path).executable_ranges())
    return out


SAMPLES = samples()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_c_function_agrees_word_for_word(name):
    code = SAMPLES[name]
    expected = one_by_one(code)
    assert disasm.undecodable(code) == expected
    assert disasm.undecodable_distinct(code) == expected


def test_chunk_edges_and_restarts(monkeypatch):
    """Chunks smaller than the runs of decodable words: every edge case of the restart."""
    code = SAMPLES["random"][:4 * 3000] + SAMPLES["tiny-le code"]
    expected = one_by_one(code)
    for chunk in (1, 2, 7, 64):
        monkeypatch.setattr(disasm, "_CHUNK_WORDS", chunk)
        assert disasm.undecodable(code) == expected


def test_spans_get_their_own_words():
    code = SAMPLES["random"][:4 * 500]
    spans = [(0, 17), (30, 31), (40, 200), (480, 500)]
    mask = listing._undecodable_mask(code, spans, 500)
    expected = bytearray(500)
    for lo, hi in spans:
        for k in one_by_one(code[4 * lo:4 * hi]):
            expected[lo + k] = 1
    assert mask == expected
    assert any(mask[0:17]) and not any(mask[17:30])


def rule_by_definition(bad: bytearray, index: int, length: int) -> bool:
    """datacode's rule as its docstring states it, for one word."""
    before = bad[max(0, index - datacode.SIDE):index]
    after = bad[index + 1:index + 1 + datacode.SIDE]
    return (sum(before) + sum(after) >= datacode.MIN_UNDECODABLE
            and (not before or any(before)) and (not after or any(after)))


def test_likely_data_rule_at_every_position():
    """Every word of random masks, the range edges and the thresholds included."""
    rng = random.Random(11)
    tried = likely = 0
    for _ in range(400):
        length = rng.randrange(1, 40)
        density = rng.choice([0.1, 0.3, 0.6])
        bad = bytearray(rng.random() < density for _ in range(length))
        for index in range(length):
            expected = rule_by_definition(bad, index, length)
            assert datacode.likely_data(bad, index, length) == expected, (bad, index)
            tried += 1
            likely += expected
    assert 0 < likely < tried


def test_spans_cover_each_pick_and_merge_near_ones():
    spans = listing._spans([0, 3, 30, 50, 99], 100, 8)
    assert spans == [(0, 12), (22, 59), (91, 100)]
    assert listing._spans([5], 6, 0) == [(5, 6)]
    assert listing._spans([], 10, 8) == []


def test_listing_same_on_both_paths(monkeypatch):
    """The likely-data fixture scanned with the per-distinct-word path forced."""
    direct = scan_file(ELF / "table-stripped")
    monkeypatch.setattr(listing, "DISTINCT_FROM_WORDS", 0)
    distinct = scan_file(ELF / "table-stripped")
    assert direct.likely_data > 0
    assert distinct.as_json() == direct.as_json()


def test_texts_at_equal_capstone_at_each_address():
    """Texts made once per distinct word equal Capstone's text of each word at
    its own address, PC-relative words (b, bl, adr, adrp, literal loads) included:
    every word occurs twice, at unrelated addresses."""
    rng = random.Random(7)
    code = SAMPLES["random"] + SAMPLES["tiny-le code"] + SAMPLES["dso-stripped.so code"]
    words = [code[k:k + 4] for k in range(0, len(code) - 3, 4)] * 2
    addresses = [rng.randrange(0, 1 << 62) * 4 for _ in words]
    expected = []
    for word, address in zip(words, addresses):
        texts = list(BINDING.disasm_lite(word, address, 1))
        expected.append(texts[0][2:] if texts else ("", ""))
    assert disasm.texts_at(words, addresses) == expected
    moved = {e for e, f in zip(expected[:len(words) // 2], expected[len(words) // 2:]) if e != f}
    # The test holds every kind of PC-relative word. (Their targets print as
    # bare numbers, "bl 0x6141ebc", immediates as "#..": a filter on '#'
    # to skip the second decode was tried and failed here.)
    assert {text[0] for text in moved} >= {"b", "bl", "adr", "adrp", "cbz", "cbnz", "tbz",
                                           "tbnz", "ldr", "ldrsw", "prfm", "b.eq", "b.ne"}


@pytest.mark.parametrize("name", ["table-stripped", "dso-stripped.so", "tiny-le-stripped"])
def test_listing_same_with_texts_made_on_a_thread(name, monkeypatch):
    """Capstone's texts made on a second thread (own handle) while the
    likely-data pass runs: the same result as one thread."""
    kinds = ["load", "store", "atomic-rmw", "other"]
    alone = scan_file(ELF / name, kinds=kinds)
    monkeypatch.setattr(listing, "PARALLEL_FROM", 1)
    threaded = scan_file(ELF / name, kinds=kinds)
    assert threaded.as_json() == alone.as_json()
    assert threaded.listed and all(item["text"] for item in threaded.listed[:5])
