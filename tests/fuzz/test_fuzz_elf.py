"""Surfaces: ELF headers and section tables (generated), symbol expressions, and the
mutation fuzzer over the fixture ELFs (truncation at every length, header and
section-table field corruption), which runs whole in the default run."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from a64fault.decoder.elf import ElfImage
from tests.fuzz import common
from tests.fuzz.common import (
    DEFAULT_EXAMPLES,
    INPUTS,
    fuzz_settings,
    result_or_input_error,
)
from tests.fuzz.elfbits import FIXTURES, corruptions, elf_files, exercise, scratch_dir, truncations


@pytest.fixture(scope="module")
def scratch():
    directory = scratch_dir()
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _write(directory: str, data: bytes) -> str:
    path = os.path.join(directory, "mutant")
    with open(path, "wb") as handle:
        handle.write(data)
    return path


@fuzz_settings()
@given(data=elf_files())
def test_generated_elf_headers_and_section_tables(scratch, data):
    path = _write(scratch, data)
    result_or_input_error("ELF: generated headers", lambda: exercise(path))


SYMBOL_TEXT = st.one_of(
    st.text(max_size=60),
    st.builds(lambda n, sign, off: f"{n}{sign}{off}",
              st.sampled_from(["add_one", "pretouch", ".text", "main", "", "$x"]),
              st.sampled_from(["+", "-", " + ", "++", ""]),
              st.one_of(st.text("0123456789abcdefx_", max_size=30),
                        st.integers(0, 1 << 70).map(hex), st.just("9" * 5000))),
)


@fuzz_settings()
@given(SYMBOL_TEXT)
def test_symbol_expressions(text):
    with ElfImage(FIXTURES / "tiny-le") as image:
        address = result_or_input_error("ELF: symbol expressions", lambda: image.address_of(text))
        assert address is None or 0 <= address < 1 << 64
        result_or_input_error("ELF: address text", lambda: image.parse_address(text))


FIXTURE_FILES = sorted(p for p in FIXTURES.iterdir() if p.is_file())


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_elf_mutants(scratch, fixture):
    """Every truncation and every field corruption of one fixture: a result or one InputError."""
    data = fixture.read_bytes()
    more = common.EXAMPLES > DEFAULT_EXAMPLES  # the fuzz run: more corrupt values
    for mutant in (*truncations(data), *corruptions(data, more)):
        path = _write(scratch, mutant)
        result_or_input_error("ELF: fixture mutants", lambda p=path: exercise(p), seconds=20)
    assert INPUTS["ELF: fixture mutants"] > 0
