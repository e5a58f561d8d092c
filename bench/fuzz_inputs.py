"""Coverage-guided fuzzing of the input parsers with atheris (libFuzzer for Python).

    pip install atheris            # a wheel exists for CPython 3.11 on x86-64 Linux
    python bench/fuzz_inputs.py -atheris_runs=200000      # or -max_total_time=120

The first input byte picks the surface; the rest is its input. Every surface must
return a result or raise InputError: anything else is a crash that atheris reports
with the input that caused it (saved as crash-<hash> in the working directory).
Not part of the test suite (atheris is not a dependency): the hypothesis suites in
tests/fuzz/ are the project's fuzz tests.
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["a64fault"]):
    from a64fault import esr
    from a64fault.audit import parse_predicate
    from a64fault.decoder.elf import ElfImage
    from a64fault.decoder.words import parse_bytes, parse_words, words_from_bytes
    from a64fault.errors import InputError
    from a64fault.log import read_text
    from a64fault.model.trace import read_trace
    from a64fault.numbers import parse_int, parse_size
    from a64fault.scan import scan_file

_SCRATCH = tempfile.mkdtemp(prefix="a64fault-atheris-",
                            dir="/dev/shm" if os.path.isdir("/dev/shm") else None)


def _file(name: str, data: bytes) -> str:
    path = os.path.join(_SCRATCH, name)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def _elf(data: bytes):
    path = _file("elf", data)
    with ElfImage(path) as image:
        for _, vaddr, _, size in image.executable_ranges()[:2]:
            image.symbolize(vaddr)
            if size >= 4:
                image.words_at(vaddr, 1)
    return scan_file(path, limit=2)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


SURFACES = [
    ("hex text", lambda d: parse_words([_text(d)])),
    ("hex bytes", lambda d: parse_bytes(_text(d))),
    ("memory bytes", lambda d: words_from_bytes(d)),
    ("number", lambda d: parse_int(_text(d), "n")),
    ("size", lambda d: parse_size(_text(d), "size")),
    ("ESR", lambda d: esr.decode(int.from_bytes(d[:9], "little"))),
    ("predicate", lambda d: parse_predicate(_text(d))),
    ("ELF", _elf),
    ("trace CSV", lambda d: read_trace(_file("t.csv", d))),
    ("trace JSON Lines", lambda d: read_trace(_file("t.jsonl", d))),
    ("kernel log", lambda d: read_text(_text(d))),
]


def one_input(data: bytes) -> None:
    if not data:
        return
    _, surface = SURFACES[data[0] % len(SURFACES)]
    try:
        surface(data[1:])
    except InputError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
