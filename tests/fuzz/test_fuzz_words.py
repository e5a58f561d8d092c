"""Surfaces: the word (classify, upgrades, decide, decode, the vector classifier), ESR
values, hex text, memory bytes, and the number parser."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import a64fault
from a64fault import esr
from a64fault.decoder.words import parse_bytes, parse_word, parse_words, words_from_bytes
from a64fault.numbers import parse_field, parse_int, parse_size
from a64fault.policies import POLICIES
from a64fault.vector import classify_array, classify_rows
from tests.fuzz.common import ANY_VALUE, INTS, NUMBER_TEXT, fuzz_settings, result_or_input_error

WORDS = st.one_of(st.integers(0, (1 << 32) - 1), ANY_VALUE)
POLICY = st.one_of(st.sampled_from(POLICIES), st.text(max_size=20), ANY_VALUE)


@fuzz_settings()
@given(WORDS)
def test_classify(word):
    result = result_or_input_error("word: classify", lambda: a64fault.classify(word))
    if result is not None:
        assert isinstance(word, int) and 0 <= word < 1 << 32


@fuzz_settings()
@given(WORDS, POLICY)
def test_upgrades(word, policy):
    result = result_or_input_error("word: upgrades", lambda: a64fault.upgrades(word, policy))
    assert result in (None, True, False)


@fuzz_settings()
@given(WORDS, st.one_of(st.integers(0, (1 << 64) - 1), ANY_VALUE), st.sampled_from([0, 1, 2, -1]),
       st.booleans(), st.sampled_from([None, True, False, "yes"]), POLICY)
def test_decide(word, syndrome, el, aarch32, writable, policy):
    result_or_input_error("word: decide", lambda: a64fault.decide(
        word, syndrome, el=el, aarch32=aarch32, vma_writable=writable, policy=policy))


@fuzz_settings()
@given(st.one_of(WORDS, st.binary(max_size=8)), st.one_of(INTS, ANY_VALUE))
def test_decode(word, address):
    result = result_or_input_error("word: decode", lambda: a64fault.decode(word, address))
    assert result is None or str(result)


@fuzz_settings()
@given(st.one_of(st.lists(WORDS, max_size=8), ANY_VALUE,
                 st.lists(st.integers(-(1 << 70), 1 << 70), max_size=8).map(np.array),
                 st.lists(st.floats(), max_size=4).map(np.array)))
def test_vector_classifier(words):
    rows = result_or_input_error("word: classify_rows", lambda: classify_rows(words))
    kinds = result_or_input_error("word: classify_array", lambda: classify_array(words))
    assert (rows is None) == (kinds is None)


@fuzz_settings()
@given(st.one_of(st.integers(0, (1 << 64) - 1), ANY_VALUE))
def test_esr_decode(value):
    result = result_or_input_error("ESR: decode", lambda: esr.decode(value))
    if result is not None:
        assert isinstance(value, int) and 0 <= value < 1 << 64


HEX_TEXT = st.one_of(
    st.text("0123456789abcdefABCDEFxX, \t\n\r;-_", max_size=120),
    st.lists(st.integers(0, (1 << 36)).map(lambda n: f"{n:x}"), max_size=8).map(" ".join),
    st.text(max_size=120),
    st.builds(lambda d, n: d * n, st.sampled_from(["f", "0x", ",", "ff "]), st.integers(0, 50_000)),
)


@fuzz_settings()
@given(HEX_TEXT)
def test_hex_text(text):
    words = result_or_input_error("hex text: parse_words", lambda: parse_words([text]))
    assert words is None or all(0 <= w < 1 << 32 for w in words)
    result_or_input_error("hex text: parse_word", lambda: parse_word(text))


@fuzz_settings()
@given(HEX_TEXT, st.one_of(st.sampled_from(["little", "big"]), st.text(max_size=8)))
def test_hex_bytes(text, endian):
    result_or_input_error("hex text: parse_bytes", lambda: parse_bytes(text, endian))


@fuzz_settings()
@given(st.binary(max_size=64), st.one_of(st.sampled_from(["little", "big"]), ANY_VALUE))
def test_bytes(data, endian):
    words = result_or_input_error("bytes: words_from_bytes", lambda: words_from_bytes(data, endian))
    if words is not None:
        assert len(words) * 4 == len(data)


@fuzz_settings()
@given(st.one_of(NUMBER_TEXT, ANY_VALUE), st.booleans(), st.sampled_from([8, 32, 48, 64]))
def test_numbers(text, hex_default, bits):
    value = result_or_input_error("number: parse_int",
                                  lambda: parse_int(text, "--n", hex_default=hex_default, bits=bits))
    assert value is None or 0 <= value < 1 << bits
    size = result_or_input_error("number: parse_size", lambda: parse_size(text, "--size"))
    assert size is None or 0 < size < 1 << 64
    field = result_or_input_error("number: parse_field", lambda: parse_field(text, "word", 1 << 32))
    assert field is None or 0 <= field < 1 << 32
