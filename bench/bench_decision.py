"""The price of the decision's predicate: nanoseconds per call, measured.

Run: python bench/bench_decision.py [--policy atomic] [--calls 20000000]

Generates the policy's predicate in C (``a64fault predicate --lang c``),
compiles it with ``cc -O2`` into a harness that calls it on a buffer of
instruction words (the fault model's own words and random ones, read through
a volatile pointer so nothing is folded away), and prints the time per call
with the same loop's cost without the predicate subtracted. Also times the
Python ``a64fault.upgrades()`` for comparison. The fault model's default
``predicate`` cost (a64fault/model/costs.py) comes from this measurement;
the user-memory read beside it is an estimate (see costs.py).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import timeit

from a64fault import upgrades
from a64fault.model.encodings import WORDS

HARNESS = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
%(predicate)s
static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char **argv) {
    long calls = atol(argv[1]);
    FILE *f = fopen(argv[2], "rb");
    static uint32_t words[1 << 16];
    size_t n = fread(words, 4, 1 << 16, f);
    fclose(f);
    volatile uint32_t *w = words;
    volatile unsigned sink = 0;
    double best_loop = 1e9, best_pred = 1e9;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        unsigned s = 0;
        for (long i = 0; i < calls; i++) s += w[i & (n - 1)] & 1;
        double t1 = now();
        unsigned p = 0;
        for (long i = 0; i < calls; i++) p += %(name)s(w[i & (n - 1)]);
        double t2 = now();
        sink += s + p;
        if (t1 - t0 < best_loop) best_loop = t1 - t0;
        if (t2 - t1 < best_pred) best_pred = t2 - t1;
    }
    printf("%%.3f %%.3f %%u\n", best_pred / calls * 1e9, best_loop / calls * 1e9, sink);
    return 0;
}
"""


def c_predicate(policy: str) -> tuple[str, str]:
    """(C source, function name) of the generated predicate."""
    source = subprocess.run([sys.executable, "-m", "a64fault", "predicate", "--policy", policy,
                             "--lang", "c"], check=True, capture_output=True, text=True).stdout
    name = re.search(r"static inline bool (\w+)\(uint32_t", source).group(1)
    return source, name


def words(mixed: bool, count: int = 1 << 16) -> list[int]:
    """The model's words in turn; ``mixed``: only a quarter of them, the rest random words."""
    rng = random.Random(1)
    known = list(WORDS.values())
    if not mixed:
        return [known[i % len(known)] for i in range(count)]
    return [known[i % len(known)] if i % 4 == 0 else rng.getrandbits(32) for i in range(count)]


def measure_c(policy: str, calls: int, mixed: bool) -> tuple[float, float]:
    """(ns per predicate call, ns per loop step without it)."""
    source, name = c_predicate(policy)
    with tempfile.TemporaryDirectory() as tmp:
        c_file, binary, data = (os.path.join(tmp, x) for x in ("bench.c", "bench", "words.bin"))
        with open(c_file, "w") as handle:
            handle.write(HARNESS % {"predicate": source, "name": name})
        with open(data, "wb") as handle:
            handle.write(b"".join(w.to_bytes(4, "little") for w in words(mixed)))
        subprocess.run(["cc", "-O2", "-o", binary, c_file], check=True)
        out = subprocess.run([binary, str(calls), data], check=True, capture_output=True,
                             text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default="atomic")
    parser.add_argument("--calls", type=int, default=20_000_000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.processor() or platform.platform()}")
    for mixed, label in ((False, "the model's words"), (True, "3/4 random words")):
        if not shutil.which("cc"):
            print("cc not found: the C predicate was not measured")
            break
        per_call, loop = measure_c(args.policy, args.calls, mixed)
        print(f"generated C predicate ({args.policy}), cc -O2, {label}: {per_call:.3f} ns per "
              f"call including a {loop:.3f} ns loop step; {max(per_call - loop, 0):.3f} ns net")
    sample = words(True, 4096)
    n = 20
    seconds = min(timeit.repeat(lambda: [upgrades(w, args.policy) for w in sample], number=n,
                                repeat=5))
    print(f"Python a64fault.upgrades(): {seconds / (n * len(sample)) * 1e9:.0f} ns per call")


if __name__ == "__main__":
    main()
