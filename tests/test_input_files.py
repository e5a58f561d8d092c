"""Input files: only regular files (or a character device with --count) are opened;
memory stays bounded whatever --offset/--count say; error lines stay one line."""

import os
import resource

import pytest

from a64fault.decoder.words import MAX_FILE_WORDS, read_file_words
from a64fault.errors import InputError, one_line, open_input, shown
from tests.cli import run_in_process, run_subprocess
from tests.expect import assert_one_error
from tests.limits import within

TINY = "fixtures/elf/tiny-le"


@pytest.fixture
def fifo(tmp_path):
    """A FIFO nobody writes to: a plain open() of it blocks forever."""
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def _within(seconds, call):
    """call()'s result; fails (instead of hanging the suite) if it blocks."""
    with within(seconds, "opening the input"):
        return call()


@pytest.mark.parametrize("devices", [False, True])
def test_open_input_refuses_fifo_socket_directory(tmp_path, fifo, devices):
    import socket

    sock_path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        for path, kind in ((fifo, "not a regular file.*FIFO"), (sock_path, "socket"),
                           (tmp_path, "is a directory, not a regular file")):
            with pytest.raises(InputError, match=kind):
                _within(5, lambda p=path: open_input(p, "ELF file", devices=devices))
    finally:
        server.close()


def test_open_input_refuses_names_no_file_can_have():
    for name, message in (("a\x00b", "NUL"), ("\ud800", "can encode")):
        with pytest.raises(InputError, match=message):
            open_input(name)


def test_open_input_devices_only_when_asked():
    with pytest.raises(InputError, match="character device"):
        open_input("/dev/zero")
    with open_input("/dev/zero", devices=True) as handle:
        assert handle.read(4) == bytes(4)


@pytest.mark.parametrize("args", [
    ["classify", "--file", "FIFO"],
    ["classify", "--file", "FIFO", "--count", "1"],
    ["classify", "--elf", "FIFO", "--addr", "0"],
    ["scan", "FIFO"],
    ["log", "FIFO"],
    ["log", "--maps", "FIFO", "--elf", TINY, "-"],
    ["simulate", "-w", "trace", "--trace", "FIFO"],
])
def test_cli_refuses_a_fifo_without_blocking(fifo, args):
    args = [str(fifo) if a == "FIFO" else a for a in args]
    status = 1 if args[0] == "scan" else 2  # scan: 1 when a file failed
    line = _within(10, lambda: assert_one_error(args, status))
    assert "FIFO" in line


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_scan_refuses_a_fifo_among_other_files(fifo, jobs):
    """A subprocess: with -j 2 a worker process would block where no alarm reaches it."""
    done = run_subprocess("scan", "-j", jobs, TINY, fifo, "fixtures/elf/tiny-be")
    assert done.returncode == 1
    assert done.stdout.count(f"{TINY}:") == done.stdout.count("tiny-be:") == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "not a regular file" in lines[0], done.stderr


@pytest.mark.parametrize("offset, count, message", [
    ("0x10000000000", "1", "past the end"),
    ("0x8000000000000000", "1", "past the end"),
    ("0xffffffffffffffff", None, "past the end"),
    ("0", "0x2000000000000000", "more than"),
    ("0", str(MAX_FILE_WORDS + 1), "more than"),
])
def test_file_offsets_and_counts_past_any_file(offset, count, message):
    args = ["classify", "--file", TINY, "--offset", offset] + (["--count", count] if count else [])
    assert_one_error(args, contains=message)


def _peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_device_offset_memory_is_bounded():
    """Words far into /dev/zero: read after a seek, not after materialising the offset."""
    before = _peak_rss_kib()
    words = read_file_words("/dev/zero", offset=0x10000000, count=1)
    assert [(w.address, w.word) for w in words] == [(0x10000000, 0)]
    huge = read_file_words("/dev/zero", offset=0x7FFF_FFFF_FFFF_0000, count=2)
    assert [w.address for w in huge] == [0x7FFF_FFFF_FFFF_0000, 0x7FFF_FFFF_FFFF_0004]
    assert _peak_rss_kib() - before < 64 * 1024  # the old reader grew by 256 MiB


def test_regular_file_without_count_is_bounded(tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        handle.truncate(4 * MAX_FILE_WORDS + 4)
    with pytest.raises(InputError, match="give --count"):
        read_file_words(big)
    assert len(read_file_words(big, offset=4, count=MAX_FILE_WORDS)) == MAX_FILE_WORDS


def test_shown_and_one_line_escape_control_characters():
    assert shown("no\nsuch") == "no\\nsuch"
    assert shown("\udcff.bin") == "\\xff.bin"  # an undecodable byte of a name (surrogateescape)
    assert shown("a\x1b[31mb") == "a\\x1b[31mb"
    assert one_line("two\nlines\r\tand\x00nul") == "two lines and\\x00nul"
    assert len(one_line("x" * 10_000)) == 300


def test_scan_of_a_name_with_a_newline_is_one_error_line():
    done = run_in_process("scan", "no\nsuch")
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "no\\nsuch" in lines[0], done.stderr


def test_classify_of_a_name_with_a_newline_is_one_error_line():
    line = assert_one_error(["classify", "--file", "no\nsuch\x1b"])
    assert "no\\nsuch\\x1b" in line
