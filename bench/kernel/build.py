#!/usr/bin/env python3
"""Build Debian's arm64 kernel with and without the a64fault fault-handler patch.

    python bench/kernel/build.py [--series 6.1|sid] [--variant both|patched|unpatched] [--jobs 2]

For each series: install the cross toolchain and build dependencies from
Debian (apt-get, when missing), take the source (bookworm's linux-source-6.1,
or unstable's newest linux-source through a scratch apt state that leaves
the system's apt lists alone), unpack it under bench/_work/kernel/, configure
it (``make tinyconfig`` plus OPTIONS: initramfs, PL011 console, proc/sysfs,
THP and mTHP, page-map interfaces, LSE atomics, sysctl), build the unpatched
Image, generate the patch with ``a64fault kernel-patch``, apply it, rebuild
(only fault.c and what links it), and reverse it so the tree stays pristine.

Leaves bench/_work/kernel/Image-<series>-{unpatched,patched}, <series>.patch,
atomic_fault-<series> (the patch's kselftest, static) and build-<series>.json
(versions, build times, patch size) and selftest-init (an /init that runs
the kselftest and powers off). Needs root for apt-get only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fetch  # noqa: E402  (bench/kernel/fetch.py: the scratch apt state)

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "bench" / "_work" / "kernel"
PACKAGES = ("gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross", "binutils-aarch64-linux-gnu",
            "flex", "bison", "bc", "libssl-dev", "libelf-dev", "make", "patch", "xz-utils", "cpio",
            "perl")
#: Bookworm's 6.1 source package, and unstable's newest through its metapackage.
BOOKWORM_SOURCE = "linux-source-6.1"
UNSTABLE_METAPACKAGE = "linux-source"
MAKE_ENV = {"ARCH": "arm64", "CROSS_COMPILE": "aarch64-linux-gnu-"}
#: What the probe and the selftest need on top of tinyconfig.
OPTIONS = (
    "BLK_DEV_INITRD", "PRINTK", "TTY", "SERIAL_AMBA_PL011", "SERIAL_AMBA_PL011_CONSOLE",
    "PROC_FS", "SYSFS", "DEVTMPFS", "TRANSPARENT_HUGEPAGE", "PROC_PAGE_MONITOR", "BINFMT_ELF",
    "OF", "ARM_GIC", "ARM_GIC_V3", "ARM_ARCH_TIMER", "MULTIUSER", "FUTEX", "POSIX_TIMERS",
    "SHMEM", "TMPFS", "ARM_AMBA", "SMP", "VM_EVENT_COUNTERS", "ADVISE_SYSCALLS",
    "ARM64_USE_LSE_ATOMICS", "ARM64_LSE_ATOMICS", "SYSCTL", "PROC_SYSCTL",
)
PREDICATE_NAME = "aarch64_insn_is_atomic_rmw"


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.run(argv, check=True, **kwargs)


def installed(package: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                          capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.endswith("install ok installed")


def install(packages) -> None:
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"build: missing Debian packages {' '.join(missing)} (run as root to install them)")
    run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"])
    run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q",
         "--no-install-recommends", *missing], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def unstable_source() -> tuple[str, Path]:
    """(version, tarball) of unstable's newest linux-source, through fetch.py's scratch apt state."""
    apt_cache, apt_get = fetch.scratch_apt("sid", refresh=True)
    package = fetch.depends(apt_cache, UNSTABLE_METAPACKAGE, r"linux-source-[\d.]+")
    deb = fetch.download(apt_get, package, WORK / "debs")
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    unpacked = WORK / "debs" / f"{package}_{version}"
    tarball = unpacked / "usr" / "src" / f"{package}.tar.xz"
    if not tarball.is_file():
        run(["dpkg-deb", "-x", str(deb), str(unpacked)])
    return version, tarball


def source(series: str) -> tuple[str, Path]:
    """(Debian package version, source tarball) of ``series``: 6.1 or sid."""
    if series == "sid":
        return unstable_source()
    install([BOOKWORM_SOURCE])
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", BOOKWORM_SOURCE],
                             capture_output=True, text=True, check=True).stdout
    return version, Path(f"/usr/src/{BOOKWORM_SOURCE}.tar.xz")


def unpack(tarball: Path) -> Path:
    tree = WORK / tarball.name.removesuffix(".tar.xz")
    if not (tree / "Makefile").is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        run(["tar", "-xf", str(tarball), "-C", str(WORK)])
    return tree


def make(tree: Path, *targets: str, jobs: int = 1, quiet: bool = False) -> tuple[float, float]:
    """Run make in ``tree`` for arm64; (wall seconds, CPU seconds of make and its children)."""
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    run(["make", f"-j{jobs}", *(["-s"] if quiet else []), *targets], cwd=tree,
        env={**os.environ, **MAKE_ENV}, stdout=subprocess.DEVNULL if quiet else None)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (time.monotonic() - started,
            after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime)


def options(tree: Path) -> list[str]:
    """The OPTIONS this tree's Kconfig declares (7.x dropped the LSE switches: LSE is always used)."""
    declared = subprocess.run(["grep", "-rhoE", "--include=Kconfig*", r"^(menu)?config [A-Z0-9_]+$", "."],
                              cwd=tree, capture_output=True, text=True).stdout
    names = {line.split()[-1] for line in declared.splitlines()}
    return [o for o in OPTIONS if o in names]


