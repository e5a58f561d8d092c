"""Wall time of the fault model: sizes up to 1 TiB, and strides that do not divide the PMD.

Run: python bench/bench_model.py [--repeat 5] [--table sizes|strides] [--source DIR]
                                 [--baseline DIR [--max-size BYTES]]

``sizes``: pretouch-lse (or --workload) at 1 GiB, 64 GiB and 1 TiB x THP never/always
x every policy, kernel 6.10, one simulate() call each.
``strides``: the odd-stride cases, each one simulate() call over the default
kernels (6.10, 6.13) x all four policies, as ``a64fault simulate`` runs them.
Prints the median wall seconds of ``repeat`` runs. ``--source DIR`` imports
a64fault from another checkout (e.g. an older commit, for a before/after
comparison); ``--max-size`` skips larger cases (an old model took days at 255 TiB).
``--baseline DIR`` (strides) runs each case once more with the checkout in DIR,
in a subprocess, side by side, and prints the CPU-time ratio baseline / now.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

SIZES = (("1 GiB", 1 << 30), ("64 GiB", 64 << 30), ("1 TiB", 1 << 40))
#: (label, size, stride): the item-9 cases and more strides at the largest size.
STRIDES = (
    ("8 GiB", 8 << 30, 4097),
    ("256 GiB", 256 << 30, 12 << 10),
    ("1 GiB", 1 << 30, 1),
    ("1 TiB", 1 << 40, 4096),
    ("255 TiB", 255 << 40, 4097),
    ("255 TiB", 255 << 40, 12 << 10),
    ("255 TiB", 255 << 40, 1),
    ("255 TiB", 255 << 40, (2 << 20) + 4096),
    ("255 TiB", 255 << 40, (3 << 20) + 1),
    ("255 TiB", 255 << 40, (1 << 30) + 1),
    ("255 TiB", 255 << 40, (1 << 40) + 7),
)


def timed(repeat: int, setup, *choices):
    """(median wall seconds, median CPU seconds, rows) of ``repeat`` calls of
    simulate(setup, *choices). On a shared machine the CPU time is the steadier figure."""
    from a64fault.model import simulate

    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = simulate(setup, *choices)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def sizes_table(args) -> None:
    from a64fault.model import Setup
    from a64fault.policies import POLICIES

    print(f"workload {args.workload}, kernel 6.10, median of {args.repeat} runs")
    print(f"{'size':>7}  {'thp':6}  {'policy':16}  {'wall s':>8}  {'faults':>12}  {'pages':>11}")
    for label, size in SIZES:
        for thp in ("never", "always"):
            for policy in POLICIES:
                seconds, _, rows = timed(args.repeat, Setup(workload=args.workload, size=size,
                                                         thp=thp), ("6.10",), (policy,))
                print(f"{label:>7}  {thp:6}  {policy:16}  {seconds:8.4f}  {rows[0]['faults']:12d}  "
                      f"{size >> 12:11d}", flush=True)


def strides_table(args) -> None:
    from a64fault.model import Setup

    print(f"workload {args.workload}, kernels 6.10 and 6.13 x 4 policies per call, "
          f"median of {args.repeat} runs")
    baseline = f"  {'baseline cpu s':>14}  {'ratio':>8}" if args.baseline else ""
    print(f"{'size':>8}  {'stride':>14}  {'thp':6}  {'wall s':>8}  {'cpu s':>8}  "
          f"{'faults (6.10, none)':>20}{baseline}")
    for case, (label, size, stride) in enumerate(STRIDES):
        if args.case is not None and case != args.case:
            continue
        if args.max_size is not None and size > args.max_size:
            continue
        for thp in ("never", "always"):
            if args.thp and thp != args.thp:
                continue
            seconds, cpu, rows = timed(args.repeat, Setup(workload=args.workload, size=size,
                                                          stride=stride, thp=thp))
            line = (f"{label:>8}  {stride:>14}  {thp:6}  {seconds:8.3f}  {cpu:8.3f}  "
                    f"{rows[0]['faults']:20d}")
            if args.baseline:
                base_cpu = _baseline_cpu(args, case, thp)
                line += f"  {base_cpu:14.3f}  {base_cpu / max(cpu, 1e-9):8.0f}"
            print(line, flush=True)


def _baseline_cpu(args, case: int, thp: str) -> float:
    """CPU seconds of one case under the baseline checkout, run in a subprocess."""
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--table", "strides", "--repeat", "1",
                          "--workload", args.workload, "--source", args.baseline,
                          "--case", str(case), "--thp", thp],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1].split()[4])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workload", default="pretouch-lse")
    parser.add_argument("--table", choices=("sizes", "strides"), default="sizes")
    parser.add_argument("--source", help="import a64fault from this checkout")
    parser.add_argument("--max-size", type=int, help="skip cases larger than this many bytes")
    parser.add_argument("--baseline", help="also run each stride case with this checkout")
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--thp", choices=("never", "always"), help="only this THP mode")
    args = parser.parse_args()
    if args.source:
        sys.path.insert(0, args.source)
    (sizes_table if args.table == "sizes" else strides_table)(args)


if __name__ == "__main__":
    main()
