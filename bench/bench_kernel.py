"""The full real-kernel matrix: every built-in workload on Debian's arm64 kernels, against the model.

Run: python bench/bench_kernel.py [--kernels bookworm,sid,sid-16k] [--sizes 64M,256M]
                                  [--no-mthp] [--out bench/_work/kernel/matrix]

Boots (one per configuration, all its runs in one boot, under
qemu-system-aarch64 -smp 1 with single-threaded TCG):
* each kernel with every workload x THP never/always x size;
* 7.x 4K (sid) with 64K mTHP always and PMD THP never, every workload x size.
Kernels come from bench/kernel/fetch.py (fetched on first use). Writes the
consoles, one JSON object per run (measured, model, equal) and the Markdown
table the README shows under --out; prints the table, each boot's wall
time and every difference. Exit status 1 when any count differs. Not part
of the test suite.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "kernel"))

import fetch  # noqa: E402  (bench/kernel/fetch.py)

from a64fault.errors import InputError  # noqa: E402
from a64fault.measure import boot, compare, jobs_for, parse  # noqa: E402
from a64fault.model.workloads import BUILTIN, parse_size  # noqa: E402

#: (label, kernel name in fetch.py, THP modes, mTHP settings)
CONFIGS = (
    ("6.1 4K", "bookworm", ("never", "always"), {}),
    ("7.x 4K", "sid", ("never", "always"), {}),
    ("7.x 16K", "sid-16k", ("never", "always"), {}),
    ("7.x 4K, 64K mTHP", "sid", ("never",), {64: "always"}),
)
#: Table columns: (heading, measured counter names summed).
COLUMNS = (("minflt", ("minflt",)), ("THP", ("thp_fault_alloc",)), ("splits", ("thp_split_pmd",)),
           ("LL/SC retries", ("llsc_retries",)))


def cell(results: list, names: tuple[str, ...]) -> str:
    """One cell: the value per size, ``a / b``."""
    return " / ".join(str(sum(r.measured.get(n, 0) for n in names)) for r in results)


def mthp_cell(results: list) -> str:
    parts = []
    for r in results:
        folios = {name[len("mthp_folios["):-1]: v for name, v in r.measured.items()
                  if name.startswith("mthp_folios[") and v}
        parts.append(",".join(f"{n}x{size}" for size, n in folios.items()) or "0")
    return " / ".join(parts)


def final_cell(results: list) -> str:
    parts = []
    for r in results:
        m = r.measured
        folios = [f"{v}x{name[len('mthp_folios['):-1]} folios" for name, v in m.items()
                  if name.startswith("mthp_folios[") and v]
        bits = [f"{m['private_pages']} pages" if m.get("private_pages") else "", *folios,
                f"{m['pmd_thps']} THP" if m.get("pmd_thps") else "",
                f"{m['zero_pages']} zero" if m.get("zero_pages") else "",
                f"{m['huge_zero_pmds']} huge-zero" if m.get("huge_zero_pmds") else ""]
        parts.append(", ".join(b for b in bits if b) or "empty")
    return " / ".join(parts)


def table(rows: list[tuple[str, str, str, list]], sizes: list[str]) -> str:
    head = (["kernel", "workload", "THP"] + [h for h, _ in COLUMNS]
            + ["mTHP folios", "final mapping", "model"])
    lines = [f"Each cell: {' / '.join(sizes)}.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, workload, thp, results in rows:
        equal = all(r.equal for r in results)
        mark = "equal" if equal else "DIFFERENT: " + ", ".join(
            sorted({d for r in results for d in r.differences()}) or ["model error"])
        cells = [label, workload, thp] + [cell(results, names) for _, names in COLUMNS]
        cells += [mthp_cell(results), final_cell(results), mark]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", default="bookworm,sid,sid-16k")
    parser.add_argument("--sizes", default="64M,256M")
    parser.add_argument("--workloads", default=",".join(BUILTIN))
    parser.add_argument("--no-mthp", action="store_true", help="leave out the mTHP boot")
    parser.add_argument("--memory", type=int, default=2048, help="guest MiB")
    parser.add_argument("--reuse", action="store_true",
                        help="use a configuration's saved console instead of booting again")
    parser.add_argument("--out", type=Path, default=HERE / "_work" / "kernel" / "matrix")
    args = parser.parse_args()
    kernels = args.kernels.split(",")
    sizes = args.sizes.split(",")
    byte_sizes = [parse_size(s) for s in sizes]
    workloads = args.workloads.split(",")
    args.out.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    rows, walls, records = [], [], []
    failed = 0
    for label, name, thps, mthp in CONFIGS:
        if name not in kernels or (mthp and args.no_mthp):
            continue
        fetch_started = time.monotonic()
        release, image = fetch.fetch(name, refresh=False)
        fetch_seconds = time.monotonic() - fetch_started
        jobs = jobs_for(workloads, byte_sizes, thps, mthp)
        slug = re.sub(r"[^0-9A-Za-z.]+", "-", label)
        saved = args.out / f"{slug}.console"
        timing = saved.with_suffix(".seconds")
        if args.reuse and saved.exists():
            report = parse(saved.read_text())
            seconds = float(timing.read_text()) if timing.exists() else 0.0
            print(f"{label}: reusing {saved}", flush=True)
        else:
            try:
                report = boot(image, jobs, memory_mb=args.memory, timeout=3600)
            except InputError as error:
                print(f"{label}: FAILED: {error}"[:2000], flush=True)
                failed += 1
                continue
            saved.write_text(report.console)
            seconds = report.seconds
            timing.write_text(f"{seconds:.1f}\n")
        results = compare(report)
        walls.append((label, release, len(jobs), fetch_seconds, seconds))
        print(f"{label}: {release}, {len(jobs)} runs, boot {seconds:.0f} s "
              f"(fetch {fetch_seconds:.1f} s)", flush=True)
        for result in results:
            records.append({"config": label, **result.as_json()})
            if not result.equal:
                print(f"  DIFFERENT {result.workload} {result.size_bytes >> 20} MiB THP {result.thp}: "
                      + ", ".join(f"{name} measured {a} model {b}" for name, a, b in result.counters
                                  if a is not None and b is not None and a != b)
                      + (f" ({result.model_error})" if result.model_error else ""), flush=True)
        for workload in workloads:
            for thp in thps:
                chosen = [r for size in byte_sizes for r in results
                          if r.workload == workload and r.thp == thp and r.size_bytes == size]
                rows.append((label, workload, thp, chosen))
    markdown = table(rows, sizes)
    (args.out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (args.out / "table.md").write_text(markdown + "\n")
    print()
    print(markdown)
    print()
    for label, release, n, fetch_seconds, seconds in walls:
        print(f"wall: {label} ({release}): {n} runs in one boot, {seconds:.0f} s; "
              f"fetch {fetch_seconds:.1f} s (cached after the first)")
    differing = sum(not r["equal"] for r in records)
    print(f"total {time.monotonic() - started:.0f} s; {len(records) - differing} of {len(records)} "
          f"runs match the model count for count")
    if failed:
        print(f"{failed} boots failed")
    return 1 if differing or failed else 0


if __name__ == "__main__":
    sys.exit(main())
