"""Semantic check: Unicorn (QEMU's CPU) executes each fixture on a read-only page.

Every general register (x29, x30 and sp included) points into a read-only
data region; a UC_MEM_WRITE_PROT / write hook records whether the single
instruction attempts a write. That observation must equal the corpus's
``writes`` (the Arm ARM's answer). CAS compares fail (memory holds 0x5a
bytes, registers hold the address), and must still attempt the write.
A store-exclusive needs an armed monitor, so it runs after a load-exclusive
of the same size (assembled by keystone). Unicorn cannot run everything:
each fixture it cannot run must be covered by a NOT_RUNNABLE entry with its
reason, and each entry must still cover something.

QEMU inside Unicorn aborts the whole process on a few encodings, so the
emulation runs in a child process (this file run as a script) that is
restarted after the fixture that killed it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

import pytest

CODE = 0x400000
DATA_SIZE = 0x200000  # read-only data from address 0: register-offset sums stay inside
ADDRESS = 0x10000  # every register's value: aligned for any access size
FILL = b"\x5a"

# ---------------------------------------------------------------- the worker


def _worker() -> None:
    """Read 'prefix word' hex pairs on stdin; print one JSON result per line."""
    from unicorn import (
        UC_ARCH_ARM64,
        UC_HOOK_MEM_READ,
        UC_HOOK_MEM_READ_UNMAPPED,
        UC_HOOK_MEM_WRITE,
        UC_HOOK_MEM_WRITE_PROT,
        UC_HOOK_MEM_WRITE_UNMAPPED,
        UC_MODE_ARM,
        UC_PROT_EXEC,
        UC_PROT_READ,
        Uc,
        UcError,
    )
    from unicorn import arm64_const as regs

    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_cpu_model(regs.UC_CPU_ARM64_MAX)
    uc.mem_map(0, DATA_SIZE, UC_PROT_READ)
    uc.mem_write(0, FILL * DATA_SIZE)
    uc.mem_map(CODE, 0x1000, UC_PROT_READ | UC_PROT_EXEC)
    events: list[str] = []

    def on_write(*_):
        events.append("w")
        return False

    def on_read(*_):
        events.append("r")

    def on_read_unmapped(*_):
        events.append("r")
        return False

    uc.hook_add(UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_WRITE_UNMAPPED, on_write)
    uc.hook_add(UC_HOOK_MEM_WRITE, on_write)
    uc.hook_add(UC_HOOK_MEM_READ, on_read)
    uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED, on_read_unmapped)
    gprs = [getattr(regs, f"UC_ARM64_REG_X{i}") for i in range(29)]
    gprs += [regs.UC_ARM64_REG_X29, regs.UC_ARM64_REG_X30, regs.UC_ARM64_REG_SP]

    def step(word: int) -> str | None:
        for reg in gprs:
            uc.reg_write(reg, ADDRESS)
        uc.mem_write(CODE, word.to_bytes(4, "little"))
        try:
            uc.emu_start(CODE, CODE + 4, count=1)
        except UcError as error:
            return str(error)
        return None

    for line in sys.stdin:
        prefix, word = (int(x, 16) for x in line.split())
        if prefix:
            step(prefix)  # arms the exclusive monitor; its events do not count
        events.clear()
        error = step(word)
        print(json.dumps({"events": "".join(events), "error": error}), flush=True)


# ---------------------------------------------------------------- the parent

#: Store-exclusive mnemonic -> the load-exclusive that arms the monitor for it
#: ({r} is the data register class of the store).
MONITOR_PREFIX = (
    (re.compile(r"st(l?)xrb$"), "ldxrb wzr, [sp]"),
    (re.compile(r"st(l?)xrh$"), "ldxrh wzr, [sp]"),
    (re.compile(r"st(l?)xr$"), "ldxr {r}zr, [sp]"),
    (re.compile(r"st(l?)xp$"), "ldxp {r}zr, {r}zr, [sp]"),
)


@dataclass(frozen=True)
class NotRunnable:
    """Fixtures Unicorn cannot run, and why: by feature (None = Armv8.0) and, optionally, kind."""

    name: str
    features: tuple
    reason: str
    kinds: tuple = ()

    def covers(self, fixture) -> bool:
        return fixture.feature in self.features and (not self.kinds or fixture.kind in self.kinds)


QEMU5 = ("Unicorn 2.1.4's CPU is QEMU 5.0's (about Armv8.5): it predates the feature, "
         "so the encoding is undefined there")
NOT_RUNNABLE = (
    NotRunnable("LSE128", ("LSE128",), QEMU5),
    NotRunnable("THE", ("THE",), QEMU5),
    NotRunnable("LSUI", ("LSUI",), QEMU5),
    NotRunnable("LSFE", ("LSFE",), QEMU5),
    NotRunnable("LS64", ("LS64",), QEMU5),
    NotRunnable("MOPS", ("MOPS",), QEMU5),
    NotRunnable("GCS", ("GCS",), QEMU5),
    NotRunnable("RCPC3", ("RCPC3",), QEMU5),
    NotRunnable("RME/MEC", ("RME", "MEC"), QEMU5 + " (DC CIPAPA/CIGDPAPA/CIPAE: EL3/EL2 ops)"),
    NotRunnable("OCCMO/PoPS", ("OCCMO", "PoPS"), QEMU5),
    NotRunnable("MTE", ("MTE", "MTE2", "MTETC"),
                "Unicorn's MAX CPU model does not enable MTE (QEMU 5.0 had no complete "
                "FEAT_MTE): tag loads/stores and DC G*VA are undefined"),
    NotRunnable("SVE/SME", ("SVE", "SVE2", "SVE2p1", "F64MM", "SME", "SME2", "SME2p1"),
                "SVE/SME are not enabled in Unicorn's CPU model (CPACR_EL1.ZEN writes do "
                "not take): every SVE/SME encoding is undefined"),
    NotRunnable("exception-generating and system", (None,),
                "not a memory access: BRK/SVC raise exceptions by design, SYS/SYSL/SYSP "
                "trap, and the MTE ALU ops (ADDG, SUBG, IRG, GMI, SUBP) are undefined "
                "without MTE", kinds=("other",)),
)


def _mnemonic(fixture) -> str:
    return fixture.asm.split()[0]


def _prefix_asm(fixture) -> str | None:
    if fixture.kind != "store-exclusive":
        return None
    mnemonic = _mnemonic(fixture)
    data_reg = fixture.asm.split(",")[1].strip()[0]  # st*xr ws, <R>t, [...]
    for pattern, prefix in MONITOR_PREFIX:
        if pattern.fullmatch(mnemonic):
            return prefix.format(r=data_reg)
    return None


def _assemble_prefixes(fixtures) -> dict[str, int]:
    from keystone import KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN, Ks

    ks = Ks(KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN)
    texts = {p for p in map(_prefix_asm, fixtures) if p}
    return {t: int.from_bytes(bytes(ks.asm(t, 0)[0]), "little") for t in texts}


def run_all(fixtures) -> list[dict]:
    """One result per fixture: {"events", "error"}, or {"aborted": True} if it killed QEMU."""
    prefixes = _assemble_prefixes(fixtures)
    jobs = [f"{prefixes.get(_prefix_asm(f), 0):08x} {f.word:08x}\n" for f in fixtures]
    results: list[dict] = []
    while len(results) < len(jobs):
        child = subprocess.run(
            [sys.executable, __file__, "--worker"], input="".join(jobs[len(results):]),
            capture_output=True, text=True, timeout=120,
        )
        results += [json.loads(line) for line in child.stdout.splitlines()]
        if len(results) < len(jobs):
            if child.returncode == 0:
                raise AssertionError(f"worker stopped early: {child.stderr[-500:]}")
            results.append({"aborted": True, "stderr": child.stderr.strip()[-200:]})
    return results


def outcome(result: dict) -> tuple[bool | None, str]:
    """(observed write, or None when not runnable; how it ended)."""
    if result.get("aborted"):
        return None, "aborts the process (QEMU abort inside Unicorn)"
    events, error = result["events"], result["error"]
    if error and "UC_ERR_EXCEPTION" in error and not events:
        return None, "raises a CPU exception before any memory access"
    return "w" in events, error or "completed"


@pytest.fixture(scope="module")
def observed():
    pytest.importorskip("unicorn")
    pytest.importorskip("keystone")
    from a64fault import corpus

    fixtures = corpus.load()
    return fixtures, [outcome(r) for r in run_all(fixtures)]


def test_observed_writes_equal_the_table(observed):
    fixtures, outcomes = observed
    wrong = [
        f"{f.area}: {f.asm!r} ({f.kind}): corpus writes={f.writes}, Unicorn wrote={seen} ({how})"
        for f, (seen, how) in zip(fixtures, outcomes)
        if seen is not None and seen != f.writes
    ]
    ran = sum(seen is not None for seen, _ in outcomes)
    print(f"\nUnicorn ran {ran} of {len(fixtures)} fixtures")
    assert not wrong, f"{len(wrong)} disagreements:\n" + "\n".join(wrong[:60])


def test_every_unrunnable_fixture_is_listed_with_a_reason(observed):
    fixtures, outcomes = observed
    unlisted, covered = [], Counter()
    for f, (seen, how) in zip(fixtures, outcomes):
        if seen is not None:
            continue
        entry = next((e for e in NOT_RUNNABLE if e.covers(f)), None)
        if entry is None:
            unlisted.append(f"{f.area}: {f.asm!r} [{f.feature}] {how}")
        else:
            covered[entry.name] += 1
    summary = ", ".join(f"{name} {n}" for name, n in covered.items())
    print(f"\nnot runnable: {sum(covered.values())} ({summary})")
    assert not unlisted, (f"{len(unlisted)} fixtures Unicorn cannot run are not in NOT_RUNNABLE:\n"
                          + "\n".join(unlisted[:60]))
    stale = [e.name for e in NOT_RUNNABLE if not covered[e.name]]
    assert not stale, f"NOT_RUNNABLE entries that cover nothing now (Unicorn runs them?): {stale}"


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    _worker()
