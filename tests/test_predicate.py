"""Generated predicates (a64fault/predicate): small, optimal, exact, and compilable.

Expected answers come from outside the generator: the table's classifiers
(scalar ``classify`` and the vector index, which share no code with the cube
algebra or the cover), the assembler-built corpus, and the kernel's v5
masks. The exhaustive proofs over all 2**32 words are in
bench/bench_predicate.py (tens of seconds each).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from a64fault import classify
from a64fault.corpus import load
from a64fault.cubes import CubeSet
from a64fault.kinds import KIND_CODES, Kind
from a64fault.policies import POLICY_KINDS, kernel_v5
from a64fault.predicate import generate, kernel_source, policy_sets, render, vectors_for
from a64fault.vector import classify_array

ATOMIC = POLICY_KINDS["atomic"]
ATOMIC_CODES = [KIND_CODES[k] for k in ATOMIC]
OTHER_CODE = KIND_CODES[Kind.OTHER]


def greedy_cover_size(on: CubeSet, off: CubeSet) -> int:
    """Terms of a quick greedy cover, built here without the generator's code: take the
    first ON cube no term holds yet, free its fixed bits from bit 31 down while the term
    meets no OFF cube, repeat."""
    off_masks, off_values = (np.array(a, dtype=np.uint64) for a in zip(*off.cubes))
    terms: list[tuple[int, int]] = []
    for mask, value in on.cubes:
        if any(mask & m == m and value & m == v for m, v in terms):
            continue
        for bit in reversed(range(32)):
            if mask >> bit & 1:
                m, v = mask & ~(1 << bit), value & ~(1 << bit)
                meets = ((off_masks & np.uint64(m)) & (off_values ^ np.uint64(v))) == 0
                if not meets.any():
                    mask, value = m, v
        terms.append((mask, value))
    return len(terms)


@pytest.fixture(scope="module", params=["non-memory", "none"])
def atomic(request):
    return generate("atomic", dont_care=request.param)


def matches(predicate, words: np.ndarray) -> np.ndarray:
    """The predicate's terms evaluated on each word."""
    hit = np.zeros(len(words), dtype=bool)
    for term in predicate.terms:
        hit |= (words & np.uint32(term.mask)) == np.uint32(term.value)
    return hit


def check_words(predicate, words: np.ndarray) -> int:
    """Compare with the vector classifier; return how many words were checked."""
    kinds = classify_array(words)
    upgraded = np.isin(kinds, ATOMIC_CODES)
    checked = kinds != OTHER_CODE if predicate.dont_care == "non-memory" else np.ones(len(words), bool)
    wrong = np.flatnonzero(checked & (matches(predicate, words) != upgraded))
    assert not len(wrong), [f"{w:08x}" for w in words[wrong[:5]]]
    return int(checked.sum())


def test_at_most_the_greedy_term_count_and_proven_optimal(atomic):
    sets = policy_sets(atomic.kinds, atomic.dont_care)
    assert len(atomic.terms) <= greedy_cover_size(sets.on, sets.off)
    assert atomic.optimal and atomic.lower_bound == len(atomic.terms)


def test_opcode_sweep(atomic):
    """Every value of the load/store opcode bits (31:21, 15:10) with four fillings of the rest."""
    keys = np.arange(1 << 17, dtype=np.uint32)
    opcode = ((keys >> 6) << 21) | ((keys & 0x3F) << 10)
    rest = np.uint32(0x001F03FF)  # Rs, Rn, Rt
    rng = np.random.default_rng(8)
    fillings = [np.uint32(0), rest, rng.integers(0, 1 << 32, len(keys), dtype=np.uint32) & rest,
                np.uint32(0x001F001F)]
    words = np.concatenate([opcode | f for f in fillings])
    assert check_words(atomic, words) > 0


def test_random_words(atomic):
    words = np.random.default_rng(20261130).integers(0, 1 << 32, 4_000_000, dtype=np.uint32)
    check_words(atomic, words)


