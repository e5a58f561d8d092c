"""The encoding corpus as a regression suite: every assembler-built word against the table.

The expected kind/form/feature/writes of each line come from the fixture
specs (what the Arm ARM says), assembled by keystone and LLVM; nothing here
is computed by a64fault itself.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from a64fault import classify, corpus
from a64fault.fault import decide
from a64fault.policies import kernel_v5, upgrades

ROOT = Path(__file__).resolve().parent.parent
BUILDER = ROOT / "fixtures" / "build.py"
#: docs/design.md, "Kinds", written out here rather than imported from the code under test.
WRITING_KINDS = {"atomic-rmw", "compare-and-swap", "store-exclusive", "store", "load-store"}
POLICY_KINDS = {
    "none": set(),
    "atomic": {"atomic-rmw", "compare-and-swap"},
    "atomic+exclusive": {"atomic-rmw", "compare-and-swap", "load-exclusive"},
}
#: A data abort from a lower EL (EC 0x24), IL=1, WnR=0, DFSC translation fault level 3.
READ_FAULT_FROM_EL0 = (0x24 << 26) | (1 << 25) | 0b000111

FIXTURES = corpus.load()
AREAS = sorted({f.area for f in FIXTURES})


def _builder():
    spec = importlib.util.spec_from_file_location("a64fault_fixtures_build_test", BUILDER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_lines_are_well_formed_and_sorted():
    text = corpus.CORPUS_PATH.read_text()
    records = [json.loads(line) for line in text.splitlines()]
    assert all(list(r)[:7] == ["asm", "word", "assembler", "feature", "kind", "form", "writes"]
               for r in records)
    assert all(re.fullmatch(r"[0-9a-f]{8}", r["word"]) for r in records)
    assert [f.writes for f in FIXTURES] == [f.kind in WRITING_KINDS for f in FIXTURES]
    asms = [f.asm for f in FIXTURES]
    assert len(asms) == len(set(asms)), "an asm line appears twice"
    sort_key = _builder().sort_key
    keys = [sort_key(r) for r in records]
    assert keys == sorted(keys)


def _same_word_conflicts():
    by_word = defaultdict(set)
    for f in FIXTURES:
        by_word[f.word].add((f.form, f.kind, f.feature))
    return {w: v for w, v in by_word.items() if len(v) > 1}


def test_equal_words_have_equal_declarations():
    conflicts = _same_word_conflicts()
    assert not conflicts, "\n".join(
        f"{w:08x}: " + "; ".join(f"{a} ({f.area})" for f in FIXTURES if f.word == w for a in [f.asm])
        for w in list(conflicts)[:30]
    )


@pytest.mark.parametrize("area", AREAS)
def test_classify_matches_every_fixture(area):
    wrong = []
    for f in FIXTURES:
        if f.area != area:
            continue
        c = classify(f.word)
        got = (c.form, c.kind.value, c.feature, c.writes)
        want = (f.form, f.kind, f.feature, f.writes)
        if got != want:
            wrong.append(f"{f.asm!r} {f.word:08x}: table says {got}, fixture says {want}")
    assert not wrong, f"{len(wrong)} of the {area} fixtures:\n" + "\n".join(wrong[:80])


def _expected_upgrade(policy, fixture):
    if policy == "kernel-v5":
        return kernel_v5(fixture.word)
    return fixture.kind in POLICY_KINDS[policy]


@pytest.mark.parametrize("policy", ["none", "kernel-v5", "atomic", "atomic+exclusive"])
def test_decide_upgrades_exactly_what_the_policy_names(policy):
    wrong = []
    for f in FIXTURES:
        want = _expected_upgrade(policy, f)
        d = decide(f.word, READ_FAULT_FROM_EL0, el=0, vma_writable=True, policy=policy)
        quick = upgrades(f.word, policy)
        if (d.upgraded, d.effective, quick) != (want, "write" if want else "read", want):
            wrong.append(f"{f.asm!r} ({f.kind}): decide upgraded={d.upgraded} "
                         f"effective={d.effective}, upgrades()={quick}, expected {want}")
        if want:
            # context that forbids the upgrade: a read-only VMA, or a fault from EL1
            assert not decide(f.word, READ_FAULT_FROM_EL0, vma_writable=False, policy=policy).upgraded
            assert not decide(f.word, None, el=1, policy=policy).upgraded
    assert not wrong, f"{len(wrong)} wrong under {policy}:\n" + "\n".join(wrong[:60])


def test_kernel_v5_upgrades_every_lse_atomic_in_the_corpus():
    """v5 was written for LSE: it must accept every LSE atomic/CAS fixture (its misses are elsewhere)."""
    lse = [f for f in FIXTURES if f.feature == "LSE" and f.kind in POLICY_KINDS["atomic"]]
    missed = [f.asm for f in lse if not kernel_v5(f.word)]
    assert lse and not missed, missed[:20]


# ------------------------------------------------------------------ coverage

ORDERINGS = ("", "a", "l", "al")
SIZES = (("b", "w"), ("h", "w"), ("", "w"), ("", "x"))
LSE_OPS = ("add", "clr", "eor", "set", "smax", "smin", "umax", "umin")


def _mnemonic_classes():
    """(mnemonic, class of its first register) of every fixture."""
    found = set()
    for f in FIXTURES:
        mnemonic, _, rest = f.asm.partition(" ")
        found.add((mnemonic, rest.strip()[:1]))
    return found


def test_corpus_covers_every_lse_op_size_and_ordering():
    """8 LD<op> × 4 sizes × 4 orderings, ST<op> × 4 × 2, SWP/CAS 4×4, CASP 2×4, LSE128 3×4."""
    have = _mnemonic_classes()
    want = set()
    for op in LSE_OPS:
        want |= {(f"ld{op}{o}{s}", r) for o in ORDERINGS for s, r in SIZES}
        want |= {(f"st{op}{o}{s}", r) for o in ("", "l") for s, r in SIZES}
    for stem in ("swp", "cas"):
        want |= {(f"{stem}{o}{s}", r) for o in ORDERINGS for s, r in SIZES}
    want |= {(f"casp{o}", r) for o in ORDERINGS for r in "wx"}
    want |= {(f"{stem}{o}", "x") for stem in ("ldclrp", "ldsetp", "swpp") for o in ORDERINGS}
    missing = sorted(want - have)
    assert not missing, f"{len(missing)} missing: {missing[:40]}"


@pytest.mark.parametrize("feature, stems", [
    # Arm ARM (2024) FEAT_LSUI and FEAT_LSFE instruction lists, and every RCW* of FEAT_THE.
    ("LSUI", ("ldtadd", "ldtclr", "ldtset", "swpt", "sttadd", "sttclr", "sttset",
              "cast", "caspt", "ldtp", "sttp", "ldtnp", "sttnp", "ldtxr", "ldatxr",
              "sttxr", "stltxr")),
    ("LSFE", ("ldfadd", "ldfmax", "ldfmin", "ldfmaxnm", "ldfminnm", "ldbfadd", "ldbfmax",
              "ldbfmin", "ldbfmaxnm", "ldbfminnm", "stfadd", "stfmax", "stfmin", "stfmaxnm",
              "stfminnm", "stbfadd", "stbfmax", "stbfmin", "stbfmaxnm", "stbfminnm")),
    ("THE", ("rcwcas", "rcwcasp", "rcwclr", "rcwclrp", "rcwset", "rcwsetp", "rcwswp",
             "rcwswpp", "rcwscas", "rcwscasp", "rcwsclr", "rcwsclrp", "rcwsset", "rcwssetp",
             "rcwsswp", "rcwsswpp")),
])
def test_corpus_covers_every_mnemonic_of(feature, stems):
    have = {f.asm.split()[0] for f in FIXTURES if f.feature == feature}
    missing = [s for s in stems if s not in have]
    assert not missing, f"{feature}: no fixture for {missing}"


# ------------------------------------------------------------ the assemblers


def test_keystone_agrees_with_llvm_on_every_line_it_assembles():
    """A keystone word equal to the stored (LLVM) word; `assembler` says keystone exactly then."""
    keystone = pytest.importorskip("keystone")
    ks = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)
    wrong, agreed = [], 0
    for f in FIXTURES:
        try:
            encoding, _ = ks.asm(f.asm, 0)
        except keystone.KsError:
            encoding = None
        ours = int.from_bytes(bytes(encoding), "little") if encoding and len(encoding) == 4 else None
        if (ours is not None) != (f.assembler == "keystone"):
            wrong.append(f"{f.asm!r}: keystone {'did' if ours is not None else 'did not'} "
                         f"assemble it but the corpus says {f.assembler}")
        elif ours is not None and ours != f.word:
            wrong.append(f"{f.asm!r}: keystone {ours:08x} != corpus {f.word:08x}")
        else:
            agreed += ours is not None
    print(f"\nkeystone and LLVM agree on {agreed} lines")
    assert agreed and not wrong, "\n".join(wrong[:40])


def test_rebuild_reproduces_the_corpus_byte_for_byte(tmp_path):
    pytest.importorskip("keystone")
    pytest.importorskip("ziglang")
    out = tmp_path / "encodings.jsonl"
    _builder().build(out)
    assert out.read_bytes() == corpus.CORPUS_PATH.read_bytes(), (
        "a64fault/data/encodings.jsonl is stale: run `a64fault fixtures build` and commit it"
    )
