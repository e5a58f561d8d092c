"""The CLI's commands, one module each, each defining a click command named ``command``.

a64fault/cli.py imports a module only when its command is invoked. The
command list with each command's one-line help lives here, light, so that
``a64fault --help`` lists every command without importing any of them; each
command takes its ``short_help`` from SHORT_HELP.
"""

#: command name -> module under a64fault.commands that defines `command`.
MODULES = {
    "audit": "audit",
    "classify": "classify",
    "esr": "esr",
    "fixtures": "fixtures",
    "kernel-patch": "kernel_patch",
    "log": "log",
    "measure": "measure",
    "predicate": "predicate",
    "scan": "scan",
    "simulate": "simulate",
}

#: command name -> the one line ``a64fault --help`` shows for it.
SHORT_HELP = {
    "audit": "Count exactly what a decode predicate matches, per form.",
    "classify": "Classify instruction words; decide a fault with --esr.",
    "esr": "Decode ESR_ELx values into named fields.",
    "fixtures": "Build, count and export the assembler-built encoding corpus.",
    "kernel-patch": "Generate the arm64 fault-handler patch for a kernel tree.",
    "log": "Explain the arm64 faults in kernel logs and fault traces.",
    "measure": "Measure workloads on a real arm64 kernel; compare with the model.",
    "predicate": "Minimum mask/value predicate for a policy, proven.",
    "scan": "Count kinds in ELF files and directories; list what a policy upgrades.",
    "simulate": "Model page faults per kernel x policy for a workload.",
}
