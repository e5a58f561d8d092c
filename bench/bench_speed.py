"""Speed benchmarks of the vector classifier, `a64fault scan` and `upgrades()`.

Run from the repository root::

    python bench/bench_speed.py            # everything (about 3-5 minutes)
    python bench/bench_speed.py --quick    # 3 runs, smaller samples, no objdump

Each line of the results is the median of N runs (default 5); the two sides
of a ratio are measured in the same run, alternately. Real-binary lines use
Debian's libLLVM-14 for arm64, fetched on first use into bench/_work/ with
``apt-get download libllvm14:arm64`` (never committed); a line whose tool or
package is missing is skipped with the reason. Prints a Markdown table and
writes it to bench/_work/results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
LIB = WORK / "root" / "usr" / "lib" / "aarch64-linux-gnu" / "libLLVM-14.so.1"
OBJDUMP = "aarch64-linux-gnu-objdump"
SEED = 20240515

rows: list[tuple[str, str, str, str]] = []


def report(what: str, ours: str, theirs: str, ratio: str) -> None:
    rows.append((what, ours, theirs, ratio))
    print(f"{what:<48} {ours:>18} {theirs:>18} {ratio:>10}", flush=True)


def skip(what: str, why: str) -> None:
    rows.append((what, "skipped", why, ""))
    print(f"{what:<48} SKIPPED: {why}", flush=True)


def median_time(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def side_by_side(a, b, runs: int) -> tuple[float, float]:
    """Median seconds of a and of b, alternating a, b, a, b..."""
    ta, tb = [], []
    for _ in range(runs):
        for function, times in ((a, ta), (b, tb)):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def capstone_lite():
    try:
        import capstone
    except ImportError:
        return None
    cs = capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
    # Without skipdata, disasm_lite stops at the first word it cannot decode.
    cs.skipdata = True
    return cs


def bench_classify(words: np.ndarray, label: str, runs: int, capstone_words: int,
                   threads: int | None = None) -> None:
    from a64fault.vector import classify_array

    cs = capstone_lite()
    sample = words[:capstone_words].astype("<u4").tobytes()
    if threads:
        label += f", {threads} thread{'s' if threads > 1 else ''}"

    def ours():
        classify_array(words, threads=threads)

    def theirs():
        for _ in cs.disasm_lite(sample, 0):
            pass

    classify_array(words[:1 << 20])  # build the tables outside the timing
    if cs is None:
        rate = len(words) / median_time(ours, runs)
        report(f"classify_array, {label}", f"{rate / 1e6:.0f} M words/s", "capstone missing", "")
        return
    t_ours, t_cs = side_by_side(ours, theirs, runs)
    rate, cs_rate = len(words) / t_ours, capstone_words / t_cs
    report(f"classify_array vs disasm_lite, {label}", f"{rate / 1e6:.0f} M words/s",
           f"{cs_rate / 1e6:.2f} M words/s", f"{rate / cs_rate:.0f}x")


def fetch_libllvm() -> str | None:
    """Path of libLLVM-14.so.1 (downloading it if needed), or None with the reason printed."""
    if LIB.exists():
        return str(LIB)
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        return None
    WORK.mkdir(exist_ok=True)
    steps = [["dpkg", "--add-architecture", "arm64"], ["apt-get", "update", "-qq"],
             ["apt-get", "download", "-qq", "libllvm14:arm64"]]
    for step in steps:
        done = subprocess.run(step, cwd=WORK, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"  ({' '.join(step)} failed: {done.stderr.strip()[:200]})")
            return None
    debs = sorted(WORK.glob("libllvm14_*_arm64.deb"))
    if not debs:
        return None
    subprocess.run(["dpkg", "-x", str(debs[-1]), str(WORK / "root")], check=True)
    return str(LIB) if LIB.exists() else None


def text_words(path: str) -> np.ndarray:
    from a64fault.decoder.elf import ElfImage

    with ElfImage(path) as image:
        name, _, offset, size = max(image.executable_ranges(), key=lambda r: r[3])
    with open(path, "rb") as handle:
        handle.seek(offset)
        return np.frombuffer(handle.read(size // 4 * 4), dtype="<u4")


#: Runs a command and prints its wall seconds and peak RSS. A small parent
#: of its own, so the child's peak RSS is not inflated by this process's
#: arrays (a forked child starts out sharing them).
_MEASURE = """
import os, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - start
if done.returncode:
    sys.exit(done.stderr.decode()[:300] or f"exit {done.returncode}")
import resource
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""


