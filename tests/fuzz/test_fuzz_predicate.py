"""Surface: predicate text (the audit's and the predicate command's ``MASK:VALUE`` terms
joined with ``| & ! ( )``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from a64fault.audit import parse_predicate
from tests.fuzz.common import fuzz_settings, result_or_input_error

NUMBER = st.one_of(st.integers(0, (1 << 32) - 1).map(hex), st.integers(0, 1 << 40).map(str),
                   st.sampled_from(["0x", "_", "0xffff_ffff", "9" * 5000, "0x" + "f" * 100]))
TERM = st.builds(lambda m, v: f"{m}:{v}", NUMBER, NUMBER)


def _join(parts):
    return st.builds(lambda op, items: f" {op} ".join(items), st.sampled_from("|&"),
                     st.lists(parts, min_size=1, max_size=4))


EXPRESSION = st.recursive(
    TERM,
    lambda inner: st.one_of(_join(inner), inner.map(lambda e: f"!{e}"),
                            inner.map(lambda e: f"({e})"), inner.map(lambda e: f"!!({e})")),
    max_leaves=12,
)
PREDICATE_TEXT = st.one_of(
    EXPRESSION,
    st.text("0123456789abcdefx_: |&!()\n\t", max_size=120),
    st.text(max_size=60),
    st.builds(lambda piece, n: piece * n, st.sampled_from(["(", "!", "1:1&", "0:0|", ")"]),
              st.integers(0, 20_000)),
)


@fuzz_settings()
@given(PREDICATE_TEXT)
def test_predicates(text):
    cubes = result_or_input_error("predicate: parse", lambda: parse_predicate(text))
    if cubes is not None:
        assert 0 <= cubes.size() <= 1 << 32
