"""`a64fault fixtures stats|export`: counts, the C header (compiled), JSON, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from a64fault import corpus
from tests.cli import run_in_process

FIXTURES = corpus.load()


def run(*args):
    return run_in_process(*args)


def test_stats_counts_every_feature_and_kind():
    done = run("fixtures", "stats")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = lines[0].split()
    total = next(line for line in lines if line.startswith("total")).split()
    assert int(total[-1]) == len(FIXTURES)
    for feature in {corpus.feature_name(f.feature) for f in FIXTURES}:
        row = next(line for line in lines if line.split()[0] == feature).split()
        expected = {k: sum(1 for f in FIXTURES if corpus.feature_name(f.feature) == feature
                           and f.kind == k) for k in header[1:-1]}
        assert dict(zip(header[1:-1], map(int, row[1:-1]))) == expected


@pytest.mark.parametrize("selection", [(), ("--kind", "atomic-rmw"),
                                       ("--feature", "LSE", "--kind", "compare-and-swap"),
                                       ("--feature", "base")])
def test_c_header_compiles_and_holds_the_selection(tmp_path, selection):
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    kinds = [v for k, v in zip(selection, selection[1:]) if k == "--kind"]
    features = [v for k, v in zip(selection, selection[1:]) if k == "--feature"]
    count = len(corpus.select(FIXTURES, kinds, features))
    header = tmp_path / "a64fault_insns.h"
    done = run("fixtures", "export", "--format", "c", *selection, "-o", str(header))
    assert done.returncode == 0, done.stderr
    atomic = sum(1 for f in corpus.select(FIXTURES, kinds, features)
                 if f.kind in ("atomic-rmw", "compare-and-swap"))
    writes = sum(1 for f in corpus.select(FIXTURES, kinds, features) if f.writes)
    source = tmp_path / "check.c"
    source.write_text(
        '#include "a64fault_insns.h"\n'
        f"_Static_assert(sizeof a64fault_insns / sizeof a64fault_insns[0] == {count}, \"count\");\n"
        f"_Static_assert(A64FAULT_INSNS_COUNT == {count}, \"macro\");\n"
        "int count_atomic(void) { int n = 0; for (int i = 0; i < A64FAULT_INSNS_COUNT; i++)"
        " n += a64fault_insns[i].atomic_rmw; return n; }\n"
        "int count_writes(void) { int n = 0; for (int i = 0; i < A64FAULT_INSNS_COUNT; i++)"
        " n += a64fault_insns[i].writes; return n; }\n"
        "int main(void) { return !(count_atomic() == " f"{atomic}" " && count_writes() == "
        f"{writes}" " && a64fault_insns[0].insn != 0); }\n"
    )
    binary = tmp_path / "check"
    built = subprocess.run([cc, "-std=gnu11", "-Wall", "-Werror", "-o", str(binary), str(source)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert subprocess.run([str(binary)]).returncode == 0


def test_json_export_is_the_selection():
    done = run("fixtures", "export", "--format", "json", "--kind", "load-exclusive")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    want = [f for f in FIXTURES if f.kind == "load-exclusive"]
    assert [(d["asm"], int(d["word"], 16)) for d in data] == [(f.asm, f.word) for f in want]


@pytest.mark.parametrize("args, message", [
    (("--format", "c", "--kind", "loads"), "unknown kind 'loads'"),
    (("--format", "json", "--feature", "NOPE"), "no fixture has feature 'NOPE'"),
    (("--format", "yaml",), "yaml"),
])
def test_bad_selection_is_one_line_and_status_2(args, message):
    done = run("fixtures", "export", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_corpus_file_is_status_2(tmp_path):
    done = run("fixtures", "stats", "--corpus", str(tmp_path / "none.jsonl"))
    assert done.returncode == 2 and "no corpus file" in done.stderr


GOOD = FIXTURES[0].to_dict()


def test_binary_file_is_one_line_naming_the_line(tmp_path):
    binary = tmp_path / "ls"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00\n" * 3)
    done = run("fixtures", "stats", "--corpus", str(binary))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"a64fault: error: {binary}:1: not UTF-8 text "
                                        "(is it a corpus file?)"]


@pytest.mark.parametrize("key, value", [
    ("asm", 5), ("asm", ""), ("asm", "ldr\nx0"), ("feature", 7), ("form", 1.5),
    ("form", ["LDADD"]), ("kind", ["load"]), ("assembler", {"a": 1}), ("word", 123),
    ("area", 3), ("writes", "yes"),
])
def test_every_field_is_type_checked(tmp_path, key, value):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, key: value}) + "\n")
    with pytest.raises(corpus.InputError, match=rf"bad\.jsonl:2: {key}"):
        corpus.load(bad)
    done = run("fixtures", "export", "--format", "c", "--corpus", str(bad))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr and f"bad.jsonl:2: {key}" in done.stderr


@pytest.mark.parametrize("text", ["[" * 100_000, "1" * 5000])
def test_pathological_json_is_an_input_error(tmp_path, text):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text + "\n")
    with pytest.raises(corpus.InputError, match="bad.jsonl:1"):
        corpus.load(bad)


def test_null_feature_and_form_still_load(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps({**GOOD, "feature": None, "form": None}) + "\n")
    (fixture,) = corpus.load(path)
    assert fixture.feature is None and fixture.form is None and fixture.word == FIXTURES[0].word


def test_atomic_flag_is_the_atomic_policy():
    assert {"atomic-rmw", "compare-and-swap"} == corpus.ATOMIC_KINDS


def test_c_header_names_the_selection():
    done = run("fixtures", "export", "--format", "c", "--kind", "compare-and-swap",
               "--feature", "LSE")
    assert done.returncode == 0, done.stderr
    assert "selection: kind=compare-and-swap feature=LSE." in done.stdout
    done = run("fixtures", "export", "--format", "c", "--feature", "LSE")
    assert "selection: feature=LSE." in done.stdout
