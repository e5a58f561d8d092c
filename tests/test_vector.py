"""The vector classifier gives the scalar classifier's answers, word for word."""

from __future__ import annotations

import numpy as np
import pytest

from a64fault import InputError, vector
from a64fault.kinds import KIND_CODES, Kind
from a64fault.patterns import TABLE_PATH, Table, TableError, read_rows
from a64fault.patterns.table import AMBIGUOUS, KEY_BITS, keys_of

# A small table whose rows are dense enough that random words hit every row,
# with nesting that bits outside the lookup key decide (three deep).
SYNTHETIC = """
LDADD  | size:2 111 0 00 A R 1 Rs:5 o3=0 opc=000 00 Rn:5 Rt:5 | atomic-rmw | LSE | 1<<size
SWP    | size:2 111 0 00 A R 1 Rs:5 o3=1 opc=000 00 Rn:5 Rt:5 | atomic-rmw | LSE | 1<<size
LDAPR  | size:2 111 0 00 1 0 1 11111 1 100 00 Rn:5 Rt:5 | load | RCPC | 1<<size
WIDE   | 0 x:2 10 y:2 q:3 0 Rs:5 z:6 Rn:5 Rt:5 | load | - | -
INNER  | 0 x:2 10 y:2 q:3 0 Rs=10101 z:6 Rn:5 Rt:5 | store | - | -
INNER2 | 0 x:2 10 y:2 q:3 0 Rs=10101 z:6 Rn:5 Rt=00000 | prefetch | FOO | -
LOW    | 1 x:2 10 y:2 q:3 0 Rs:5 z:6 Rn=11111 Rt:5 | compare-and-swap | BAR | -
"""


@pytest.fixture(scope="module")
def synthetic() -> Table:
    return Table(read_rows(SYNTHETIC))


def brute_force_rows(table: Table, words: np.ndarray) -> np.ndarray:
    """Most specific matching row per word, by testing every row (no index)."""
    result = np.full(len(words), -1, dtype=np.int64)
    for code in range(len(table.rows) - 1, -1, -1):  # least specific first, overwritten
        row = table.rows[code]
        result[(words & np.uint32(row.mask)) == np.uint32(row.value)] = code
    return result


def test_synthetic_table_matches_brute_force(synthetic):
    words = np.random.default_rng(7).integers(0, 1 << 32, 2_000_000, dtype=np.uint32)
    expected = brute_force_rows(synthetic, words)
    rows = vector.classify_rows(words, synthetic)
    assert np.array_equal(rows, expected)
    # Every row of the synthetic table is hit.
    assert set(np.unique(expected).tolist()) == set(range(-1, len(synthetic.rows)))
    kinds = vector.classify_array(words, synthetic)
    expected_kinds = [
        KIND_CODES[synthetic.rows[c].kind] if c >= 0 else KIND_CODES[Kind.OTHER]
        for c in expected.tolist()
    ]
    assert np.array_equal(kinds, np.array(expected_kinds, dtype=np.int8))


def test_second_level_sub_tables(synthetic):
    """Every ambiguous key resolves through its sub-table, as brute force does."""
    vt = vector.VectorTable(synthetic)
    assert vt.ambiguous_keys > 0
    words = np.random.default_rng(12).integers(0, 1 << 32, 500_000, dtype=np.uint32)
    keys = keys_of(words)
    ambiguous = np.flatnonzero(synthetic.index[keys] == AMBIGUOUS)
    assert len(ambiguous) > 1000
    got = vt.resolve(words[ambiguous], keys[ambiguous])
    assert np.array_equal(got, brute_force_rows(synthetic, words[ambiguous]))


def test_a_table_needing_more_sub_table_entries_than_the_budget_is_refused(synthetic, monkeypatch):
    monkeypatch.setattr(vector, "SUB_ENTRIES", 1 << 6)
    with pytest.raises(TableError, match="sub-table entries"):
        vector.VectorTable(synthetic)


def test_threads_give_the_same_answer(synthetic):
    words = np.random.default_rng(8).integers(0, 1 << 32, 3 * vector.THREAD_THRESHOLD + 5,
                                              dtype=np.uint32)
    one = vector.classify_array(words, synthetic, threads=1)
    two = vector.classify_array(words, synthetic, threads=2)
    assert np.array_equal(one, two)


def test_input_forms(synthetic):
    words = [0x0, 0xFFFFFFFF]
    assert len(vector.classify_array(words, synthetic)) == 2
    assert len(vector.classify_array(np.array([], dtype=np.uint32), synthetic)) == 0
    for bad in ([-1], [1 << 32], [1.5], ["1"]):
        with pytest.raises(InputError):
            vector.classify_array(bad, synthetic)
        with pytest.raises(InputError):
            vector.classify_rows(bad, synthetic)


