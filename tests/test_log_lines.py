"""`a64fault log`: line prefixes, CRLF, ANSI colours, interleaving, cut-off blocks,
and one test per printed field (a changed value is caught as a mismatch)."""

from __future__ import annotations

import pytest

from a64fault.log import Resolver, explain, read_text
from a64fault.log.kernel_fields import PRINTED

# Linux 6.1 (Debian linux-source-6.1): arch/arm64/mm/fault.c die_kernel_fault,
# mem_abort_decode, data_abort_decode; kernel/traps.c __die; kernel/process.c __show_regs.
# (No Code: line: the block ends at the end-of-trace marker.)
OOPS_61 = [
    "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008",
    "Mem abort info:",
    "  ESR = 0x0000000096000006",
    "  EC = 0x25: DABT (current EL), IL = 32 bits",
    "  SET = 0, FnV = 0",
    "  EA = 0, S1PTW = 0",
    "  FSC = 0x06: level 2 translation fault",
    "Data abort info:",
    "  ISV = 0, ISS = 0x00000006",
    "  CM = 0, WnR = 0",
    "user pgtable: 4k pages, 48-bit VAs, pgdp=0000000043d8e000",
    "[0000000000000008] pgd=0800000043d9f003, p4d=0800000043d9f003, pud=0000000000000000",
    "Internal error: Oops: 0000000096000006 [#1] SMP",
    "CPU: 1 PID: 2001 Comm: bash Not tainted 6.1.0-13-arm64 #1  Debian 6.1.55-1",
    "pc : sysrq_handle_crash+0x24/0x30",
    "---[ end trace 0000000000000000 ]---",
]
EXPECTED_61 = {
    "ESR": 0x96000006, "EC": 0x25, "EC_name": "DABT (current EL)", "IL": 32, "SET": 0,
    "FnV": 0, "EA": 0, "S1PTW": 0, "FSC": 6, "FSC_name": "level 2 translation fault",
    "ISV": 0, "ISS": 6, "CM": 0, "WnR": 0, "oops_code": 0x96000006,
}


def check_61(report):
    assert report.printed == EXPECTED_61
    assert (report.cpu, report.pid, report.process) == (1, 2001, "bash")
    assert report.symbol == "sysrq_handle_crash+0x24/0x30"
    assert report.far == 8 and report.message == "NULL pointer dereference"


PREFIXES = {
    "none": "",
    "dmesg": "[  104.332168] ",
    "dmesg level": "<1>[  104.332168] ",
    "dmesg -T": "[Tue Jun  9 11:11:21 2026] ",
    "printk caller": "[  104.332168] [ T2001] ",
    "syslog": "Jun  9 11:11:21 host kernel: ",
    "journal iso": "2026-06-09T11:11:21.332168+00:00 host kernel: ",
    "journal bracket": "Jun 09 11:11:21 host kernel: [  104.332168] ",
    "vendor": "[  104.332168] [pid:2001,cpu1,bash]",
    "vendor cpu": "[  104.332168] <1>-(1)[2001:bash]",
    "serial console": "[    C1] ",
}


@pytest.mark.parametrize("prefix", PREFIXES.values(), ids=PREFIXES.keys())
def test_any_line_prefix(prefix):
    found = read_text("".join(prefix + line + "\n" for line in OOPS_61))
    assert len(found.reports) == 1
    report = found.reports[0]
    check_61(report)
    assert not report.cut_off


@pytest.mark.parametrize("prefix, timestamp", [
    ("[  104.332168] ", "104.332168"),
    ("[Tue Jun  9 11:11:21 2026] ", "Tue Jun  9 11:11:21 2026"),
    ("Jun  9 11:11:21 host kernel: ", "Jun  9 11:11:21"),
    ("2026-06-09T11:11:21.332168+00:00 host kernel: ", "2026-06-09T11:11:21.332168+00:00"),
    ("", None),
])
def test_time_stamp_from_prefix(prefix, timestamp):
    report = read_text("".join(prefix + line + "\n" for line in OOPS_61)).reports[0]
    assert report.timestamp == timestamp


@pytest.mark.parametrize("prefix, caller", [
    ("[ 1.0] [ T2001] ", "T2001"), ("[    C1] ", "C1"), ("[pid:2001,cpu1,bash]", "cpu1"),
    ("<1>-(1)[2001:bash]", "cpu1"), ("[ 1.0] ", None),
])
def test_printk_caller_from_prefix(prefix, caller):
    report = read_text("".join(prefix + line + "\n" for line in OOPS_61)).reports[0]
    assert report.caller == caller


def test_crlf_and_ansi_colours():
    red, bold, reset = "\x1b[31m", "\x1b[1m", "\x1b[0m"
    text = "".join(f"{red}[  1.0] {bold}{line}{reset}\r\n" for line in OOPS_61)
    check_61(read_text(text).reports[0])