def run_measured(command: list[str]) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of one command, stdout discarded."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    seconds, peak = done.stdout.split()
    return float(seconds), int(peak)


def bench_scan(path: str, runs: int, with_objdump: bool) -> None:
    scan = [sys.executable, "-c", "from a64fault.cli import main; main()", "scan", "--json",
            path]
    size = Path(path).stat().st_size
    objdump = shutil.which(OBJDUMP) if with_objdump else None
    scan_times, scan_peaks, dump_times = [], [], []
    for _ in range(runs):
        seconds, peak = run_measured(scan)
        scan_times.append(seconds)
        scan_peaks.append(peak)
        if objdump:
            dump_times.append(run_measured([objdump, "-d", path])[0])
    t_scan = statistics.median(scan_times)
    if objdump:
        t_dump = statistics.median(dump_times)
        report("a64fault scan vs objdump -d, libLLVM-14", f"{t_scan:.2f} s", f"{t_dump:.2f} s",
               f"{t_dump / t_scan:.1f}x")
    else:
        skip("a64fault scan vs objdump -d, libLLVM-14",
             f"{OBJDUMP} not found (apt-get install binutils-aarch64-linux-gnu)"
             if with_objdump else "objdump not run (--quick)")
        report("a64fault scan, libLLVM-14", f"{t_scan:.2f} s", "", "")
    peak = statistics.median(scan_peaks)
    report("scan peak RSS / file size, libLLVM-14", f"{peak / 2**20:.0f} MiB",
           f"{size / 2**20:.0f} MiB", f"{peak / size:.2f}x")


def bench_upgrades(runs: int) -> None:
    from a64fault import policies

    rng = np.random.default_rng(SEED)
    words = rng.integers(0, 1 << 32, 200_000, dtype=np.uint32).tolist()
    upgrades = policies.upgrades
    for policy in ("atomic", "kernel-v5"):
        upgrades(words[0], policy)

        def run(policy=policy):
            for w in words:
                upgrades(w, policy)

        seconds = median_time(run, runs)
        report(f"upgrades(word, {policy!r}) per call, random words",
               f"{seconds / len(words) * 1e9:.0f} ns", "", "")


def bench_audit_union(runs: int) -> None:
    """Parsing a union of 2000 random MASK:VALUE terms into disjoint cubes (the audit)."""
    from a64fault.audit import parse_predicate

    rng = np.random.default_rng(SEED)
    top = 0xFFFFF000  # the terms differ in their low 12 bits (as in tests/test_audit.py)
    terms = []
    for _ in range(2000):
        low_mask = int(rng.integers(0, 1 << 12))
        terms.append((top | low_mask, 0x50000000 | (int(rng.integers(0, 1 << 12)) & low_mask)))
    text = " | ".join(f"{m:#x}:{v:#x}" for m, v in terms)
    seconds = median_time(lambda: parse_predicate(text), runs)
    report("audit: union of 2000 random terms", f"{seconds:.2f} s", "", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    n_random = 10_000_000 if args.quick else 100_000_000
    capstone_words = 100_000 if args.quick else 400_000

    machine = (f"{platform.machine()}, {os.cpu_count()} cores, "
               f"{platform.python_implementation()} {platform.python_version()}, "
               f"numpy {np.__version__}, load {os.getloadavg()[0]:.1f}")
    print(f"machine: {machine}; median of {runs} runs")
    words = np.random.default_rng(SEED).integers(0, 1 << 32, n_random, dtype=np.uint32)
    bench_classify(words, f"{n_random // 1_000_000} M random words", runs, capstone_words)
    bench_classify(words, f"{n_random // 1_000_000} M random words", runs, capstone_words,
                   threads=1)
    del words

    path = fetch_libllvm()
    if path is None:
        skip("classify_array vs disasm_lite, libLLVM-14 .text",
             "libLLVM-14 not available (needs apt-get/dpkg and network)")
        skip("a64fault scan vs objdump -d, libLLVM-14", "libLLVM-14 not available")
    else:
        code = text_words(path)
        bench_classify(code, f"libLLVM-14 .text ({len(code) / 1e6:.1f} M words)", runs,
                       capstone_words)
        del code
        bench_scan(path, runs, with_objdump=not args.quick)
    bench_upgrades(runs)
    bench_audit_union(runs)

    table = ["| benchmark | a64fault | reference | ratio |", "|---|---:|---:|---:|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    text = f"Machine: {machine}; median of {runs} runs.\n\n" + "\n".join(table) + "\n"
    WORK.mkdir(exist_ok=True)
    (WORK / "results.md").write_text(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
