"""Speed of `a64fault log` on 100 MB of log, side by side with plain baselines.

Run from the repository root::

    python bench/bench_log.py            # 100 MB inputs, 3 runs each (about 1-2 minutes)
    python bench/bench_log.py --mb 20    # smaller inputs

Two inputs are generated into bench/_work/ (never committed), from a fixed seed:

* ``dmesg``: kernel log lines of many drivers behind dmesg time stamps, with a
  fault report every ~2000 lines (7.x and 4.19 oopses, old and new user fault
  lines, Unhandled fault, SError), the common case;
* ``kprobe``: nothing but kprobe handle_mm_fault records (every line is a
  record to read), the worst case.

Each is timed as the whole command (``a64fault log --summary FILE``, process
start included) against ``grep -c`` of one key phrase and a Python loop over
the file's lines that tests one substring, run alternately; a line gives the
median of each, as CPU seconds (user + system: what the work costs, steady on
a shared machine) and as wall seconds, and the ratios of the CPU times.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
SEED = 20261130

NOISE = [
    "usb 1-1: new high-speed USB device number {n} using xhci_hcd",
    "EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.",
    "systemd[1]: Started session-{n}.scope - Session {n} of User root.",
    "audit: type=1400 audit(1700000000.{n}:42): apparmor=\"STATUS\" operation=\"profile_load\"",
    "IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
    "virtio_net virtio1 enp0s1: renamed from eth0",
    "TCP: request_sock_TCP: Possible SYN flooding on port {n}. Sending cookies.",
    "nvme nvme0: 8/0/0 default/read/poll queues",
    "random: crng init done",
    "kvm [{n}]: vcpu{n}: unhandled sysreg access",   # contains 'nhandled ': a false candidate
    "hrtimer: interrupt took {n} ns",
    "perf: interrupt took too long ({n} > 2500), lowering kernel.perf_event_max_sample_rate",
]

REPORTS = [
    """Unable to handle kernel paging request at virtual address ffff00000bad0008
Mem abort info:
  ESR = 0x0000000096000047
  EC = 0x25: DABT (current EL), IL = 32 bits
  SET = 0, FnV = 0
  EA = 0, S1PTW = 0
  FSC = 0x07: level 3 translation fault
Data abort info:
  ISV = 0, ISS = 0x00000047, ISS2 = 0x00000000
  CM = 0, WnR = 1, TnD = 0, TagAccess = 0
  GCS = 0, Overlay = 0, DirtyBit = 0, Xs = 0
Internal error: Oops: 0000000096000047 [#1] SMP
CPU: 3 UID: 0 PID: 4242 Comm: kworker/3:1 Tainted: G           O       7.0.0 #1
pc : faulty_work+0x30/0x80 [faulty]
lr : process_one_work+0x150/0x3a0
Code: d2800021 91002000 f9400002 52800043 (f9000001)
---[ end trace 0000000000000000 ]---""",
    """Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010
Mem abort info:
  ESR = 0x96000006
  Exception class = DABT (current EL), IL = 32 bits
  SET = 0, FnV = 0
  EA = 0, S1PTW = 0
Data abort info:
  ISV = 0, ISS = 0x00000006
  CM = 0, WnR = 0
Internal error: Oops: 96000006 [#1] PREEMPT SMP
CPU: 2 PID: 777 Comm: cat Not tainted 4.19.0 #1
pc : show_thing+0x1c/0x48
Code: d503201f d503201f d503201f d503201f (f9400800)""",
    """segv[1201]: unhandled level 2 translation fault (11) at 0x00000000, esr 0x92000006
PC is at 0x400578
pc : [<0000000000400578>] lr : [<0000000000400560>] pstate: 80000000""",
    """pretouch[5120]: unhandled exception: DABT (lower EL), ESR 0x0000000092000007, \
level 3 translation fault in pretouch[aaaab3f00000+1000]
CPU: 0 PID: 5120 Comm: pretouch Not tainted 6.1.0 #1
pc : 0000aaaab3f00188""",
    "Unhandled fault: alignment fault (0x96000021) at 0xffffffc000f0a001",
    "SError Interrupt on CPU2, code 0x00000000bf000002 -- SError",
]


def make_dmesg(path: Path, size: int) -> int:
    """Write the dmesg-like input; return how many reports it holds."""
    rng = random.Random(SEED)
    written = reports = line = 0
    with open(path, "w") as out:
        while written < size:
            line += 1
            stamp = f"[{line / 1000:12.6f}] "
            if line % 2000 == 0:
                text = "".join(stamp + row + "\n" for row in
                               REPORTS[reports % len(REPORTS)].splitlines())
                reports += 1
            else:
                text = stamp + rng.choice(NOISE).format(n=rng.randrange(100000)) + "\n"
            out.write(text)
            written += len(text)
    return reports


def make_kprobe(path: Path, size: int) -> int:
    """Write the kprobe-only input; return how many records it holds."""
    written = records = 0
    with open(path, "w") as out:
        while written < size:
            flags = 0x1254 | (records & 1)
            text = (f"        pretouch-4242    [001] d....  {records / 1e5:.6f}: hmf: "
                    f"(handle_mm_fault+0x0/0x2e0) addr=0x{0xffff9b2f0000 + records // 2 * 4096:x} "
                    f"flags=0x{flags:x} pc=0x{0x1010188 + 4 * (records // 2 % 7):x}\n")
            out.write(text)
            written += len(text)
            records += 1
    return records


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


LOOP = ("import sys\nn = 0\nfor line in open(sys.argv[1], 'rb'):\n"
        "    if b'Unable to handle kernel' in line:\n        n += 1\nprint(n)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="input size in MB (default 100)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    a64fault = shutil.which("a64fault") or str(Path(sys.executable).parent / "a64fault")
    WORK.mkdir(exist_ok=True)
    size = args.mb * 1_000_000
    inputs = {"dmesg": WORK / f"dmesg-{args.mb}mb.txt", "kprobe": WORK / f"kprobe-{args.mb}mb.txt"}
    held = {"dmesg": make_dmesg(inputs["dmesg"], size),
            "kprobe": make_kprobe(inputs["kprobe"], size)}
    print(f"| input ({args.mb} MB) | a64fault log --summary: CPU s (wall s) | grep -c: CPU s "
          f"(wall s) | Python line loop: CPU s (wall s) | ratio to grep | ratio to loop |")
    print("|---|---|---|---|---|---|")
    for name, path in inputs.items():
        ours, grep, loop = [], [], []
        for _ in range(args.runs):
            ours.append(timed([a64fault, "log", "--summary", str(path)]))
            grep.append(timed(["grep", "-c", "Unable to handle kernel", str(path)]))
            loop.append(timed([sys.executable, "-c", LOOP, str(path)]))
        (ow, oc), (gw, gc), (lw, lc) = (
            (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
            for runs in (ours, grep, loop))
        print(f"| {name} ({held[name]} {'reports' if name == 'dmesg' else 'records'}) "
              f"| {oc:.2f} ({ow:.2f}) | {gc:.2f} ({gw:.2f}) | {lc:.2f} ({lw:.2f}) "
              f"| {oc / max(gc, 0.01):.0f}x | {oc / lc:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