def configured(tree: Path) -> bool:
    config = tree / ".config"
    text = config.read_text() if config.is_file() else ""
    return all(f"\nCONFIG_{o}=y\n" in text for o in options(tree))


def configure(tree: Path) -> None:
    if configured(tree):
        return
    make(tree, "tinyconfig", quiet=True)
    enable = [arg for option in options(tree) for arg in ("--enable", option)]
    run(["./scripts/config", *enable], cwd=tree)
    make(tree, "olddefconfig", quiet=True)
    if not configured(tree):
        config = (tree / ".config").read_text()
        missing = [o for o in options(tree) if f"\nCONFIG_{o}=y\n" not in config]
        sys.exit(f"build: options not set after olddefconfig: {' '.join(missing)}")


def generate_patch(tree: Path, out: Path) -> None:
    run([sys.executable, "-m", "a64fault", "kernel-patch", "--kernel-tree", str(tree),
         "--name", PREDICATE_NAME, "-o", str(out)], cwd=ROOT)


def apply(tree: Path, patch: Path, *, reverse: bool = False, dry_run: bool = False) -> None:
    run(["patch", "-p1", "-s", "-f", *(["-R"] if reverse else []),
         *(["--dry-run"] if dry_run else []), "-i", str(patch)], cwd=tree)


def build_selftest(tree: Path, out: Path) -> None:
    """The patch's kselftest as one static arm64 binary (run it as any user, or as /init's child)."""
    directory = tree / "tools/testing/selftests/arm64/atomic_fault"
    run(["aarch64-linux-gnu-gcc", "-static", "-O2", "-Wall", "-o", str(out),
         "atomic_fault.c", "trampoline.S"], cwd=directory)
    run(["aarch64-linux-gnu-gcc", "-static", "-O2", "-Wall", "-o", str(WORK / "selftest-init"),
         str(Path(__file__).with_name("selftest_init.c"))])


def build(series: str, variants: tuple[str, ...], jobs: int) -> dict:
    install(PACKAGES)
    package_version, tarball = source(series)
    tree = unpack(tarball)
    name = tree.name.removeprefix("linux-source-")
    patch = WORK / f"{name}.patch"
    result: dict = {"series": name, "package_version": package_version, "jobs": jobs,
                    "cpus": os.cpu_count(), "load_average_at_start": round(os.getloadavg()[0], 1)}
    if (tree / "arch/arm64/include/asm/insn-atomic-fault.h").exists():
        apply(tree, patch, reverse=True)  # a build interrupted while patched
    configure(tree)
    result["kernel_version"] = subprocess.run(
        ["make", "-s", "kernelversion"], cwd=tree, capture_output=True, text=True, check=True).stdout.strip()
    if "unpatched" in variants:
        wall, cpu = make(tree, "Image", jobs=jobs)
        result["unpatched_build_seconds"] = round(wall, 1)
        result["unpatched_build_cpu_seconds"] = round(cpu, 1)
        shutil.copyfile(tree / "arch/arm64/boot/Image", WORK / f"Image-{name}-unpatched")
    if "patched" in variants:
        generate_patch(tree, patch)
        text = patch.read_text()
        result["patch_lines"] = text.count("\n")
        result["patch_added_lines"] = len(re.findall(r"^\+(?!\+\+ )", text, re.MULTILINE))
        apply(tree, patch, dry_run=True)
        apply(tree, patch)
        try:
            wall, cpu = make(tree, "Image", jobs=jobs)
            result["patched_build_seconds"] = round(wall, 1)
            result["patched_build_cpu_seconds"] = round(cpu, 1)
            shutil.copyfile(tree / "arch/arm64/boot/Image", WORK / f"Image-{name}-patched")
            build_selftest(tree, WORK / f"atomic_fault-{name}")
        finally:
            apply(tree, patch, reverse=True)
    record = WORK / f"build-{name}.json"
    if record.is_file():  # keep the other variant's numbers from an earlier run
        result = {**json.loads(record.read_text()), **result}
    record.write_text(json.dumps(result, indent=1) + "\n")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", choices=("6.1", "sid"), default="6.1",
                        help="bookworm's linux-source-6.1, or unstable's newest linux-source")
    parser.add_argument("--variant", choices=("both", "patched", "unpatched"), default="both")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    variants = ("unpatched", "patched") if args.variant == "both" else (args.variant,)
    print(json.dumps(build(args.series, variants, args.jobs), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
