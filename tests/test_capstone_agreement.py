"""Capstone 6 against the corpus: it decodes each fixture word to the asm's mnemonic.

Where Capstone prints another mnemonic for the same instruction (a preferred
alias), the pair must be a named ALIASES entry with its reason. Where it
cannot decode a fixture at all, the fixture's feature must be in
EXPECTED_UNDECODABLE, so a Capstone that learns it makes this test fail and
asks for the entry to go. Entries that match nothing fail too (stale).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest

from a64fault import corpus

capstone = pytest.importorskip("capstone")

def _capstone_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("capstone")  # the wheel's own, e.g. 6.0.0a11 (__version__ says 6.0.0)
    except PackageNotFoundError:
        return capstone.__version__


CAPSTONE = "Capstone " + _capstone_version()


@dataclass(frozen=True)
class Alias:
    """The assembler's mnemonic `asm` is printed by Capstone as `capstone` (regexes, full match)."""

    name: str
    asm: str
    capstone: str
    reason: str
    features: tuple = ()  # empty: any feature

    def matches(self, fixture, printed: str) -> bool:
        return (re.fullmatch(self.asm, fixture.asm.split()[0]) is not None
                and re.fullmatch(self.capstone, printed) is not None
                and (not self.features or fixture.feature in self.features))


ALIASES = (
    Alias("dc-as-sys", "dc", "sys",
          f"{CAPSTONE} has no names for the FEAT_OCCMO and FEAT_RME DC operations "
          "(DC CGDVAOC, DC CIGDPAPA, ...) and prints the underlying SYS", ("OCCMO", "RME")),
    Alias("ins-as-mov", "ins", "mov", "MOV (to vector element) is INS's preferred disassembly"),
    Alias("movz-as-mov", "movz", "mov", "MOV (wide immediate) is MOVZ's preferred disassembly"),
    Alias("orr-as-mov", "orr", "mov", "MOV (register) is ORR Wd, WZR, Wm's preferred disassembly"),
    Alias("ubfm-as-ubfx", "ubfm", "ubfx", "UBFX is UBFM's preferred disassembly when imms >= immr"),
    Alias("prfm-as-rprfm", "prfm", "rprfm",
          "PRFM (register) with prfop Rt<4:3>=0b11 and option<2>=1 is the RPRFM encoding "
          "(FEAT_RPRFM); LLVM accepts it as a PRFM #imm, Capstone names it", ("RPRFM",)),
)

#: Features whose encodings this Capstone does not decode at all.
EXPECTED_UNDECODABLE = {
    "LSUI": f"{CAPSTONE} does not know FEAT_LSUI (LDTADD, CAST, SWPT, LDTP, ...)",
    "LSFE": f"{CAPSTONE} does not know FEAT_LSFE (LDFADD, STBFMAX, ...)",
}


@pytest.fixture(scope="module")
def decoded():
    md = capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
    fixtures = corpus.load()
    printed = []
    for f in fixtures:
        out = list(md.disasm_lite(f.word.to_bytes(4, "little"), 0))
        printed.append(out[0][2] if out else None)
    return fixtures, printed


def test_capstone_mnemonics_agree_or_are_named_aliases(decoded):
    fixtures, printed = decoded
    unexplained, used = [], Counter()
    for f, mnemonic in zip(fixtures, printed):
        if mnemonic is None or mnemonic == f.asm.split()[0]:
            continue
        alias = next((a for a in ALIASES if a.matches(f, mnemonic)), None)
        if alias is None:
            unexplained.append(f"{f.area}: {f.asm!r} {f.word:08x}: Capstone says {mnemonic}")
        else:
            used[alias.name] += 1
    assert not unexplained, (f"{len(unexplained)} mnemonic disagreements with no ALIASES entry:\n"
                             + "\n".join(unexplained[:60]))
    stale = [a.name for a in ALIASES if not used[a.name]]
    assert not stale, f"ALIASES entries that match no fixture any more (remove them): {stale}"


def test_undecodable_fixtures_are_exactly_the_expected_features(decoded):
    fixtures, printed = decoded
    surprising, learned, seen = [], [], Counter()
    for f, mnemonic in zip(fixtures, printed):
        expected = f.feature in EXPECTED_UNDECODABLE
        if mnemonic is None and not expected:
            surprising.append(f"{f.area}: {f.asm!r} {f.word:08x} [{f.feature}]")
        elif mnemonic is not None and expected:
            learned.append(f"{f.asm!r} -> {mnemonic}")
        elif mnemonic is None:
            seen[f.feature] += 1
    print("\nundecodable by " + CAPSTONE + ": " + ", ".join(f"{k} {n}" for k, n in seen.items()))
    assert not surprising, (f"{CAPSTONE} cannot decode {len(surprising)} fixtures it should:\n"
                            + "\n".join(surprising[:60]))
    assert not learned, (f"{CAPSTONE} now decodes fixtures listed in EXPECTED_UNDECODABLE: "
                         "update EXPECTED_UNDECODABLE (and check the mnemonics):\n"
                         + "\n".join(learned[:30]))
    stale = [name for name in EXPECTED_UNDECODABLE if not seen[name]]
    assert not stale, f"EXPECTED_UNDECODABLE features with no undecodable fixture: {stale}"
