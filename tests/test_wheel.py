"""The runtime package on its own: build the wheel, install it into a fresh venv
without the [dev] extra, and run every command from an unrelated directory.

Proves the package ships what it reads (the table, the encoding corpus) and
imports no development tool (ziglang, keystone, unicorn, hypothesis) at run
time. A command added to a64fault.commands.MODULES without an entry in RUNS is
still run with --help; give it a real invocation in RUNS.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from a64fault.commands import MODULES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TINY_LE = ROOT / "fixtures" / "elf" / "tiny-le"
DEV_ONLY = ("ziglang", "keystone", "unicorn", "hypothesis", "pytest")

#: command -> list of (arguments, exit status, text the output must hold).
RUNS = {
    "classify": [(["classify", "b820001f", "--esr", "0x92000007"], 0, "read->write")],
    "esr": [(["esr", "0x92000007"], 0, "translation fault, level 3")],
    "scan": [(["scan", str(TINY_LE)], 0, "policy atomic: 4 instructions")],
    "audit": [(["audit", "--preset", "cas", "--against", "atomic"], 0, "CAS")],
    "fixtures": [(["fixtures", "stats"], 0, "4020"),
                 (["fixtures", "export", "--format", "c", "--kind", "compare-and-swap"], 0,
                  "a64fault_insns"),
                 (["fixtures", "build"], 2, "source checkout")],
    "simulate": [(["simulate", "-w", "memset", "-s", "8K", "--kernel", "6.10", "--policy", "none"],
                  0, "6.10"),
                 (["simulate", "-w", "trace", "--trace", "TRACE"], 2, "a64fault[asm]")],
    "log": [(["log", "LOG"], 0, "0x92000006")],
    "predicate": [(["predicate", "--lang", "python"], 0, "def insn_is_atomic")],
    "kernel-patch": [(["kernel-patch", "--kernel-tree", str(ROOT / "tests" / "data" / "kernel-tree-6.1")],
                      0, "insn-atomic-fault.h")],
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the fresh venv's python, an empty working directory)."""
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                            "--wheel-dir", str(work / "dist"), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    (wheel,) = (work / "dist").glob("a64fault-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                              "--quiet", str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "trace.csv").write_text('asm,address\n"ldr x0, [x1]",0x10000\n')
    # The user-fault line format of Linux 3.18's arm64 do_bad_area (see tests/test_log_formats.py).
    (elsewhere / "kernel.log").write_text(
        "[   77.512000] segv[1201]: unhandled level 2 translation fault (11) at 0x00000000, "
        "esr 0x92000006\n")
    return python, elsewhere


def test_no_development_tool_is_installed(installed):
    python, elsewhere = installed
    code = ("import importlib.util, sys; "
            f"sys.exit(any(importlib.util.find_spec(m) for m in {DEV_ONLY!r}))")
    assert subprocess.run([python, "-c", code], cwd=elsewhere).returncode == 0


@pytest.mark.parametrize("command", sorted(MODULES))
def test_every_command_runs_from_the_wheel(installed, command):
    python, elsewhere = installed
    script = python.parent / "a64fault"
    substitutions = {"TRACE": str(elsewhere / "trace.csv"), "LOG": str(elsewhere / "kernel.log")}
    runs = [([command, "--help"], 0, "Usage:")] + RUNS.get(command, [])
    for args, status, needle in runs:
        args = [substitutions.get(a, a) for a in args]
        done = subprocess.run([script, *args], cwd=elsewhere, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == status, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert needle in (done.stdout if status == 0 else done.stderr), (args, done.stdout)
        if status == 2:
            assert len(done.stderr.splitlines()) == 1, done.stderr
