"""Surface: the command line's options, run in this process (main(), not a subprocess).
Every run ends in exit 0, or in exactly one ``a64fault: error:`` line and exit 2
(scan: 1 per failed file)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from a64fault.policies import POLICIES
from tests.cli import run_in_process
from tests.fuzz.common import INPUTS, NUMBER_TEXT, fuzz_settings
from tests.fuzz.elfbits import special_files
from tests.limits import within

TINY = "fixtures/elf/tiny-le"
WORDS_TEXT = st.one_of(st.text("0123456789abcdefx, \n", max_size=40), st.text(max_size=20))
OPTION_TEXT = st.one_of(NUMBER_TEXT, st.text(max_size=20))


def _opt(name, values):
    return st.one_of(st.just([]), values.map(lambda v: [name, v]))


CLASSIFY = st.builds(
    lambda source, esr, el, policy, endian, json_flag: ["classify", *source, *esr, *el, *policy,
                                                        *endian, *json_flag],
    st.one_of(
        st.lists(WORDS_TEXT.filter(lambda t: not t.startswith("-")), min_size=1, max_size=3),
        st.tuples(st.just("--bytes"), WORDS_TEXT).map(list),
        st.builds(lambda o, c: ["--file", TINY, *o, *c], _opt("--offset", OPTION_TEXT),
                  _opt("--count", OPTION_TEXT)),
        st.builds(lambda a, c: ["--elf", TINY, *a, *c],
                  st.one_of(_opt("--addr", OPTION_TEXT), _opt("--symbol", OPTION_TEXT)),
                  _opt("--count", OPTION_TEXT)),
    ),
    _opt("--esr", OPTION_TEXT), _opt("--el", st.sampled_from(["0", "1", "2", ""])),
    _opt("--policy", st.one_of(st.sampled_from(POLICIES), st.text(max_size=8))),
    _opt("--endian", st.sampled_from(["little", "big", "middle"])),
    st.sampled_from([[], ["--json"]]),
)
SIZE_TEXT = st.one_of(st.sampled_from(["4K", "2M", "1G", "255T", "0", "4097", "1", "0x1000"]),
                      OPTION_TEXT)
SIMULATE = st.builds(
    lambda workload, size, stride, align, kernel, policy: [
        "simulate", "-w", workload, *size, *stride, *align, "--kernel", kernel,
        "--policy", policy],
    st.sampled_from(["memset", "pretouch-lse", "populate-read", "madv-populate-write", "bogus"]),
    _opt("--size", SIZE_TEXT), _opt("--stride", SIZE_TEXT), _opt("--align", SIZE_TEXT),
    st.one_of(st.just("6.10"), st.text(max_size=10)),
    st.one_of(st.just("none,atomic"), st.text(max_size=10)),
)
ESR_ARGS = st.lists(OPTION_TEXT, min_size=1, max_size=3).map(lambda vs: ["esr", "--", *vs])
AUDIT_ARGS = st.one_of(st.text(max_size=60), st.text("0123456789abcdefx_: |&!()", max_size=60)
                       ).map(lambda t: ["audit", "--", t])
#: A command line cannot carry a NUL (the library's file surface tries those).
#: nor a surrogate other than an undecodable byte's (surrogateescape: \udc80-\udcff).
ARG_TEXT = st.text(st.one_of(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                             st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF)),
                   max_size=30)
#: Names under the scan's working directory (a FIFO, a socket, a directory, an ELF):
#: scan walks directories, and a walk of / is a legitimate hour-long scan.
SCAN_NAME = st.one_of(st.sampled_from(["fifo", "sock", "dir", "elf", ".", "fifo\nx"]), ARG_TEXT
                      ).map(lambda t: t.lstrip("/").replace("..", "_") or "x")
SCAN_ARGS = st.lists(SCAN_NAME, min_size=1, max_size=3).map(lambda names: ["scan", "--", *names])


@pytest.fixture(scope="module", autouse=True)
def warm():
    """One good run per command first: what a process builds on first use (pattern and
    vector tables, policy indexes) is not charged to the first fuzz input's time limit."""
    for args in (["classify", "b8200041", "--esr", "92000047"], ["esr", "92000047"],
                 ["audit", "0:0"], ["scan", TINY],
                 ["simulate", "-w", "memset", "-s", "8K", "--kernel", "6.10"]):
        assert run_in_process(*args).returncode == 0, args


def _check(args, seconds=20.0, lines=1, cwd=None):
    INPUTS[f"options: {args[0]}"] += 1
    with within(seconds, " ".join(args)[:60]):
        done = run_in_process(*args) if cwd is None else run_in_process(*args, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    if done.returncode == 0:
        return
    failed_status = 1 if args[0] == "scan" else 2
    assert done.returncode == failed_status, (args, done.returncode, done.stderr)
    errors = done.stderr.splitlines()
    assert 1 <= len(errors) <= lines, (args, done.stderr)
    assert all(line.startswith("a64fault: error: ") for line in errors), (args, done.stderr)


@fuzz_settings()
@given(CLASSIFY)
def test_classify_options(args):
    _check(args)


@fuzz_settings()
@given(SIMULATE)
def test_simulate_options(args):
    _check(args)


@fuzz_settings()
@given(ESR_ARGS)
def test_esr_options(args):
    _check(args)


@fuzz_settings()
@given(AUDIT_ARGS)
def test_audit_options(args):
    _check(args)


@pytest.fixture(scope="module")
def scan_dir():
    with special_files() as directory:
        yield directory


@fuzz_settings()
@given(SCAN_ARGS)
def test_scan_names(scan_dir, args):
    _check(args, lines=len(args) - 2, cwd=scan_dir)