def test_corpus(atomic):
    fixtures = load()
    for f in fixtures:
        if atomic.dont_care == "non-memory" and f.kind == "other":
            continue
        assert atomic.matches(f.word) == (Kind(f.kind) in ATOMIC), f.asm


def test_every_term_is_needed(atomic):
    """Per term, an ON word (classify() says so) that no other term matches."""
    on = policy_sets(atomic.kinds, atomic.dont_care).on
    for i, term in enumerate(atomic.terms):
        others = [t for j, t in enumerate(atomic.terms) if j != i]
        # Only terms sharing a word with this one can hold its ON words.
        near = [t for t in others if not t.mask & term.mask & (t.value ^ term.value)]
        own = (CubeSet.term(term.mask, term.value) & on) - CubeSet.union(
            CubeSet(), *(CubeSet.term(t.mask, t.value) for t in near))
        assert own.cubes, f"term {i} is redundant"
        word = own.cubes[0][1]
        assert classify(word).kind in ATOMIC
        assert term.matches(word) and not any(t.matches(word) for t in others)


def test_optimality_witnesses_are_pairwise_incompatible(atomic):
    """Between any two witnesses (both ON) lies an OFF word on every bit where they agree,
    so no single (insn & mask) == value term can hold both."""
    sets = policy_sets(atomic.kinds, atomic.dont_care)
    witnesses = atomic.cover.witnesses
    assert len(witnesses) == len(atomic.terms)
    for w in witnesses:
        assert classify(w).kind in ATOMIC
    for i, a in enumerate(witnesses):
        for b in witnesses[i + 1:]:
            agree = ~(a ^ b) & 0xFFFFFFFF
            between = CubeSet.term(agree, a & agree) & sets.off
            assert between.cubes, (hex(a), hex(b))
            word = between.cubes[0][1]
            assert word & agree == a & agree
            kind = classify(word).kind
            assert kind not in ATOMIC
            if atomic.dont_care == "non-memory":
                assert kind is not Kind.OTHER


def test_output_is_deterministic():
    from a64fault.predicate import build

    cached = generate("atomic")
    # A second generation from scratch, leaving the process's cache alone.
    fresh = build._generate.__wrapped__(cached.policy, cached.kinds, cached.dont_care)
    assert fresh is not cached
    assert (render(fresh, "kernel", vectors=vectors_for(fresh))
            == render(cached, "kernel", vectors=vectors_for(cached)))


def test_header_names_table_policy_dont_care_count_and_command():
    text, predicate = kernel_source("atomic")
    header = text.split("*/")[0]
    assert "a64.patterns" in header and predicate.table_sha256 in header
    assert "policy 'atomic'" in header and "Don't-care set: non-memory" in header
    assert f"Terms: {len(predicate.terms)}, optimal" in header
    command = header.replace(" \\\n *    ", "")
    assert ("a64fault predicate --policy atomic --dont-care non-memory --lang kernel "
            "--name insn_is_atomic\n") in command
    assert max(len(line.expandtabs()) for line in text.splitlines()) <= 100  # checkpatch
    assert "static __always_inline bool insn_is_atomic(u32 insn)" in text
    assert "#include" not in text


def test_each_term_comment_names_its_forms():
    text = render(generate("atomic"), "c")
    for term in generate("atomic").terms:
        before = text.split(f"(insn & {term.mask:#010x}) == {term.value:#010x}")[0]
        comment = before.rsplit("*/", 1)[0].rsplit("/*", 1)[1]
        assert all(form in comment for form in term.forms)
        assert all(feature in comment for feature in term.features)


def test_vectors_come_from_the_corpus_with_the_corpus_answer():
    corpus = {(f.word, f.asm): f.kind for f in load()}
    vectors = vectors_for(generate("atomic"))
    assert any(v.expected for v in vectors) and any(not v.expected for v in vectors)
    for v in vectors:
        kind = corpus[v.word, v.asm]
        assert v.expected == (Kind(kind) in ATOMIC)
        assert kind != "other"  # don't-care under non-memory


