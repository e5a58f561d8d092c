#!/usr/bin/env python3
"""Measure the fault-handler patch: patched and unpatched Debian kernels under QEMU.

    python bench/kernel/bench_patch.py [--series 6.1,sid] [--size 64M] [--json FILE]

For each kernel series, builds the images with bench/kernel/build.py when
they are missing, boots the unpatched and the patched Image once each with
every workload x THP setting (64K mTHP too where the kernel has it) and
compares each run, counter by counter, with the fault model: the unpatched
kernel with the model's ``none`` policy, the patched one with ``atomic``.
Prints a Markdown table (the README's) and, with --json, every comparison.
Exit status 1 when any measured counter differs from the model.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from a64fault.measure import Job, boot, compare  # noqa: E402
from a64fault.measure.compare import Comparison  # noqa: E402
from a64fault.model.workloads import BUILTIN  # noqa: E402
from a64fault.numbers import parse_size  # noqa: E402

WORK = ROOT / "bench" / "_work" / "kernel"
#: Series name given to build.py -> the unpacked tree's series (Image-<series>-...).
#: THP settings: label -> (THP mode, mTHP sizes in KiB -> mode).
SETTINGS = {"THP never": ("never", {}), "THP always": ("always", {}),
            "64K mTHP": ("never", {64: "always"})}
#: The first kernel with per-size (multi-size) THP controls.
MTHP_SINCE = (6, 8)
POLICY = {"unpatched": "none", "patched": "atomic"}
#: Boots a run may take: khugepaged can still collapse a range during a run (the model
#: leaves it out), and such a run is measured again rather than compared.
BOOTS_PER_RUN = 3


def image(series: str, variant: str) -> Path:
    """The Image build.py leaves for ``series`` (6.1, or sid: the newest unpacked tree)."""
    if series == "sid":
        builds = sorted(WORK.glob("build-*.json"))
        names = [json.loads(b.read_text())["series"] for b in builds]
        names = [n for n in names if n != "6.1"]
        name = names[-1] if names else None
    else:
        name = series
    path = WORK / f"Image-{name}-{variant}" if name else None
    if path is None or not path.is_file():
        subprocess.run([sys.executable, str(ROOT / "bench/kernel/build.py"), "--series", series],
                       check=True)
        return image(series, variant)
    return path


def jobs(release_at_least_mthp: bool, size: int) -> list[tuple[str, Job]]:
    settings = [(label, thp, mthp) for label, (thp, mthp) in SETTINGS.items()
                if release_at_least_mthp or not mthp]
    return [(label, Job(workload, size, thp, mthp=dict(mthp)))
            for label, thp, mthp in settings for workload in BUILTIN]


def version_tuple(series_name: str) -> tuple[int, int]:
    major, minor = series_name.split(".")[:2]
    return int(major), int(minor)


def measure(series: str, size: int) -> list[dict]:
    rows = []
    for variant in ("unpatched", "patched"):
        path = image(series, variant)
        name = path.name.removeprefix("Image-").removesuffix(f"-{variant}")
        labelled = jobs(version_tuple(name) >= MTHP_SINCE, size)
        started = time.monotonic()
        results: dict[int, Comparison] = {}
        boots = dict.fromkeys(range(len(labelled)), 0)
        pending = list(range(len(labelled)))
        while pending:
            report = boot(path, [labelled[i][1] for i in pending])
            for i, comparison in zip(pending, compare(report, policy=POLICY[variant])):
                results[i] = comparison
                boots[i] += 1
            pending = [i for i in pending if collapsed(results[i]) and boots[i] < BOOTS_PER_RUN]
        seconds = time.monotonic() - started
        for i, (label, job) in enumerate(labelled):
            comparison = results[i]
            rows.append({"series": name, "variant": variant, "setting": label,
                         "workload": job.workload, "policy": POLICY[variant],
                         "boot_seconds": round(seconds, 1), "boots": boots[i],
                         "equal": comparison.equal, "differences": comparison.differences(),
                         **comparison.as_json()})
    return rows


def collapsed(comparison: Comparison) -> bool:
    """Whether khugepaged collapsed a range during the run (the model has no khugepaged)."""
    return bool(comparison.measured.get("thp_collapse_alloc"))


def large_folios(values: dict) -> int:
    """PMD THPs plus mTHP folios mapped at the end of the run."""
    return values.get("pmd_thps", 0) + sum(n for name, n in values.items() if name.startswith("mthp_folios["))


def table(rows: list[dict]) -> str:
    """Markdown: per kernel x setting x workload, faults and large folios of the unpatched
    (model none) and patched (model atomic) kernel, and the fault reduction."""
    index = {(r["variant"], r["series"], r["setting"], r["workload"]): r for r in rows}
    lines = ["| kernel | setting | workload | unpatched faults (model `none`) | patched faults "
             "(model `atomic`) | fault reduction | large folios unpatched → patched | all counters equal |",
             "|---|---|---|---:|---:|---:|---:|---|"]
    for row in rows:
        if row["variant"] != "unpatched":
            continue
        key = (row["series"], row["setting"], row["workload"])
        after = index.get(("patched", *key))
        if after is None:
            continue
        before_faults, after_faults = row["measured"]["minflt"], after["measured"]["minflt"]
        reduction = f"{1 - after_faults / before_faults:.1%}" if before_faults else "-"
        lines.append(
            f"| {row['series']} | {row['setting']} | {row['workload']} | "
            f"{before_faults} ({row['model'].get('minflt')}) | "
            f"{after_faults} ({after['model'].get('minflt')}) | "
            f"{reduction} | {large_folios(row['measured'])} → {large_folios(after['measured'])} | "
            f"{'yes' if row['equal'] and after['equal'] else 'NO'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", default="6.1,sid")
    parser.add_argument("--size", default="64M")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = []
    for series in args.series.split(","):
        rows += measure(series, parse_size(args.size))
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    unequal = [r for r in rows if not r["equal"]]
    for r in unequal:
        print(f"DIFFERS: {r['series']} {r['variant']} {r['setting']} {r['workload']}: "
              f"{'; '.join(r['differences'])}", file=sys.stderr)
    return 1 if unequal else 0


if __name__ == "__main__":
    sys.exit(main())
