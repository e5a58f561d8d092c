"""Assemble the patch: read the tree, edit copies of its files, diff them.

The diff is made with difflib from the tree's own files, so it applies
with ``patch -p1`` to exactly that tree and is the same text every time
for the same tree and predicate.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from pathlib import Path

from .. import corpus
from ..errors import InputError, reading
from . import faultc, selftest
from .templates import render

HEADER = "insn-atomic-fault.h"
HEADER_PATH = f"arch/arm64/include/asm/{HEADER}"
SYSCTL_H = "include/linux/sysctl.h"
#: 6.11 and later: register_sysctl() is a macro passing ARRAY_SIZE(table), tables are const.
SIZED_SYSCTL = re.compile(r"^#define register_sysctl\(path, table\)", re.MULTILINE)
#: The kernel-language predicate: one function taking the instruction word.
PREDICATE_FUNCTION = re.compile(r"^static __always_inline bool (\w+)\(u32 \w+\)", re.MULTILINE)


def _read(tree: Path, path: str) -> str:
    file = tree / path
    if not file.is_file():
        raise InputError(f"{tree}: no {path} (is it a Linux source tree?)")
    with reading(file, "source file"):
        return file.read_text(encoding="utf-8")


def _diff(path: str, old: str | None, new: str) -> list[str]:
    """A git-style unified diff of one file (``old`` None: a new file)."""
    head = [f"diff --git a/{path} b/{path}"]
    if old is None:
        head.append("new file mode 100644")
    body = difflib.unified_diff(
        [] if old is None else old.splitlines(keepends=True), new.splitlines(keepends=True),
        "/dev/null" if old is None else f"a/{path}", f"b/{path}", n=3,
    )
    return head + [line.rstrip("\n") for line in body]


def predicate_name(predicate: str) -> str:
    """The name of the function the kernel-language predicate defines."""
    match = PREDICATE_FUNCTION.search(predicate)
    if match is None:
        raise InputError("the predicate text has no `static __always_inline bool NAME(u32 insn)`")
    return match.group(1)


#: The command named in the patch's description when the caller gives none.
DEFAULT_COMMAND = "a64fault kernel-patch --kernel-tree DIR"


def kernel_patch(tree: Path | str, predicate: str, fixtures: list[corpus.Fixture] | None = None,
                 command: str = DEFAULT_COMMAND) -> str:
    """The patch against the kernel tree at ``tree`` (text of a ``git format-patch``-like mail).

    ``predicate`` is the kernel-language predicate (its provenance comment
    included); ``fixtures`` the encoding corpus the selftest's words come
    from (default: the packaged corpus); ``command`` the command line that
    regenerates the patch, named in its description.
    """
    tree = Path(tree)
    if not tree.is_dir():
        raise InputError(f"{tree}: not a directory (give a Linux source tree)")
    fault_c = _read(tree, faultc.FAULT_C)
    sized = bool(SIZED_SYSCTL.search(_read(tree, SYSCTL_H)))
    makefile = _read(tree, selftest.SUBTARGETS_MAKEFILE)
    if (tree / HEADER_PATH).exists():
        raise InputError(f"{tree}: {HEADER_PATH} exists already (patched tree?)")

    changed: list[tuple[str, str | None, str]] = [
        (HEADER_PATH, None, render("header.h", PREDICATE=predicate.rstrip("\n") + "\n")),
        (faultc.FAULT_C, fault_c, faultc.patch_fault_c(fault_c, predicate_name(predicate), HEADER, sized)),
        (selftest.SUBTARGETS_MAKEFILE, makefile, selftest.add_subtarget(makefile)),
    ]
    changed += [(path, None, text) for path, text in
                selftest.files(corpus.load() if fixtures is None else fixtures).items()]
    # A commit description keeps to 75 columns: long commands continue with a backslash.
    folded = " \\\n    ".join(textwrap.wrap(command, width=68, break_long_words=False,
                                              break_on_hyphens=False))
    lines = [render("commit.txt", COMMAND=folded).rstrip("\n"), ""]
    for path, old, new in sorted(changed, key=lambda change: change[0]):
        lines += _diff(path, old, new)
    return "\n".join(lines) + "\n"
