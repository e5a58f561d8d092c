"""`a64fault log` on hostile input: it ends, in bounded work, without a traceback.

(No wall-clock assertion: a regression to quadratic matching would make these
tests hang instead, which the test run shows.)
"""

from __future__ import annotations

import random

import pytest

from a64fault.log import Resolver, explain, read_text
from a64fault.log.parse import MAX_CARRY, read_stream


def test_megabyte_line_with_key_phrases():
    # Each key phrase followed by a long run: the matchers only see a window around it.
    line = "x" * 300_000 + "foo[1]: unhandled " + "a" * 300_000 + " Unable to handle kernel " \
        + "b" * 300_000 + "\n"
    found = read_text(line * 2)
    assert found.reports == [] and found.records == []


def test_many_key_phrases_on_one_line():
    found = read_text(("pc : " * 50_000) + "\n" + ("ESR = " * 50_000) + "\n")
    assert found.records == []


def test_no_newline_at_all_is_cut_into_bounded_lines():
    import io

    data = (b"Mem abort info: ESR = 0x0000000096000006 " * (3 * MAX_CARRY // 40))
    found = read_stream(io.BytesIO(data), "-")
    assert found.reports  # read, in MAX_CARRY pieces, not held whole


def test_binary_garbage():
    rng = random.Random(9)
    blob = bytes(rng.randrange(256) for _ in range(200_000))
    blob += b"\n\x00\xff ESR = 0x\xff\xfe\n  EC = 0x25: \xff, IL = 32 bits\n"
    import io

    found = read_stream(io.BytesIO(blob), "-")
    for report in found.reports:
        explain(report, Resolver(), "atomic")


@pytest.mark.parametrize("text", [
    "  ESR = 0x" + "f" * 40 + "\n",                       # wider than 64 bits: not a value
    "Internal error: Oops: " + "9" * 30 + " [#1] SMP\n",
    "x-1 [000] .... 1.0: hmf: (handle_mm_fault+0x0/0x1) addr=08 flags=09 pc=0x" + "1" * 40 + "\n",
    "x-1 [000] .... 1.0: hmf: (handle_mm_fault+0x0/0x1) addr=-5 flags=0x1 pc=-8\n",
    "  EC = 0x3f: , IL = 99999999999999999999 bits\n",
])
def test_odd_numbers_are_skipped_or_explained(text):
    found = read_text(text)
    for report in found.reports:
        done = explain(report, Resolver(), "atomic")
        assert report.esr is None or report.esr < 1 << 64
        assert done is not None


def test_negative_probe_values_do_not_break_the_report(cli, tmp_path):
    path = tmp_path / "trace"
    path.write_text("x-1 [000] .... 1.0: hmf: (handle_mm_fault+0x0/0x1) addr=-5 flags=0x40 "
                    "pc=-8\n")
    done = cli("log", "--elf", "fixtures/elf/tiny-le", path)
    assert done.returncode == 0 and "Traceback" not in done.stderr
