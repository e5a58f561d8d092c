"""Policies: what each one upgrades, and what the kernel-v5 masks really match.

The kernel-v5 expectations, stated per form (README, "What it finds"):
its masks match ST64BV/ST64BV0 (stores) and the FEAT_THE RCW{,S}{CLR,SET,SWP}
forms beyond the LSE/CAS set it meant, and miss LDAPR/LD64B/ST64B (correct)
and every LSE128, RCW pair, RCW{,S}CAS{,P}, LSUI and LSFE atomic.
"""

import pytest

from a64fault import classify, upgrades
from a64fault.errors import InputError
from a64fault.policies import POLICIES, accepts, kernel_v5
from tests.asm import assemble

MEANT = ["ldadd w1, w0, [x2]", "stadd wzr, [x0]", "ldclral x1, x0, [x2]", "ldeorb w1, w0, [x2]",
         "ldsetlh w1, w0, [x2]", "ldsmax x1, x0, [x2]", "stumin w1, [x2]", "swp w1, w0, [x2]",
         "swpal x1, x0, [x2]", "cas w1, w0, [x2]", "casal x1, x0, [x2]", "casb w1, w0, [x2]",
         "casp x0, x1, x2, x3, [x4]", "caspal w0, w1, w2, w3, [x4]"]
FALSE_MATCHES = ["st64bv x1, x0, [x2]", "st64bv0 x1, x0, [x2]",
                 "rcwclr x0, x1, [x2]", "rcwset x0, x1, [x2]", "rcwswp x0, x1, [x2]",
                 "rcwsclral x0, x1, [x2]", "rcwssetl x0, x1, [x2]", "rcwsswpa x0, x1, [x2]"]
CORRECTLY_EXCLUDED = ["ldapr x0, [x1]", "ldaprh w0, [x1]", "ld64b x0, [x1]", "st64b x0, [x1]",
                      "ldr x0, [x1]", "ldxr x0, [x1]", "stxr w2, x0, [x1]"]
MISSED = ["ldclrp x0, x1, [x2]", "ldsetp x0, x1, [x2]", "swpp x0, x1, [x2]",
          "rcwclrp x0, x1, [x2]", "rcwswpp x0, x1, [x2]", "rcwsetp x0, x1, [x2]",
          "rcwsclrp x0, x1, [x2]", "rcwsswpp x0, x1, [x2]", "rcwssetp x0, x1, [x2]",
          "rcwcas x0, x1, [x2]", "rcwscas x0, x1, [x2]", "rcwcasp x0, x1, x2, x3, [x4]",
          "rcwscasp x0, x1, x2, x3, [x4]",
          "ldtadd w1, w0, [x2]", "ldtclr x1, x0, [x2]", "ldtset w1, w0, [x2]",
          "swpt w1, w0, [x2]", "cast x0, x1, [x2]", "caspt x0, x1, x2, x3, [x4]",
          "ldfadd h1, h0, [x2]", "ldfmax s1, s0, [x2]", "ldbfadd h1, h0, [x2]",
          "stfadd d1, [x2]", "stbfminnm h1, [x2]"]
ALL = tuple(MEANT + FALSE_MATCHES + CORRECTLY_EXCLUDED + MISSED)


@pytest.fixture(scope="module")
def words():
    return dict(zip(ALL, assemble(*ALL)))


@pytest.mark.parametrize("line", MEANT + FALSE_MATCHES)
def test_kernel_v5_matches(words, line):
    assert kernel_v5(words[line])
    assert upgrades(words[line], "kernel-v5")


@pytest.mark.parametrize("line", CORRECTLY_EXCLUDED + MISSED)
def test_kernel_v5_does_not_match(words, line):
    assert not kernel_v5(words[line])
    assert not upgrades(words[line], "kernel-v5")


@pytest.mark.parametrize("line", FALSE_MATCHES)
def test_kernel_v5_false_matches_are_not_atomic(words, line):
    """ST64BV* are stores; the RCW single forms are real RMWs the patch never meant.
    The table-driven policy calls ST64BV* what they are, and RCW* atomic."""
    kind = classify(words[line]).kind.value
    assert kind == ("store" if line.startswith("st64") else "atomic-rmw")
    assert upgrades(words[line], "atomic") == (kind == "atomic-rmw")


@pytest.mark.parametrize("line", MEANT + MISSED)
def test_atomic_policy_covers_every_atomic(words, line):
    assert upgrades(words[line], "atomic")
    assert upgrades(words[line], "atomic+exclusive")
    assert not upgrades(words[line], "none")


def test_exclusive_only_under_atomic_exclusive(words):
    ldxr = words["ldxr x0, [x1]"]
    assert not upgrades(ldxr, "atomic")
    assert upgrades(ldxr, "atomic+exclusive")
    assert not upgrades(words["stxr w2, x0, [x1]"], "atomic+exclusive")


@pytest.mark.parametrize("policy", POLICIES)
def test_upgrades_agrees_with_accepts(words, policy):
    for line in ALL:
        w = words[line]
        assert upgrades(w, policy) == accepts(policy, classify(w)), line


def test_unknown_policy():
    with pytest.raises(InputError, match="unknown policy"):
        upgrades(0, "aggressive")


@pytest.mark.parametrize("bad", [-1, 1.5, 1 << 32, [1], None, True])
def test_upgrades_rejects_what_is_not_a_word(bad):
    with pytest.raises(InputError):
        upgrades(bad)
