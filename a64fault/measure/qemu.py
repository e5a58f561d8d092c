"""Boot an arm64 Linux Image under QEMU with the probe as /init and read its report.

The machine is ``-M virt -cpu max -smp 1 -accel tcg,thread=single``.
Single-threaded TCG is required, not a speed choice: under QEMU's default
multi-threaded TCG an LSE atomic whose page is missing faults as a write
(WnR=1), which hides the read-then-write double fault and imitates the
``atomic`` policy. ``command`` refuses any setup that would run MTTCG.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..errors import InputError
from . import initramfs
from .jobs import Job
from .report import Report, parse

QEMU = "qemu-system-aarch64"
ACCEL = "tcg,thread=single"
#: Kernel command line: console on the PL011, the probe as init, no boot chatter
#: between report lines, power off (not reboot) on panic.
APPEND = "console=ttyAMA0 rdinit=/init loglevel=1 panic=-1"
DEFAULT_MEMORY_MB = 2048
DEFAULT_TIMEOUT = 900.0


def qemu_binary() -> str | None:
    """The QEMU system emulator's path, or None when it is not installed."""
    return shutil.which(QEMU)


def check_single_threaded(args: list[str] | tuple[str, ...]) -> None:
    """InputError when extra QEMU ``args`` would enable multi-threaded TCG or more CPUs."""
    for i, arg in enumerate(args):
        value = args[i + 1] if i + 1 < len(args) else ""
        if arg in ("-accel", "--accel", "-smp", "--smp", "-machine", "-M") or "thread=" in arg:
            text = f"{arg} {value}"
            if "thread=multi" in text or arg in ("-accel", "--accel", "-smp", "--smp"):
                raise InputError(
                    f"refusing QEMU option {text.strip()!r}: measuring needs one CPU under "
                    "single-threaded TCG (multi-threaded TCG reports an LSE atomic's missing "
                    "page as a write fault, hiding the kernel's read-then-write double fault)")


def command(image: Path, initrd: Path, *, memory_mb: int = DEFAULT_MEMORY_MB,
            qemu: str = QEMU, extra_args: tuple[str, ...] = (), append: str = "") -> list[str]:
    """The QEMU command line booting ``image`` with ``initrd``; ``append`` adds
    kernel command-line parameters (e.g. a patched kernel's switch)."""
    check_single_threaded(extra_args)
    if any(c in append for c in "\r\n\0"):
        raise InputError("the extra kernel command line must be one line")
    return [qemu, "-M", "virt", "-cpu", "max", "-smp", "1", "-accel", ACCEL,
            "-m", str(memory_mb), "-nodefaults", "-display", "none", "-monitor", "none",
            "-serial", "stdio", "-no-reboot", "-kernel", str(image), "-initrd", str(initrd),
            "-append", f"{APPEND} {append}".strip(), *extra_args]


def boot(image: str | os.PathLike[str], jobs: list[Job], *, memory_mb: int = DEFAULT_MEMORY_MB,
         timeout: float = DEFAULT_TIMEOUT, qemu: str | None = None,
         extra_args: tuple[str, ...] = (), append: str = "",
         probe: bytes | None = None) -> Report:
    """Boot ``image`` once, run ``jobs`` in order, and return the parsed report.

    ``append``: extra kernel command-line parameters; ``extra_args``: extra
    QEMU options (none that would enable multi-threaded TCG).

    The report's ``console`` holds the whole console text and ``seconds`` the
    boot's wall time. InputError when QEMU or the image is missing, the boot
    times out, or the console holds no complete report.
    """
    image = Path(image)
    if not image.is_file():
        raise InputError(f"no kernel image at {image}")
    qemu = qemu or qemu_binary()
    if qemu is None:
        raise InputError(f"{QEMU} is not installed (Debian: apt-get install qemu-system-arm)")
    with tempfile.TemporaryDirectory(prefix="a64fault-measure-") as tmp:
        initrd = Path(tmp) / "initramfs.cpio"
        initrd.write_bytes(initramfs.build(jobs, probe))
        argv = command(image, initrd, memory_mb=memory_mb, qemu=qemu, extra_args=extra_args,
                       append=append)
        started = time.monotonic()
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            out = (expired.stdout or b"").decode(errors="replace")
            raise InputError(f"the QEMU boot of {image} did not finish within {timeout:.0f} s; "
                             f"console tail: {out.splitlines()[-3:]}") from None
        seconds = time.monotonic() - started
    console = done.stdout.decode(errors="replace")
    if done.returncode:
        err = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"{qemu} exited with status {done.returncode}: "
                         f"{err[-1] if err else 'no message'}")
    report = parse(console)
    return Report(report.system, report.runs, console=console, seconds=seconds,
                  command=tuple(argv))