def test_codes_of_rows(synthetic):
    vt = vector.vector_table(synthetic)
    rows = np.arange(-1, len(synthetic.rows), dtype=np.int16)
    forms = vector.forms_of_rows(rows, synthetic)
    features = vector.features_of_rows(rows, synthetic)
    assert forms[0] == -1 and vt.features[features[0]] is None
    for code, row in enumerate(synthetic.rows):
        assert synthetic.forms[forms[code + 1]] == row.form
        assert vt.features[features[code + 1]] == row.feature


# ---- the project's table, against the scalar classify() --------------------

def _has_table() -> bool:
    return TABLE_PATH.exists() and bool(read_rows(TABLE_PATH.read_text()))


needs_table = pytest.mark.skipif(not _has_table(), reason="a64.patterns not merged yet")


def scalar_kinds(words) -> np.ndarray:
    from a64fault import classify

    return np.array([KIND_CODES[classify(w).kind] for w in words], dtype=np.int8)


def scalar_rows(words) -> np.ndarray:
    from a64fault import classify
    from a64fault.patterns import default_table

    code = {id(r): i for i, r in enumerate(default_table().rows)}
    return np.array([code[id(c.row)] if c.row is not None else -1
                     for c in map(classify, words)], dtype=np.int16)


@needs_table
def test_opcode_sweep_matches_scalar():
    """Every lookup key, with the other bits all zero, all one, and random."""
    keys = np.arange(1 << KEY_BITS, dtype=np.uint32)
    spread = np.zeros(len(keys), dtype=np.uint32)
    # Place each key's bits back at their word positions (bits 31:21, 15:10).
    spread |= (keys >> 6) << 21
    spread |= (keys & 63) << 10
    assert np.array_equal(keys_of(spread), keys)
    rest = ~np.uint32(0) ^ ((~np.uint32(0) >> 21 << 21) | (np.uint32(63) << 10))
    noise = np.random.default_rng(9).integers(0, 1 << 32, len(keys), dtype=np.uint32)
    words = np.concatenate([spread, spread | rest, spread | (noise & rest)])
    assert np.array_equal(vector.classify_rows(words), scalar_rows(words.tolist()))
    assert np.array_equal(vector.classify_array(words), scalar_kinds(words.tolist()))


@pytest.mark.slow
@needs_table
def test_ten_million_random_words_match_scalar():
    """10 M random words (fixed seed): every word compared with the scalar path.

    Words whose key the index decides are compared through one scalar call per
    distinct key (the scalar answer depends on nothing else there, which is
    checked on a random subsample); words of ambiguous keys one by one.
    """
    from a64fault.patterns import default_table

    words = np.random.default_rng(10).integers(0, 1 << 32, 10_000_000, dtype=np.uint32)
    rows = vector.classify_rows(words)
    kinds = vector.classify_array(words)
    assert np.array_equal(kinds, vector.kinds_of_rows(rows))
    keys = keys_of(words)
    ambiguous = default_table().index[keys] == AMBIGUOUS
    which = np.flatnonzero(ambiguous)
    assert np.array_equal(rows[which], scalar_rows(words[which].tolist()))
    decided = np.flatnonzero(~ambiguous)
    _, first = np.unique(keys[decided], return_index=True)
    representatives = decided[first]
    expected = dict(zip(keys[representatives].tolist(),
                        scalar_rows(words[representatives].tolist()).tolist()))
    per_key = np.full(1 << KEY_BITS, -3, dtype=np.int16)
    per_key[list(expected)] = list(expected.values())
    assert np.array_equal(rows[decided], per_key[keys[decided]])
    sample = np.random.default_rng(11).choice(len(words), 200_000, replace=False)
    assert np.array_equal(rows[sample], scalar_rows(words[sample].tolist()))


@needs_table
def test_fixture_corpus_matches_scalar():
    import json
    from pathlib import Path

    path = Path(__file__).parent.parent / "a64fault" / "data" / "encodings.jsonl"
    if not path.exists():
        pytest.skip("a64fault/data/encodings.jsonl not built yet")
    words = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        word = record.get("word")
        words.append(int(word, 16) if isinstance(word, str) else int(word))
    array = np.array(words, dtype=np.uint32)
    assert np.array_equal(vector.classify_rows(array), scalar_rows(words))
    assert np.array_equal(vector.classify_array(array), scalar_kinds(words))
