#!/usr/bin/env python3
"""Rebuild the committed probe (a64fault/measure/probe-aarch64) from probe/probe.c.

Needs the ziglang wheel (pip install -e '.[dev]'). zig builds the same bytes
every time, so a rebuild of unchanged source changes nothing; the test
tests/test_measure_kernel.py::test_committed_probe_is_what_the_source_builds
checks that the committed binary is current.
"""

from a64fault.measure.probe import build

if __name__ == "__main__":
    print(build())
