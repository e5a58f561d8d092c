"""What every bad input must end in: exactly one ``a64fault: error:`` line and the status."""

from __future__ import annotations

from tests.cli import run_in_process


def assert_one_error(args, status: int = 2, *, contains: str = "", stdin: str | None = None
                     ) -> str:
    """Run ``a64fault ARGS`` in-process: it must fail with one error line; that line."""
    done = run_in_process(*args, stdin=stdin)
    lines = done.stderr.splitlines()
    assert done.returncode == status, (done.returncode, done.stdout, done.stderr)
    assert len(lines) == 1 and lines[0].startswith("a64fault: error: "), done.stderr
    assert contains in lines[0], lines[0]
    return lines[0]
