"""The probe binary: where it lives and how it is built.

The probe (static AArch64 Linux, source probe/probe.c in the repository) is
committed as package data, so measuring needs no compiler. ``build`` rebuilds
it with the ziglang wheel (a dev-only tool, imported by no runtime path: it
runs as ``python -m ziglang``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: The committed binary.
BINARY = Path(__file__).with_name("probe-aarch64")
#: The source, present in a repository checkout (not in an installed wheel).
SOURCE = Path(__file__).resolve().parents[2] / "probe" / "probe.c"
#: The compiler flags: static musl, LSE enabled (stadd/ldadd/cas), stripped.
FLAGS = ("-target", "aarch64-linux-musl", "-static", "-O2", "-mcpu=generic+lse", "-s")


def build_command(output: Path, source: Path = SOURCE) -> list[str]:
    """The command that builds the probe from ``source`` into ``output``."""
    return [sys.executable, "-m", "ziglang", "cc", *FLAGS, "-o", str(output), str(source)]


def build(output: Path = BINARY, source: Path = SOURCE) -> Path:
    """Build the probe (needs the ziglang wheel); the output path."""
    subprocess.run(build_command(output, source), check=True)
    return output


def binary() -> bytes:
    """The committed probe's bytes."""
    return BINARY.read_bytes()
