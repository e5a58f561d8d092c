"""The arm64 fault-handler patch: a generated predicate put into a kernel tree.

``kernel_patch(tree, predicate)`` returns a unified diff against the kernel
source tree at ``tree`` that adds the kernel-language predicate as
arch/arm64/include/asm/insn-atomic-fault.h, uses it in
arch/arm64/mm/fault.c (faultc.py) and adds a kselftest (selftest.py).
"""

from .patch import HEADER_PATH, kernel_patch

__all__ = ["HEADER_PATH", "kernel_patch"]
