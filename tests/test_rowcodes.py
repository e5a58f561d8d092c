"""The numpy-free row-code path agrees with the vector classifier word for word."""

import numpy as np

from a64fault import vector
from a64fault.rowcodes import small_tables


def test_small_path_equals_the_vector_path():
    rng = np.random.default_rng(11)
    words = rng.integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32)
    # Plus words with op0 bit 27 set (the loads and stores), where the ambiguous keys live.
    dense = rng.integers(0, 2**32, size=100_000, dtype=np.uint64).astype(np.uint32) | np.uint32(1 << 27)
    words = np.concatenate([words, dense])
    expected = vector.classify_rows(words).tolist()
    assert small_tables().row_codes(words.astype("<u4").tobytes()) == expected
