"""The kernel patch generator against the fixture trees (files of Debian's 6.1 and 7.2 sources)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from a64fault import corpus
from a64fault.errors import InputError
from a64fault.kpatch import HEADER_PATH, kernel_patch
from a64fault.kpatch.selftest import DIRECTORY, vectors

DATA = Path(__file__).parent / "data"
TREES = {"6.1": DATA / "kernel-tree-6.1", "7.2": DATA / "kernel-tree-7.2"}
#: A stand-in for the generated predicate: the generator only needs the function's shape.
PREDICATE = """/*
 * test_predicate(insn): stand-in, provenance line
 */
static __always_inline bool test_predicate(u32 insn)
{
	return false;
}
"""
#: How many `if (!(vma->vm_flags & vm_flags))` checks each tree's fault.c has (read off the sources):
#: 6.1 checks once in __do_page_fault; 7.2 on the per-VMA-lock and the mmap-lock paths.
CHECKS = {"6.1": 1, "7.2": 2}
FIXTURES = corpus.load()


@pytest.fixture(scope="module", params=sorted(TREES))
def patched(request, tmp_path_factory):
    """(version, patch text, a copy of the fixture tree with the patch applied)."""
    if shutil.which("patch") is None:
        pytest.skip("GNU patch is not installed")
    version = request.param
    text = kernel_patch(TREES[version], PREDICATE, FIXTURES)
    copy = tmp_path_factory.mktemp(f"tree-{version}") / "linux"
    shutil.copytree(TREES[version], copy)
    subprocess.run(["patch", "-p1", "--dry-run", "-s"], input=text, text=True, cwd=copy, check=True)
    subprocess.run(["patch", "-p1", "-s"], input=text, text=True, cwd=copy, check=True)
    return version, text, copy


def test_patch_applies_and_hooks_every_permission_check(patched):
    version, _, tree = patched
    fault_c = (tree / "arch/arm64/mm/fault.c").read_text()
    hooks = re.findall(r"if \(is_el0_atomic_read_fault\(vma, vm_flags, regs\)\) \{\n"
                       r"\t+vm_flags = VM_WRITE;\n\t+mm_flags \|= FAULT_FLAG_WRITE;\n\t+\}\n\n"
                       r"\t+if \(!\(vma->vm_flags & vm_flags\)\)", fault_c)
    assert len(hooks) == CHECKS[version]
    # The helper is defined once, before its first use, and calls the predicate on the word at ELR.
    definition = fault_c.index("static bool is_el0_atomic_read_fault(")
    assert definition < fault_c.index("if (is_el0_atomic_read_fault(")
    assert "test_predicate(le32_to_cpu(insn))" in fault_c
    assert "get_user(insn, (__le32 __user *)instruction_pointer(regs))" in fault_c
    assert "core_param(atomic_write_fault, sysctl_atomic_write_fault, int, 0);" in fault_c
    assert "#include <asm/insn-atomic-fault.h>" in fault_c


def test_sysctl_table_follows_the_trees_api(patched):
    version, _, tree = patched
    fault_c = (tree / "arch/arm64/mm/fault.c").read_text()
    table = fault_c[fault_c.index("atomic_write_fault_sysctl_table[] = {"):]
    table = table[:table.index("\n};")]
    if version == "6.1":  # register_sysctl() walks to a sentinel entry
        assert "static struct ctl_table atomic_write_fault_sysctl_table" in fault_c
        assert table.endswith("\t{ }")
    else:  # register_sysctl() passes ARRAY_SIZE(): const table, no sentinel
        assert "static const struct ctl_table atomic_write_fault_sysctl_table" in fault_c
        assert table.endswith("\t},")


def test_header_holds_the_predicate_verbatim(patched):
    _, _, tree = patched
    header = (tree / HEADER_PATH).read_text()
    assert header.startswith("/* SPDX-License-Identifier: GPL-2.0-only */\n")
    assert PREDICATE in header
    assert header.count("#ifndef __ASM_INSN_ATOMIC_FAULT_H") == 1


def test_selftest_is_a_subtarget_with_the_corpus_words(patched):
    _, _, tree = patched
    makefile = (tree / "tools/testing/selftests/arm64/Makefile").read_text()
    assert re.search(r"^ARM64_SUBTARGETS \?=.* atomic_fault$", makefile, re.MULTILINE)
    words = (tree / DIRECTORY / "atomic_fault_insns.h").read_text()
    for fixture in FIXTURES:
        if fixture.atomic_rmw and re.search(r"\[x([0-9]|1[0-9]|2[0-9])\]$", fixture.asm):
            assert f"0x{fixture.word:08x}" in words, fixture.asm


def test_patch_is_deterministic_and_names_no_date():
    for tree in TREES.values():
        first = kernel_patch(tree, PREDICATE, FIXTURES)
        assert first == kernel_patch(tree, PREDICATE, FIXTURES)
        assert not re.search(r"^(---|\+\+\+) .*\t", first, re.MULTILINE)


def test_selftest_words_leave_out_reserved_registers():
    chosen = vectors(FIXTURES)
    assert chosen
    assert not [f.asm for f in chosen if re.search(r"\b(x30|w30|sp|wsp)\b", f.asm)]
    assert {f.kind for f in chosen} <= {"atomic-rmw", "compare-and-swap", "load"}


@pytest.mark.skipif(shutil.which("aarch64-linux-gnu-gcc") is None,
                    reason="aarch64-linux-gnu-gcc (the cross compiler) is not installed")
def test_selftest_compiles(patched, tmp_path):
    version, _, tree = patched
    if version != "6.1":
        pytest.skip("the 7.2 fixture has no kselftest.h")
    directory = tree / DIRECTORY
    subprocess.run(["aarch64-linux-gnu-gcc", "-Wall", "-Werror", "-O2", "-c", "atomic_fault.c",
                    "-o", str(tmp_path / "a.o")], cwd=directory, check=True)
    subprocess.run(["aarch64-linux-gnu-gcc", "-c", "trampoline.S", "-o", str(tmp_path / "t.o")],
                   cwd=directory, check=True)


def test_bad_trees(tmp_path):
    with pytest.raises(InputError, match="not a directory"):
        kernel_patch(tmp_path / "absent", PREDICATE, FIXTURES)
    with pytest.raises(InputError, match="no arch/arm64/mm/fault.c"):
        kernel_patch(tmp_path, PREDICATE, FIXTURES)
    copy = tmp_path / "linux"
    shutil.copytree(TREES["6.1"], copy)
    fault_c = copy / "arch/arm64/mm/fault.c"
    original = fault_c.read_text()
    fault_c.write_text(original.replace("if (!(vma->vm_flags & vm_flags))", "if (!ok)"))
    with pytest.raises(InputError, match="no `if"):
        kernel_patch(copy, PREDICATE, FIXTURES)
    fault_c.write_text(original + "\n/* is_el0_atomic_read_fault */\n")
    with pytest.raises(InputError, match="already patched"):
        kernel_patch(copy, PREDICATE, FIXTURES)
    fault_c.write_text(original)
    with pytest.raises(InputError, match="no `static __always_inline bool NAME"):
        kernel_patch(copy, "int x;", FIXTURES)


def test_cli_patch_carries_the_generated_predicate_and_applies(cli, tmp_path):
    out = tmp_path / "7.2.patch"
    done = cli("kernel-patch", "--kernel-tree", TREES["7.2"], "--check", "-o", out)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    # The header is the predicate generator's kernel text, provenance included.
    from a64fault.predicate import kernel_source

    predicate, _ = kernel_source("atomic", name="aarch64_insn_is_atomic_rmw")
    assert "\n".join("+" + line if line else "+" for line in predicate.rstrip("\n").split("\n")) in text
    assert "a64fault predicate --policy atomic" in text and "sha256" in text
    assert "+\treturn !err && aarch64_insn_is_atomic_rmw(le32_to_cpu(insn));" in text


def test_cli_bad_input(cli, tmp_path):
    done = cli("kernel-patch", "--kernel-tree", tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("a64fault: error: ") and "no arch/arm64/mm/fault.c" in done.stderr
    assert done.stderr.count("\n") == 1
    done = cli("kernel-patch", "--kernel-tree", TREES["6.1"], "--name", "1bad name")
    assert done.returncode == 2 and done.stderr.startswith("a64fault: error: ")
    assert not (tmp_path / "out.patch").exists()
    done = cli("kernel-patch", "--kernel-tree", tmp_path, "-o", tmp_path / "out.patch")
    assert done.returncode == 2
    assert not (tmp_path / "out.patch").exists()
