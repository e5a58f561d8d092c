"""Hostile trace files end in one InputError naming the file (and line), never a crash."""

import pytest

from a64fault.errors import InputError
from a64fault.model.trace import MAX_LINE_CHARS, MAX_TRACE_BYTES, read_trace
from tests.expect import assert_one_error

STADD = 0xB83F001F

HOSTILE = {
    "bare CR in a CSV field": ("t.csv", f"word,address\n{STADD:#x},40\r96\n"),
    "bare CR in a quoted CSV field": ("t.csv", 'word,address\n"0xb83f\r001f",4096\n'),
    "CSV field over 131,072 chars": ("t.csv", "word,address\n" + "1" * 131_073 + ",4096\n"),
    "quoted multi-line CSV field": ("t.csv", 'word,address\n"' + "1\n" * 70_000 + '",4096\n'),
    "NUL in CSV": ("t.csv", "word,address\n\x00,4096\n"),
    "5,000-digit JSON number": ("t.jsonl", '{"address": ' + "9" * 5000 + f', "word": {STADD}}}\n'),
    "5,000-digit JSON text number": ("t.jsonl", '{"address": "' + "9" * 5000 + '", "word": 1}\n'),
    "100,000 nested [": ("t.jsonl", '{"address": ' + "[" * 100_000 + "\n"),
    "1,500 nested [ in a short line": ("t.jsonl", '{"a": ' + "[" * 1500 + "]" * 1500 + "}\n"),
    "JSON NaN": ("t.jsonl", f'{{"address": NaN, "word": {STADD}}}\n'),
    "JSON huge float": ("t.jsonl", f'{{"address": 1e999, "word": {STADD}}}\n'),
    "negative JSON number": ("t.jsonl", f'{{"address": -4096, "word": {STADD}}}\n'),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_trace_is_an_input_error(tmp_path, name):
    filename, text = HOSTILE[name]
    path = tmp_path / filename
    path.write_text(text, newline="")
    with pytest.raises(InputError) as caught:
        read_trace(str(path))
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("name", ["bare CR in a CSV field", "5,000-digit JSON number",
                                  "100,000 nested [", "CSV field over 131,072 chars"])
def test_hostile_trace_cli_one_line(tmp_path, name):
    filename, text = HOSTILE[name]
    path = tmp_path / filename
    path.write_text(text, newline="")
    assert_one_error(["simulate", "-w", "trace", "--trace", path, "--kernel", "6.10",
                      "--policy", "none"], contains=str(path))


def test_line_and_file_limits(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("word,address\n" + f"{STADD:#x},4096" + " " * MAX_LINE_CHARS + "\n")
    with pytest.raises(InputError, match=f":2: line of .* at most {MAX_LINE_CHARS}"):
        read_trace(str(path))
    with open(path, "wb") as handle:
        handle.truncate(MAX_TRACE_BYTES + 1)
    with pytest.raises(InputError, match="at most 64 MiB"):
        read_trace(str(path))


def test_good_rows_still_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"word,address\r\n{STADD:#x},4096\r\n{STADD},0x2000\r\n", newline="")
    assert [(a.word, a.address) for a in read_trace(str(path))] == [(STADD, 4096),
                                                                    (STADD, 0x2000)]
