"""capstone_lib (Capstone's C library without its Python binding) against the binding:
the same ``cs_insn`` layout and constants, and the same text and instruction
ids for the same words at the same addresses."""

from __future__ import annotations

import ctypes
import random
import subprocess
import sys
from pathlib import Path

import pytest

from a64fault.decoder import capstone_lib
from a64fault.decoder.elf import ElfImage

capstone = pytest.importorskip("capstone")
from capstone import aarch64_const  # noqa: E402

ELF = Path(__file__).resolve().parent.parent / "fixtures" / "elf"
BINDING_API = (capstone.CS_API_MAJOR, capstone.CS_API_MINOR)
same_api = pytest.mark.skipif(BINDING_API != capstone_lib.API,
                              reason=f"the binding is API {BINDING_API}, capstone_lib copies "
                                     f"{capstone_lib.API} (it then uses the binding's layout)")


def code_samples() -> bytes:
    """Seeded random words, every udf word's neighbourhood and the fixtures' code."""
    rng = random.Random(20261130)
    words = [rng.getrandbits(32) for _ in range(20000)] + list(range(0, 1 << 16, 7))
    code = b"".join(w.to_bytes(4, "little") for w in words)
    for name in ("tiny-le", "dso-stripped.so", "table", "mod.o"):
        raw = (ELF / name).read_bytes()
        code += b"".join(raw[offset:offset + size]
                         for _n, _v, offset, size in ElfImage(ELF / name).executable_ranges())
    return code


CODE = code_samples()


@same_api
def test_layout_is_the_bindings():
    ours, theirs = capstone_lib._Insn, capstone._cs_insn
    assert ctypes.sizeof(ours) == ctypes.sizeof(theirs)
    assert [name for name, *_ in ours._fields_] == [name for name, *_ in theirs._fields_]
    for name, *_ in ours._fields_:
        mine, binding = getattr(ours, name), getattr(theirs, name)
        assert (mine.offset, mine.size) == (binding.offset, binding.size), name
    assert capstone_lib.layout_of(ours) == capstone_lib.layout_of(theirs)


@same_api
def test_constants_are_the_bindings():
    assert capstone_lib.CS_ARCH_AARCH64 == capstone.CS_ARCH_AARCH64
    assert capstone_lib.CS_MODE_ARM == capstone.CS_MODE_ARM
    assert capstone_lib.CS_SUPPORT_DIET == capstone.CS_SUPPORT_DIET
    assert capstone_lib.CS_ERR_OK == capstone.CS_ERR_OK
    assert capstone_lib.AARCH64_INS_UDF == aarch64_const.AARCH64_INS_UDF
    assert capstone_lib.engine().source == "library"


def restarting(decode, code: bytes, address: int):
    """``decode(code, address)`` over code, a None for each word it stops at, then on."""
    out, at = [], 0
    while at < len(code):
        got = list(decode(code[at:], address + at))
        out += got
        at += 4 * len(got)
        if at < len(code):
            out.append(None)
            at += 4
    return out


def binding_texts(code: bytes, address: int):
    """disasm_lite over code, restarting after each word it cannot decode."""
    md = capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
    return restarting(md.disasm_lite, code, address)


def engine_texts(engine, code: bytes, address: int):
    return restarting(lambda rest, at: engine.texts(rest, len(rest), at), code, address)


@pytest.mark.parametrize("which", ["engine", "binding_engine"])
@pytest.mark.parametrize("address", [0, 0x5555_5555_5000, (1 << 64) - 0x100000])
def test_texts_equal_the_bindings(which, address):
    engine = getattr(capstone_lib, which)()
    expected = binding_texts(CODE, address)
    assert None in expected and len(expected) == len(CODE) // 4
    assert engine_texts(engine, CODE, address) == expected


@pytest.mark.parametrize("which", ["engine", "binding_engine"])
def test_ids_equal_the_bindings(which):
    engine = getattr(capstone_lib, which)()
    md = capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
    code = CODE[4 * 18000:4 * 22000]  # random words, then udf's
    expected, at = [], 0
    while at < len(code):
        ids = [insn.id for insn in md.disasm(code[at:], 0)]
        assert engine.ids(code[at:], len(code) - at) == ids
        expected += ids
        at += 4 * (len(ids) + 1)
    assert aarch64_const.AARCH64_INS_UDF in expected


def test_count_limits_the_records():
    nops = bytes.fromhex("1f2003d5") * 5
    assert [t[2] for t in capstone_lib.engine().texts(nops, len(nops), 0, 2)] == ["nop", "nop"]


def test_decoding_imports_no_binding():
    probe = ("import sys; from a64fault.decoder.disasm import decode, undecodable; "
             "assert str(decode(0xd503201f)) == 'nop'; assert undecodable(bytes(8)) == [0, 1]; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'capstone'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_another_engine_has_its_own_handle():
    shared = capstone_lib.engine()
    other = shared.another()
    try:
        assert other.handle.value != shared.handle.value
        assert other.texts(CODE[:4000], 4000, 0x1000) == shared.texts(CODE[:4000], 4000, 0x1000)
    finally:
        other.close()
    assert not other.handle.value and shared.texts(bytes.fromhex("1f2003d5"), 4)[0][2] == "nop"