def test_against_kernel_v5_gains_and_losses():
    """The v5 masks match ST64BV/ST64BV0 (stores) and miss the newer atomics."""
    from a64fault.predicate.compare import compare

    predicate = generate("atomic")
    comparison = compare(predicate.expression(), predicate.kinds)
    assert {c.form for c in comparison.lost} == {"ST64BV", "ST64BV0"}
    gained = {c.form for c in comparison.gained}
    assert {"LDFADD", "SWPP", "RCWCAS", "CAST", "LDTADD"} <= gained
    assert all(c.upgraded for c in comparison.gained)
    by_form = {}
    for f in load():
        by_form.setdefault(f.form, f.word)
    for form in gained:
        assert predicate.matches(by_form[form]) and not kernel_v5(by_form[form]), form
    for form in ("ST64BV", "ST64BV0"):
        assert kernel_v5(by_form[form]) and not predicate.matches(by_form[form])


def test_unallocated_mode_keeps_allocated_non_memory_words_out():
    predicate = generate("atomic", dont_care="unallocated")
    for f in load():
        assert predicate.matches(f.word) == (Kind(f.kind) in ATOMIC), f.asm


# ---- the five languages ----------------------------------------------------

C_CHECK = """
#include <stdio.h>
@SHIM@
#include "predicate.h"
int main(void)
{
    unsigned bad = 0, n = sizeof(insn_is_atomic_vectors) / sizeof(insn_is_atomic_vectors[0]);
    for (unsigned i = 0; i < n; i++)
        if (insn_is_atomic(insn_is_atomic_vectors[i].insn) != insn_is_atomic_vectors[i].expected) {
            printf("wrong: %s\\n", insn_is_atomic_vectors[i].asm_text);
            bad++;
        }
    printf("%u vectors\\n", n);
    return bad != 0;
}
"""
KERNEL_SHIM = """#include <stdbool.h>
#include <stdint.h>
typedef uint32_t u32;
#ifndef __always_inline  /* glibc's sys/cdefs.h has one, as the kernel's compiler.h */
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define __maybe_unused __attribute__((__unused__))"""


def _vectors_text(lang: str) -> tuple[str, int]:
    predicate = generate("atomic")
    vectors = vectors_for(predicate)
    return render(predicate, lang, vectors=vectors), len(vectors)


@pytest.mark.parametrize("lang", ["c", "kernel"])
def test_c_compiles_warning_free_and_passes_its_vectors(lang, tmp_path):
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        pytest.skip("no C compiler (cc)")
    text, count = _vectors_text(lang)
    (tmp_path / "predicate.h").write_text(text)
    (tmp_path / "check.c").write_text(C_CHECK.replace("@SHIM@", KERNEL_SHIM if lang == "kernel" else ""))
    subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2", "-o", str(tmp_path / "check"),
                    str(tmp_path / "check.c")], check=True, capture_output=True, text=True)
    done = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip() == f"{count} vectors"


def _tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in [Path.home() / ".cargo" / "bin" / name] if p.exists()), None)


def test_rust_compiles_and_passes_its_vectors(tmp_path):
    rustc = _tool("rustc")
    if rustc is None:
        pytest.skip("no Rust compiler (rustc)")
    text, count = _vectors_text("rust")
    (tmp_path / "predicate.rs").write_text(text)
    (tmp_path / "main.rs").write_text(
        'include!("predicate.rs");\n'
        "const _: () = assert!(insn_is_atomic(0xb820001f));  // usable in const context\n"
        "fn main() {\n"
        "    let bad = INSN_IS_ATOMIC_VECTORS.iter()\n"
        "        .filter(|(w, e, a)| {\n"
        "            let wrong = insn_is_atomic(*w) != *e;\n"
        "            if wrong { println!(\"wrong: {}\", a); }\n"
        "            wrong\n"
        "        })\n"
        "        .count();\n"
        "    println!(\"{} vectors\", INSN_IS_ATOMIC_VECTORS.len());\n"
        "    std::process::exit(if bad == 0 { 0 } else { 1 });\n"
        "}\n")
    subprocess.run([rustc, "--edition", "2021", "-D", "warnings", "-o", str(tmp_path / "check"),
                    str(tmp_path / "main.rs")], check=True, capture_output=True, text=True, cwd=tmp_path)
    done = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip() == f"{count} vectors"


