"""``a64fault kernel-patch``: the arm64 fault-handler patch for a Linux source tree."""

from __future__ import annotations

import shutil
import subprocess
from typing import TextIO

import click

from ..errors import InputError
from ..policies import ATOMIC, ATOMIC_EXCLUSIVE
from . import SHORT_HELP

#: The predicate's C name: the arm64 insn.h family's naming.
DEFAULT_NAME = "aarch64_insn_is_atomic_rmw"


@click.command(name="kernel-patch", short_help=SHORT_HELP["kernel-patch"])
@click.option("--kernel-tree", "tree", required=True, type=click.Path(file_okay=False),
              help="A Linux source tree (e.g. Debian's linux-source-6.1 unpacked).")
@click.option("--policy", type=click.Choice([ATOMIC, ATOMIC_EXCLUSIVE]), default=ATOMIC, show_default=True,
              help="Which instructions' read faults the patched kernel handles as writes.")
@click.option("--name", default=DEFAULT_NAME, show_default=True, help="The predicate's C function name.")
@click.option("-o", "--output", type=click.File("w", atomic=True), default="-",
              help="Output file (default stdout); written whole or not at all.")
@click.option("--check", is_flag=True,
              help="Also check that the patch applies to the tree (patch -p1 --dry-run).")
def command(tree: str, policy: str, name: str, output: TextIO, check: bool) -> None:
    """Print a unified diff against the kernel tree at --kernel-tree.

    It adds the generated predicate for --policy (with its provenance
    header) as arch/arm64/include/asm/insn-atomic-fault.h, uses it in
    arch/arm64/mm/fault.c (an EL0 read fault on a readable and writable VMA
    whose instruction the predicate accepts is handled as a write; off with
    atomic_write_fault=0 on the kernel command line or the
    vm.atomic_write_fault sysctl) and adds the kselftest
    tools/testing/selftests/arm64/atomic_fault. Apply it with patch -p1.
    """
    from ..kpatch import kernel_patch
    from ..predicate import check_name, kernel_source

    predicate, _ = kernel_source(policy, name=check_name(name))
    text = kernel_patch(tree, predicate,
                        command=f"a64fault kernel-patch --kernel-tree DIR --policy {policy} --name {name}")
    if check:
        if shutil.which("patch") is None:
            raise InputError("--check needs GNU patch (Debian: apt-get install patch)")
        done = subprocess.run(["patch", "-p1", "--dry-run", "-s", "-f"], input=text, text=True,
                              cwd=tree, capture_output=True)
        if done.returncode != 0:
            raise InputError(f"the patch does not apply to {tree}: {done.stdout or done.stderr}")
    output.write(text)
