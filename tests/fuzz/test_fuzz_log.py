"""Surface: kernel log text (fault reports and live records), read by the log parser."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from a64fault.log import read_text
from tests.fuzz.common import MID_INTS, fuzz_settings, result_or_input_error

PHRASES = st.sampled_from([
    "Unable to handle kernel paging request at virtual address ",
    "Mem abort info:", "  ESR = 0x", "  EC = 0x25: DABT (current EL), IL = 32 bits",
    "Internal error: Oops: ", "pc : ", "lr : ", "Call trace:", "Unhandled fault at 0x",
    "handle_mm_fault: (handle_mm_fault+0x0/0x2c0) addr=", " pc=", " flags=",
    "[  12.345678] ", "<1>", "\x1b[31m", "\r\n", "\n", "9" * 5000, "0x" + "f" * 40,
])
LOG_TEXT = st.one_of(
    st.lists(st.one_of(PHRASES, MID_INTS.map(hex), st.text(max_size=20)), max_size=30).map("".join),
    st.text(max_size=400),
)


@fuzz_settings()
@given(LOG_TEXT)
def test_log_text(text):
    found = result_or_input_error("log: text", lambda: read_text(text))
    assert found is None or hasattr(found, "reports")
