"""Surface: file names given to every reader (raw words, ELF, trace, scan), among a
FIFO, a socket, a directory, a device and regular files: a result or InputError, and
never a blocking open()."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from a64fault.decoder.elf import ElfImage
from a64fault.decoder.words import read_file_words
from a64fault.model.trace import read_trace
from a64fault.scan import scan_file
from tests.fuzz.common import fuzz_settings, result_or_input_error
from tests.fuzz.elfbits import special_files


@pytest.fixture(scope="module")
def files():
    with special_files() as directory:
        with open(os.path.join(directory, "t.csv"), "w") as handle:
            handle.write("word,address\n0xb83f001f,4096\n")
        yield directory


NAMES = st.one_of(
    st.sampled_from(["fifo", "sock", "dir", "elf", "t.csv", "missing", "/dev/zero", "/dev/null",
                     "elf/x", "", ".", "fifo\n", "a" * 300, "a/" * 3000, "\ud800", "\udcff",
                     "x\x00y"]),
    st.text(max_size=40),
)


@fuzz_settings()
@given(NAMES, st.sampled_from([None, 1, 3]))
def test_file_names(files, name, count):
    path = os.path.join(files, name) if name and not name.startswith("/") else name
    result_or_input_error("files: raw words", lambda: read_file_words(path, 0, count), seconds=5)
    result_or_input_error("files: ELF", lambda: ElfImage(path).close(), seconds=5)
    result_or_input_error("files: trace", lambda: read_trace(path), seconds=5)
    result_or_input_error("files: scan", lambda: scan_file(path), seconds=5)