def test_go_compiles_and_passes_its_vectors(tmp_path):
    go = _tool("go")
    if go is None:
        pytest.skip("no Go toolchain (go)")
    text, count = _vectors_text("go")
    (tmp_path / "go.mod").write_text("module example.com/a64fault\n\ngo 1.18\n")
    (tmp_path / "predicate.go").write_text(text)
    (tmp_path / "predicate_test.go").write_text(
        "package a64fault\n\nimport \"testing\"\n\n"
        "func TestVectors(t *testing.T) {\n"
        "\tfor _, v := range insn_is_atomic_vectors {\n"
        "\t\tif insn_is_atomic(v.insn) != v.expected {\n\t\t\tt.Errorf(\"wrong: %s\", v.asm)\n\t\t}\n\t}\n"
        "\tt.Logf(\"%d vectors\", len(insn_is_atomic_vectors))\n}\n")
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GO111MODULE": "on"}
    env.setdefault("GOCACHE", str(Path.home() / ".cache" / "go-build"))
    done = subprocess.run([go, "test", "-v", "./..."], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{count} vectors" in done.stdout


def test_python_runs_and_passes_its_vectors():
    text, count = _vectors_text("python")
    namespace: dict = {}
    exec(compile(text, "predicate.py", "exec"), namespace)
    function, vectors = namespace["insn_is_atomic"], namespace["INSN_IS_ATOMIC_VECTORS"]
    assert len(vectors) == count
    assert all(function(w) == expected for w, expected, _ in vectors)


# ---- the command line --------------------------------------------------------

def test_cli_prints_the_library_text(cli):
    done = cli("predicate", "--lang", "kernel")
    assert done.returncode == 0, done.stderr
    assert done.stdout == render(generate("atomic"), "kernel")


def test_cli_json(cli):
    done = cli("predicate", "--json", "--against", "kernel-v5")
    data = json.loads(done.stdout)
    assert data["policy"] == "atomic" and data["dont_care"] == "non-memory"
    assert data["optimal"] is True
    assert [(int(t["mask"], 16), int(t["value"], 16)) for t in data["terms"]] == [
        (t.mask, t.value) for t in generate("atomic").terms]
    assert {c["form"] for c in data["against"]["lost"]} == {"ST64BV", "ST64BV0"}


@pytest.mark.parametrize("args", [
    ["--policy", "bogus"],
    ["--policy", "kernel-v5"],
    ["--kinds", "load,nonsense"],
    ["--kinds", ","],
    ["--lang", "cobol"],
    ["--dont-care", "some"],
    ["--name", "1abc"],
    ["--name", "return"],
    ["--verify-terms", "0x3b200c00:"],
    ["--verify-terms", "(0x1:0x1"],
    ["--policy", "atomic", "--kinds", "load"],
])
def test_bad_input_is_one_line_and_status_2(cli, args):
    done = cli("predicate", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("a64fault: error: ") and done.stderr.count("\n") == 1


# ---- the proof engines, on a slice of the word space ---------------------------

#: Bits 31:21 = 0x1c0 and 0x1c1: byte STUR/STR and friends, and the byte LSE atomics (4 M words).
SLICE_TOPS = range(0x1C0, 0x1C2)


@pytest.mark.parametrize("dont_care", ["non-memory", "unallocated", "none"])
def test_numpy_and_c_proofs_count_a_slice_like_the_vector_classifier(dont_care):
    from a64fault.predicate.emit import c_function
    from a64fault.predicate.proof import CHUNK_BITS, verify, verify_c

    predicate = generate("atomic", dont_care=dont_care)
    terms = [(t.mask, t.value) for t in predicate.terms]
    words = np.arange(SLICE_TOPS.start << 21, SLICE_TOPS.stop << 21, dtype=np.uint32)
    kinds = classify_array(words)
    on = np.isin(kinds, ATOMIC_CODES)
    other = kinds == OTHER_CODE
    if dont_care == "non-memory":
        dont = other
    elif dont_care == "none":
        dont = np.zeros(len(words), bool)
    else:  # bits 28:25 = 1100 here: the Loads and Stores group, so no-row words are unallocated
        dont = other
    hit = matches(predicate, words)
    off = ~on & ~dont
    expected = tuple(int(x) for x in (on.sum(), (on & hit).sum(), off.sum(), (off & hit).sum(),
                                      dont.sum(), (dont & hit).sum()))
    assert expected[1] == expected[0] > 0 and expected[3] == 0
    shift = 21 - CHUNK_BITS
    proof = verify(terms, predicate.kinds, dont_care,
                   chunks=range(SLICE_TOPS.start << shift, SLICE_TOPS.stop << shift))
    assert proof.counts() == expected and not proof.holds  # a slice proves nothing
    if shutil.which(os.environ.get("CC", "cc")):
        proof_c = verify_c(c_function("checked", terms), "checked", predicate.kinds, dont_care,
                           tops=SLICE_TOPS)
        assert proof_c is not None and proof_c.counts() == expected


def test_a_wrong_predicate_is_caught_on_a_slice():
    from a64fault.predicate.proof import CHUNK_BITS, verify

    predicate = generate("atomic")
    shift = 21 - CHUNK_BITS
    chunks = range(SLICE_TOPS.start << shift, SLICE_TOPS.stop << shift)
    staddb = 0x3820001F  # staddb w0, [x0]
    assert staddb >> 21 in SLICE_TOPS
    dropped = verify([(t.mask, t.value) for t in predicate.terms if not t.matches(staddb)],
                     predicate.kinds, "non-memory", chunks=chunks)
    assert dropped.on_matched < dropped.on_total
    widened = verify([(0, 0)], predicate.kinds, "non-memory", chunks=chunks)
    assert widened.off_matched == widened.off_total > 0


def test_readme_shows_the_current_kernel_predicate():
    """The README's kernel predicate is this table's (regenerate it when this fails)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    text = render(generate("atomic"), "kernel")
    body = text[text.index("static __always_inline"):]
    assert body in readme


def test_cli_verify_terms_on_a_slice(cli, monkeypatch):
    """--verify-terms runs both proofs (here on the slice only, so it exits 1: a slice
    proves nothing) and compares with kernel-v5; v5 itself matches no atomic in the slice
    that our predicate misses."""
    from functools import partial

    from a64fault.policies import kernel_v5
    from a64fault.predicate import proof as proofs

    shift = 21 - proofs.CHUNK_BITS
    monkeypatch.setattr(proofs, "verify", partial(
        proofs.verify, chunks=range(SLICE_TOPS.start << shift, SLICE_TOPS.stop << shift)))
    monkeypatch.setattr(proofs, "verify_c", partial(proofs.verify_c, tops=SLICE_TOPS))
    done = cli("predicate", "--verify-terms", str(kernel_v5), "--against", "kernel-v5", "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["proof"]["words"] == len(SLICE_TOPS) << 21
    assert data["proof"]["on_matched"] == data["proof"]["on_total"] > 0
    if data["proof_c"] is not None:
        assert data["proof_c"] == {**data["proof"], "method": "C", "seconds": data["proof_c"]["seconds"],
                                   "cpu_seconds": data["proof_c"]["cpu_seconds"]}
    assert data["against"]["gained"] == [] and data["against"]["lost"] == []


def test_a_cover_without_a_matching_bound_is_not_called_optimal():
    import dataclasses

    predicate = generate("atomic")
    weaker = dataclasses.replace(predicate, cover=dataclasses.replace(
        predicate.cover, witnesses=predicate.cover.witnesses[:-1]))
    assert not weaker.optimal and weaker.lower_bound == len(predicate.terms) - 1
    header = render(weaker, "python").split("def ")[0]
    assert f"not proven optimal: the best lower bound found is {len(predicate.terms) - 1}" in header
    assert weaker.as_json()["optimal"] is False
