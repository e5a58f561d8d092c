"""Surface: trace files (CSV and JSON Lines rows, and raw text), read by the model's
trace reader. LLVM is replaced by a stub that refuses every line: the rows' parsing
is what is fuzzed here (the assembler's own input rules are the assembler surface)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from a64fault import assembler
from a64fault.model.trace import read_trace
from tests.fuzz.common import MID_INTS, NUMBER_TEXT, fuzz_settings, result_or_input_error
from tests.fuzz.elfbits import scratch_dir

JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), MID_INTS, st.floats(allow_nan=False), NUMBER_TEXT,
              st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
ASM = st.one_of(st.sampled_from(["stadd wzr, [x0]", ".incbin \"/dev/zero\"", ".fill 99", "nop; nop",
                                 "x: .zero 4", "nop\r.fill 1", ""]), st.text(max_size=40))
KEYS = st.sampled_from(["address", "word", "asm", " address ", "Word", ""])
ROW = st.dictionaries(KEYS, st.one_of(JSON_VALUE, ASM), max_size=4)


def _csv(rows) -> str:
    out = io.StringIO()
    names = sorted({key for row in rows for key in row}) or ["address"]
    writer = csv.DictWriter(out, names)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: value if isinstance(value, str) else json.dumps(value)
                         for key, value in row.items()})
    return out.getvalue()


def _jsonl(rows) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


TRACE_TEXT = st.one_of(
    st.tuples(st.just("t.csv"), st.lists(ROW, max_size=5).map(_csv)),
    st.tuples(st.just("t.jsonl"), st.lists(ROW, max_size=5).map(_jsonl)),
    st.tuples(st.sampled_from(["t.csv", "t.jsonl", "t.txt"]),
              st.text(alphabet=st.characters(), max_size=300)),
    st.tuples(st.sampled_from(["t.csv", "t.jsonl"]),
              st.builds(lambda head, piece, n: head + piece * n,
                        st.sampled_from(["word,address\n", '{"address": ', ""]),
                        st.sampled_from(["[", "9", "\r", '"', "1,", "\x00", "{"]),
                        st.integers(0, 200_000))),
)


@pytest.fixture(scope="module")
def scratch():
    directory = scratch_dir()
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _refuse(argv):
    return subprocess.CompletedProcess(argv, 1, "", "")


@fuzz_settings()
@given(TRACE_TEXT)
def test_trace_files(scratch, named_text):
    name, text = named_text
    path = os.path.join(scratch, name)
    with open(path, "w", encoding="utf-8", errors="surrogatepass", newline="") as handle:
        handle.write(text)
    with mock.patch.object(assembler, "_run_limited", _refuse):
        accesses = result_or_input_error("trace: files", lambda: read_trace(path))
    assert accesses is None or all(0 <= a.word < 1 << 32 for a in accesses)


@fuzz_settings()
@given(ASM)
def test_assembler_lines(line):
    with mock.patch.object(assembler, "_run_limited", _refuse):
        result_or_input_error("trace: asm lines", lambda: assembler.assemble([line]))
