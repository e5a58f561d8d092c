"""Edit arch/arm64/mm/fault.c: hook the atomic-write check into the fault path.

The hook points are found by reading the file, not by line numbers, so the
same edit fits Debian's 6.1 (one check, in ``__do_page_fault``) and 7.x
(two checks, the per-VMA-lock and the mmap-lock paths of ``do_page_fault``):
before every ``if (!(vma->vm_flags & vm_flags))`` permission check, a read
fault whose instruction is an atomic RMW becomes a write fault. The switch
and helper go right before the first function holding such a check.
"""

from __future__ import annotations

import re

from ..errors import InputError
from .templates import render

FAULT_C = "arch/arm64/mm/fault.c"
#: The name of the helper the patch adds (also how an already patched file is recognised).
HELPER = "is_el0_atomic_read_fault"
#: The VMA permission check the hook goes before.
CHECK = re.compile(r"^(\t+)if \(!\(vma->vm_flags & vm_flags\)\)")
#: What the hook reads and writes, in the function that holds the check.
NEEDED_NAMES = ("vma", "vm_flags", "mm_flags", "regs")
INCLUDE = re.compile(r"^#include <(linux|asm)/([^>]+)>")


def _function_start(lines: list[str], index: int) -> int:
    """Index of the first line of the definition of the function holding lines[index]."""
    brace = index
    while brace >= 0 and lines[brace] != "{":
        brace -= 1
    start = brace - 1
    while start > 0 and lines[start][:1] in ("\t", " "):
        start -= 1
    if brace < 0 or start < 0 or not lines[start][:1].isalpha():
        raise InputError(f"{FAULT_C}: cannot find the function around line {index + 1}")
    return start


def _function_text(lines: list[str], start: int) -> str:
    end = start
    while end < len(lines) and lines[end] != "}":
        end += 1
    return "\n".join(lines[start:end + 1])


def _add_include(lines: list[str], prefix: str, name: str) -> None:
    """Insert ``#include <prefix/name>`` after the last ``prefix`` include sorting before it."""
    where = None
    last = None
    for index, line in enumerate(lines):
        match = INCLUDE.match(line)
        if match and match.group(1) == prefix:
            last = index
            if match.group(2) < name:
                where = index
            if match.group(2) == name:
                return
    if last is None:
        raise InputError(f"{FAULT_C}: no #include <{prefix}/...> lines")
    lines.insert((where if where is not None else last) + 1, f"#include <{prefix}/{name}>")


def patch_fault_c(text: str, predicate: str, header: str, sized_sysctl: bool) -> str:
    """fault.c's text with the switch, the helper and the hooks added.

    ``predicate`` is the name of the generated C function, declared in
    ``asm/<header>``; ``sized_sysctl`` says whether register_sysctl() takes
    a const table without a sentinel entry (6.11 and later).
    """
    if HELPER in text:
        raise InputError(f"{FAULT_C}: already patched ({HELPER} is there)")
    lines = text.split("\n")
    sites = [index for index, line in enumerate(lines) if CHECK.match(line)]
    if not sites:
        raise InputError(f"{FAULT_C}: no `if (!(vma->vm_flags & vm_flags))` check to hook "
                         "(is this the arm64 fault handler?)")
    starts = []
    for site in sites:
        start = _function_start(lines, site)
        body = _function_text(lines, start)
        missing = [name for name in NEEDED_NAMES if not re.search(rf"\b{name}\b", body)]
        if missing:
            raise InputError(f"{FAULT_C}:{site + 1}: the function holding the check has no "
                             + ", ".join(missing))
        starts.append(start)

    site_lines = render("fault-site.c").split("\n")[:-1]
    for site in reversed(sites):
        check = CHECK.match(lines[site])
        assert check is not None  # the sites are the lines CHECK matches
        indent = check.group(1)
        lines[site:site] = [indent + line if line else line for line in site_lines]
    switch = render("fault-switch.c", PREDICATE=predicate,
                    CONST="const " if sized_sysctl else "",
                    SENTINEL="" if sized_sysctl else "\n\t{ }")
    first = min(starts)
    lines[first:first] = switch.split("\n")[:-1]

    _add_include(lines, "asm", header)
    _add_include(lines, "linux", "moduleparam.h")
    _add_include(lines, "linux", "sysctl.h")
    return "\n".join(lines)