def test_interleaved_with_other_drivers_lines():
    noise = ["usb 1-1: new high-speed USB device number 2 using xhci_hcd",
             "EXT4-fs (vda1): mounted filesystem with ordered data mode",
             "audit: type=1400 audit(1700000000.1:4): apparmor=\"STATUS\""]
    lines = []
    for index, line in enumerate(OOPS_61):
        lines += [line, noise[index % len(noise)]]
    found = read_text("\n".join(lines) + "\n")
    assert len(found.reports) == 1
    check_61(found.reports[0])


def test_two_cpus_interleaved_by_printk_caller():
    # printk caller ids (CONFIG_PRINTK_CALLER) tell the two oopses' lines apart.
    other = [line.replace("0000000096000006", "0000000096000045")
             .replace("0x00000006", "0x00000045").replace("0x06: level 2 translation",
                                                          "0x05: level 1 translation")
             .replace("WnR = 0", "WnR = 1").replace("PID: 2001 Comm: bash", "PID: 7 Comm: cc1")
             .replace("CPU: 1", "CPU: 0") for line in OOPS_61]
    lines = []
    for mine, theirs in zip(OOPS_61, other):
        lines += [f"[ 5.0] [ T2001] {mine}", f"[ 5.0] [    T7] {theirs}"]
    found = read_text("\n".join(lines) + "\n")
    assert len(found.reports) == 2
    first, second = found.reports
    check_61(first)
    assert second.esr == 0x96000045 and second.printed["WnR"] == 1
    assert (second.pid, second.process, second.cpu) == (7, "cc1", 0)
    resolver = Resolver()
    assert explain(first, resolver, "atomic").mismatches == []
    assert explain(second, resolver, "atomic").mismatches == []


def test_block_cut_off_is_still_reported():
    found = read_text("\n".join(OOPS_61[:4]) + "\n")
    report, = found.reports
    assert report.cut_off and report.esr == 0x96000006
    assert report.printed == {"ESR": 0x96000006, "EC": 0x25, "EC_name": "DABT (current EL)",
                              "IL": 32}


def test_block_whose_header_is_cut_off():
    found = read_text("\n".join(OOPS_61[2:]) + "\n")
    report, = found.reports
    assert report.esr == 0x96000006 and report.far is None and report.line == 1


def test_cut_off_block_followed_by_the_next_report():
    text = "\n".join(OOPS_61[:6] + OOPS_61) + "\n"
    first, second = read_text(text).reports
    assert first.cut_off and first.line == 1 and first.printed["SET"] == 0
    assert "FSC" not in first.printed
    assert not second.cut_off and second.line == 7
    check_61(second)


def test_repeated_field_without_header_starts_a_new_block():
    body = OOPS_61[1:10]
    first, second = read_text("\n".join(body + body) + "\n").reports
    assert first.printed == second.printed and second.line == len(body) + 1


def test_register_dump_without_a_fault_is_not_a_report():
    # A WARN() prints CPU:/pc : lines too (lib/dump_stack.c, process.c): no fault.
    text = "WARNING: CPU: 0 PID: 1 at kernel/foo.c:10 foo+0x10/0x20\n" \
           "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1\npc : foo+0x10/0x20\n"
    assert read_text(text).reports == []


def _flip(key, value):
    if isinstance(value, str):
        return value + " (changed)"
    return value + 1


@pytest.mark.parametrize("key", [k for k in EXPECTED_61])
def test_each_printed_field_is_compared(key):
    """Changing one printed value makes exactly that field a mismatch."""
    report = read_text("\n".join(OOPS_61) + "\n").reports[0]
    assert explain(report, Resolver(), "atomic").mismatches == []
    report.printed[key] = _flip(key, report.printed[key])
    if key in ("ESR",):  # the ESR itself changed: everything is compared with it
        report.esr = report.printed[key]
        report.printed["oops_code"] = report.esr
    mismatches = explain(report, Resolver(), "atomic").mismatches
    fields = {mismatch.field for mismatch in mismatches}
    assert key in fields or key == "ESR"
    if key != "ESR":
        assert fields == {key}
        assert str(mismatches[0]).startswith(f"kernel printed {PRINTED[key][0]} = ")


FIELDS_ISV_AND_ISS2 = {
    # Linux 6.13+ fault.c data_abort_decode, ISV = 1 and the ISS2 lines.
    "Access size": "  Access size = 4 byte(s)",
    "SSE": "  SSE = 1, SRT = 3",
    "SF": "  SF = 1, AR = 1",
    "TnD": "  CM = 0, WnR = 0, TnD = 1, TagAccess = 1",
    "GCS": "  GCS = 1, Overlay = 1, DirtyBit = 1, Xs = 5",
    "ISS2": "  ISV = 0, ISS = 0x00000006, ISS2 = 0x0000ffff",
}


@pytest.mark.parametrize("key, line", FIELDS_ISV_AND_ISS2.items())
def test_isv_and_iss2_field_lines_parse(key, line):
    report = read_text("Mem abort info:\n  ESR = 0x0000000096000006\n" + line + "\n").reports[0]
    assert key in report.printed
    # These values disagree with ESR 0x96000006 (ISV=0, ISS2=0): each one is flagged.
    assert any(m.field == key for m in explain(report, Resolver(), "atomic").mismatches)
