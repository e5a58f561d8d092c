"""Wall time of the fault model on sequential workloads: 1 GiB, 64 GiB, 1 TiB x every policy.

Run: python bench/bench_model.py [--repeat 5] [--workload pretouch-lse]
Prints, per size x THP mode x policy (kernel 6.10), the median wall seconds of
``repeat`` runs of one simulate() call. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import time

from a64fault.model import Setup, simulate
from a64fault.policies import POLICIES

SIZES = (("1 GiB", 1 << 30), ("64 GiB", 64 << 30), ("1 TiB", 1 << 40))


def measure(workload: str, size: int, thp: str, policy: str, repeat: int) -> tuple[float, dict]:
    times, row = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        row = simulate(Setup(workload=workload, size=size, thp=thp), ("6.10",), (policy,))[0]
        times.append(time.perf_counter() - started)
    return statistics.median(times), row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workload", default="pretouch-lse")
    args = parser.parse_args()
    print(f"workload {args.workload}, kernel 6.10, median of {args.repeat} runs")
    print(f"{'size':>7}  {'thp':6}  {'policy':16}  {'wall s':>8}  {'faults':>12}  {'pages':>11}")
    for label, size in SIZES:
        for thp in ("never", "always"):
            for policy in POLICIES:
                seconds, row = measure(args.workload, size, thp, policy, args.repeat)
                print(f"{label:>7}  {thp:6}  {policy:16}  {seconds:8.4f}  {row['faults']:12d}  "
                      f"{size >> 12:11d}", flush=True)


if __name__ == "__main__":
    main()
