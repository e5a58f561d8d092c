"""The fuzz suite's run size: a few hundred examples per surface in the default run
(CI's), FUZZ_EXAMPLES (10,000) per surface under ``pytest -m fuzz`` (the marker
alone; then every test here counts as a fuzz test) or with A64FAULT_FUZZ_EXAMPLES
set; at the end, how many inputs each surface ran (also written as JSON to
A64FAULT_FUZZ_REPORT if set)."""

from __future__ import annotations

import json
import os

import pytest

from tests.fuzz import common


def _fuzz_selected(config) -> bool:
    # Only the bare marker: CI's "(slow or fuzz) and not kernel" step must not rerun
    # these at 10,000 examples (its default step ran them already).
    return (config.option.markexpr or "").strip() == "fuzz"


def pytest_configure(config):
    if _fuzz_selected(config) and "A64FAULT_FUZZ_EXAMPLES" not in os.environ:
        common.EXAMPLES = common.FUZZ_EXAMPLES


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under ``-m fuzz`` every test here is a fuzz test (the default run keeps them
    unmarked, so it runs them at the small size)."""
    if _fuzz_selected(config):
        here = os.path.dirname(__file__)
        for item in items:
            if str(item.fspath).startswith(here):
                item.add_marker(pytest.mark.fuzz)


def pytest_terminal_summary(terminalreporter):
    counts = common.INPUTS
    if not counts:
        return
    terminalreporter.section("fuzz inputs per surface")
    for surface, count in sorted(counts.items()):
        terminalreporter.write_line(f"{surface:<28} {count:>9,}")
    report = os.environ.get("A64FAULT_FUZZ_REPORT")
    if report:
        with open(report, "w") as handle:
            json.dump(dict(sorted(counts.items())), handle, indent=1)
