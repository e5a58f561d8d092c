"""What every fuzz surface asserts: a result or an InputError, nothing else, within a
time limit per input (SIGALRM, so a hang fails the example instead of the suite)."""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from a64fault.errors import InputError
from tests.limits import within

#: Examples per surface under ``pytest -m fuzz``.
FUZZ_EXAMPLES = 10_000
#: Examples per surface in the default run.
DEFAULT_EXAMPLES = 300
EXAMPLES = int(os.environ.get("A64FAULT_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
#: Seconds one input may take (generous: every surface answers in milliseconds).
SECONDS_PER_INPUT = 10.0

#: Inputs run per surface in this session.
INPUTS: Counter[str] = Counter()


def fuzz_settings(examples: int | None = None):
    """EXAMPLES examples (read when the test module is imported: after conftest set it),
    derandomized (the profile), no hypothesis deadline (the alarm bounds time instead)."""
    return settings(max_examples=EXAMPLES if examples is None else examples, deadline=None,
                    suppress_health_check=list(HealthCheck))


def result_or_input_error(surface: str, call, seconds: float = SECONDS_PER_INPUT):
    """call()'s result, or None when it raised InputError; anything else fails the test."""
    INPUTS[surface] += 1
    with within(seconds, f"{surface} input"):
        try:
            return call()
        except InputError as error:
            assert str(error), "an InputError needs a message"
            return None


#: Numbers at the edges: 0, 1, powers of two and their neighbours, 64-bit ends.
EDGE_INTS = st.sampled_from([0, 1, 2, 3, 4, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000,
                             0xFFFFFFFF, 1 << 32, (1 << 48) - 1, 1 << 48, (1 << 63) - 1,
                             1 << 63, (1 << 64) - 1, 1 << 64, -1, -(1 << 63)])
INTS = st.one_of(EDGE_INTS, st.integers(), st.integers(min_value=0, max_value=(1 << 64) - 1),
                 st.integers(min_value=-(10 ** 4000), max_value=10 ** 4000))
#: Integers whose decimal text Python can print (under its 4,300-digit limit).
MID_INTS = st.one_of(EDGE_INTS, st.integers(min_value=-(1 << 70), max_value=1 << 70))
#: Anything a caller might pass where a number or text belongs.
ANY_VALUE = st.one_of(INTS, st.none(), st.booleans(), st.floats(), st.text(max_size=50),
                      st.binary(max_size=20), st.lists(st.integers(), max_size=4),
                      st.just(object()), st.decimals(allow_nan=True))
#: Text a hostile user types: digits and hex, separators, control characters, any Unicode.
NUMBER_TEXT = st.one_of(
    st.text("0123456789abcdefABCDEFxX_ +-.kmgtpKMGTPiB\t\n\r", max_size=80),
    st.builds(lambda d, n: d * n, st.sampled_from(["9", "f", "0x", "_", " "]),
              st.integers(0, 6000)),
    st.text(max_size=80),
    MID_INTS.map(str), MID_INTS.map(lambda n: hex(n) if n >= 0 else str(n)),
)
