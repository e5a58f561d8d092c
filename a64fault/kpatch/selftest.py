"""The kselftest of the patch: corpus words run on fresh pages, faults counted.

tools/testing/selftests/arm64/atomic_fault/ gets the test program (the
template selftest.c), its Makefile and a header of instruction words
exported from the encoding corpus (corpus.to_c_header): every atomic RMW
or compare-and-swap word and every load whose only operand in memory is
``[Xn]``. One load word per mnemonic is kept as a control. The test's trampoline
sets x0-x29 to the page and returns through x30, so words that name x30
or sp are left out.
"""

from __future__ import annotations

import re

from .. import corpus
from ..errors import InputError
from .templates import render

DIRECTORY = "tools/testing/selftests/arm64/atomic_fault"
SUBTARGETS_MAKEFILE = "tools/testing/selftests/arm64/Makefile"
VECTORS = "atomic_fault_insns.h"
#: The words' only memory operand is a bare base register.
BARE_BASE = re.compile(r"\[x\d+\]$")
#: Registers the trampoline cannot hand to the word under test.
RESERVED = re.compile(r"\b(x30|w30|lr|sp|wsp)\b")
SPDX = "/* SPDX-License-Identifier: GPL-2.0-only */\n"
SUBTARGETS = re.compile(r"^(ARM64_SUBTARGETS \?=.*)$", re.MULTILINE)


def mnemonic(fixture: corpus.Fixture) -> str:
    return fixture.asm.split()[0]


def vectors(fixtures: list[corpus.Fixture]) -> list[corpus.Fixture]:
    """The words the selftest runs, grouped by mnemonic (the test reports per mnemonic)."""
    chosen = [
        f for f in fixtures
        if (f.atomic_rmw or f.kind == "load") and BARE_BASE.search(f.asm) and not RESERVED.search(f.asm)
    ]
    chosen.sort(key=lambda f: (mnemonic(f), f.word, f.asm))
    unique = [f for i, f in enumerate(chosen) if i == 0 or f.word != chosen[i - 1].word]
    mixed = {mnemonic(f) for f in unique if not f.atomic_rmw} & {mnemonic(f) for f in unique if f.atomic_rmw}
    # One result per mnemonic: a mnemonic naming both atomic and plain loads has no single expectation.
    # Every atomic word is under test; one word per load mnemonic is enough as a control.
    return [
        f for i, f in enumerate(unique)
        if mnemonic(f) not in mixed and (f.atomic_rmw or i == 0 or mnemonic(unique[i - 1]) != mnemonic(f))
    ]


def files(fixtures: list[corpus.Fixture]) -> dict[str, str]:
    """The selftest's new files: path in the tree -> text."""
    chosen = vectors(fixtures)
    return {
        f"{DIRECTORY}/Makefile": render("selftest.mk"),
        f"{DIRECTORY}/atomic_fault.c": render("selftest.c", VECTORS=VECTORS),
        f"{DIRECTORY}/trampoline.S": render("trampoline.S"),
        f"{DIRECTORY}/trampoline.h": render("trampoline.h"),
        f"{DIRECTORY}/{VECTORS}": SPDX + corpus.to_c_header(chosen, "atomic_fault"),
    }


def add_subtarget(makefile: str) -> str:
    """tools/testing/selftests/arm64/Makefile with atomic_fault in ARM64_SUBTARGETS."""
    match = SUBTARGETS.search(makefile)
    if match is None:
        raise InputError(f"{SUBTARGETS_MAKEFILE}: no `ARM64_SUBTARGETS ?=` line")
    return makefile[:match.end()] + " atomic_fault" + makefile[match.end():]
