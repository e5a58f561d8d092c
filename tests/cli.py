"""Two ways to run the command line in tests.

``run_in_process`` calls ``a64fault.cli.main`` in this interpreter with
click's stream isolation (fast: no interpreter start-up); the ``cli``
fixture in conftest.py hands it to tests. ``run_subprocess`` starts
``sys.executable -m a64fault``, for the few tests about the process itself
(exit status, a terminal on stderr, the entry point): it needs nothing on
PATH.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from a64fault.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_in_process(*args, stdin: str | None = None, cwd: Path | str = ROOT
                   ) -> subprocess.CompletedProcess:
    """Run ``a64fault ARGS`` through main() here; a CompletedProcess with text out/err."""
    argv = [str(a) for a in args]
    runner = CliRunner()
    before_dir = os.getcwd()
    before_pipe = signal.getsignal(signal.SIGPIPE) if hasattr(signal, "SIGPIPE") else None
    code = 0
    try:
        os.chdir(cwd)
        with runner.isolation(input=stdin) as streams:
            try:
                main(argv)
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            out, err = streams[0].getvalue(), streams[1].getvalue()
    finally:
        os.chdir(before_dir)
        if before_pipe is not None:
            signal.signal(signal.SIGPIPE, before_pipe)
    return subprocess.CompletedProcess(argv, code, out.decode(), err.decode())


def run_subprocess(*args, stdin: str | None = None, cwd: Path | str = ROOT, **options
                   ) -> subprocess.CompletedProcess:
    """Run ``python -m a64fault ARGS`` with this interpreter (no PATH lookup)."""
    options.setdefault("capture_output", "stdout" not in options and "stderr" not in options)
    return subprocess.run([sys.executable, "-m", "a64fault", *map(str, args)], input=stdin,
                          text=True, cwd=cwd, timeout=120, **options)
