#!/usr/bin/env python3
"""Fetch Debian's arm64 kernel Images for ``a64fault measure``.

    python bench/kernel/fetch.py [bookworm] [sid] [sid-16k]   (default: all three)

Prints one line per kernel: name, release, path of the uncompressed Image.

Each suite gets a scratch arm64 apt state under the cache directory (a
one-line-per-suite sources file, its own lists), so the system's sources,
lists and architectures are untouched and arm64 need not be a foreign
architecture of the host. The archive URIs are the system's own.

* ``bookworm`` (with bookworm-security): ``linux-image-arm64`` depends on
  ``linux-image-<abi>-arm64``; its unsigned twin
  ``linux-image-<abi>-arm64-unsigned`` holds ``boot/vmlinuz-<release>``.
* ``sid`` / ``sid-16k``: unstable's newest: ``linux-image-arm64[-16k]`` ->
  ``linux-image-<ver>-arm64[-16k]`` -> ``linux-binary-<ver>-arm64[-16k]``,
  which holds ``usr/lib/modules/<release>/vmlinuz``.

Package names are resolved at run time with ``apt-cache depends``: they change
with every ABI bump. Everything is cached under bench/_work/kernel/ (git-ignored);
a kernel already extracted is not fetched again unless ``--refresh``.
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "bench" / "_work" / "kernel"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY = "http://deb.debian.org/debian-security"
KERNELS = ("bookworm", "sid", "sid-16k")


def run(cmd: list[str], cwd: Path | None = None) -> str:
    """Run ``cmd`` and return its stdout; exit with its stderr when it fails."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"fetch: {' '.join(cmd)} failed:\n{done.stderr.strip()}")
    return done.stdout


def depends(apt_cache: list[str], package: str, pattern: str) -> str:
    """The first dependency of ``package`` matching ``pattern``."""
    out = run(apt_cache + ["depends", package])
    for line in out.splitlines():
        match = re.match(r"\s*\|?Depends:\s*(\S+)", line)
        if match and re.fullmatch(pattern, match.group(1).split(":")[0]):
            return match.group(1).split(":")[0]
    sys.exit(f"fetch: no dependency of {package} matches {pattern}:\n{out}")


def mirrors() -> tuple[str, str]:
    """The Debian archive and security archive URIs the system's apt uses
    (deb.debian.org when none are found)."""
    found = {}
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")) + [Path("/etc/apt/sources.list")]:
        try:
            text = path.read_text()
        except OSError:
            continue
        pattern = r"(?:URIs:\s*|deb\s+(?:\[[^]]*\]\s*)?)(\S+/(debian(?:-security)?))/?\s"
        for match in re.finditer(pattern, text):
            found.setdefault(match.group(2), match.group(1))
    return found.get("debian", DEFAULT_MIRROR), found.get("debian-security", DEFAULT_SECURITY)


def scratch_apt(suite: str, refresh: bool) -> tuple[list[str], list[str]]:
    """apt-cache and apt-get commands over a scratch arm64 apt state for ``suite``
    (updated once): the system's sources, lists and architectures are untouched."""
    state = CACHE / f"apt-{suite}"
    lists = state / "lists"
    (lists / "partial").mkdir(parents=True, exist_ok=True)
    (state / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    archive, security = mirrors()
    line = f"deb [arch=arm64 signed-by={KEYRING}]"
    text = f"{line} {archive} {suite} main\n"
    if suite != "sid":
        text += f"{line} {security} {suite}-security main\n"
    sources = state / "sources.list"
    sources.write_text(text)
    options = ["-o", f"Dir::Etc::sourcelist={sources}", "-o", "Dir::Etc::sourceparts=-",
               "-o", f"Dir::State::Lists={lists}", "-o", f"Dir::Cache={state}",
               "-o", f"Dir::Cache::archives={state / 'archives'}",
               "-o", "APT::Architecture=arm64", "-o", "APT::Architectures=arm64"]
    if refresh or not any(lists.glob("*Packages*")):
        run(["apt-get", *options, "update"])
    return ["apt-cache", *options], ["apt-get", *options]


def download(apt_get: list[str], package: str, into: Path) -> Path:
    """``apt-get download package`` into ``into``; the .deb's path."""
    into.mkdir(parents=True, exist_ok=True)
    run(apt_get + ["download", package], cwd=into)
    debs = sorted(into.glob(f"{package.split(':')[0]}_*.deb"))
    if not debs:
        sys.exit(f"fetch: apt-get download {package} left no .deb in {into}")
    return debs[-1]


def extract_vmlinuz(deb: Path, pattern: str) -> tuple[str, bytes]:
    """(path, bytes) of the one member of ``deb``'s data matching ``pattern``."""
    with tempfile.TemporaryDirectory() as tmp:
        tar_path = Path(tmp) / "data.tar"
        with open(tar_path, "wb") as out:
            subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=out, check=True)
        with tarfile.open(tar_path) as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                if member.isfile() and re.fullmatch(pattern, name):
                    data = tar.extractfile(member)
                    assert data is not None
                    return name, data.read()
    sys.exit(f"fetch: {deb.name} holds no file matching {pattern}")


def uncompressed_image(vmlinuz: bytes) -> bytes:
    """The raw arm64 Image (Debian ships it gzip-compressed; QEMU's -kernel wants either)."""
    if vmlinuz[:2] == b"\x1f\x8b":
        vmlinuz = gzip.decompress(vmlinuz)
    if vmlinuz[0x38:0x3C] != b"ARM\x64":
        sys.exit("fetch: the extracted kernel is not an arm64 Image (no ARMd magic at 0x38)")
    return vmlinuz


def fetch(name: str, refresh: bool) -> tuple[str, Path]:
    """Fetch kernel ``name`` (one of KERNELS); (release, Image path)."""
    where = CACHE / name
    image, release_file = where / "Image", where / "release"
    if image.exists() and release_file.exists() and not refresh:
        return release_file.read_text().strip(), image
    if name == "bookworm":
        apt_cache, apt_get = scratch_apt("bookworm", refresh)
        signed = depends(apt_cache, "linux-image-arm64", r"linux-image-.*-arm64")
        package = f"{signed}-unsigned"
        member = r"boot/vmlinuz-(.*)"
    else:
        apt_cache, apt_get = scratch_apt("sid", refresh)
        flavour = "-16k" if name.endswith("-16k") else ""
        meta = depends(apt_cache, f"linux-image-arm64{flavour}", rf"linux-image-.*-arm64{flavour}")
        package = depends(apt_cache, meta, rf"linux-binary-.*-arm64{flavour}")
        member = r"usr/lib/modules/([^/]+)/vmlinuz"
    deb = download(apt_get, package, where / "debs")
    path, vmlinuz = extract_vmlinuz(deb, member)
    match = re.fullmatch(member, path)
    assert match is not None
    release = match.group(1)
    image.write_bytes(uncompressed_image(vmlinuz))
    release_file.write_text(release + "\n")
    (where / "package").write_text(f"{deb.name}\n")
    shutil.rmtree(where / "debs")
    return release, image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kernels", nargs="*", metavar="KERNEL",
                        help=f"any of {', '.join(KERNELS)} (default: all)")
    parser.add_argument("--refresh", action="store_true", help="fetch again even when cached")
    args = parser.parse_args(argv)
    unknown = [name for name in args.kernels if name not in KERNELS]
    if unknown:
        parser.error(f"unknown kernel {unknown[0]!r}: choose from {', '.join(KERNELS)}")
    for name in args.kernels or KERNELS:
        release, image = fetch(name, args.refresh)
        print(f"{name}\t{release}\t{image}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
