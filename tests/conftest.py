"""Test-wide settings: property tests are derandomized so every run checks the
same examples (deterministic CI), and write no example database."""

import pytest
from hypothesis import settings

from tests.cli import run_in_process

settings.register_profile("a64fault", derandomize=True, database=None)
settings.load_profile("a64fault")


@pytest.fixture(scope="session")
def cli():
    """``cli(*args, stdin=None, cwd=ROOT)``: run the command line in this process
    (see tests/cli.py); returns a CompletedProcess (returncode, stdout, stderr)."""
    return run_in_process
