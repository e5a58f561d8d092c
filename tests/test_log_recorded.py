"""`a64fault log` on a real recording: Debian's 6.1.0-57-cloud-arm64 kernel booted under
QEMU (TCG, -cpu max), its serial console as captured (CRLF line ends, boot log, program
output and ftrace text interleaved), made by fixtures/logs/record.py: user faults,
a kprobe trace of handle_mm_fault, and four oopses from the modules of
fixtures/logs/oops/ (an atomic and a load near NULL, a jump to kmalloc'd memory,
a write to rodata).

The programs that faulted (fixtures/logs/faults, static, and faults-pie, static PIE)
are the ones recorded; their instructions are read from them, not assumed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from a64fault.decoder.elf import ElfImage
from a64fault.log import Resolver, count_by_pc, explain, explain_pcs, read_path, read_text
from a64fault.log.records import USER
from a64fault.log.resolve import read_maps

LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "logs"
CONSOLE = LOGS / "debian-6.1-qemu.txt"


@pytest.fixture(scope="module")
def found():
    return read_path(CONSOLE)


@pytest.fixture(scope="module")
def faults():
    with ElfImage(LOGS / "faults") as image:
        yield image


@pytest.fixture(scope="module")
def faults_pie():
    with ElfImage(LOGS / "faults-pie") as image:
        yield image


def user_reports(found):
    return [report for report in found.reports if report.kind == "user"]


def test_the_boot_log_holds_exactly_the_faults_made(found):
    # ~230 lines of real boot log, the programs' output and the trace: no false report.
    assert [(r.kind, r.process, r.esr) for r in found.reports] == [
        ("user", "faults", 0x92000046), ("user", "faults", 0x92000006),
        ("user", "faults", 0x92000021), ("user", "faults", 0x82000006),
        ("user", "faults-pie", 0x92000004),
        ("oops", "insmod", 0x96000006), ("oops", "insmod", 0x8600000f),
        ("oops", "insmod", 0x96000006), ("oops", "insmod", 0x9600004f)]
    for report in found.reports:
        assert report.pc is not None or report.symbol is not None
        assert report.cpu == 0 and not report.cut_off
        # Every field the kernel printed agrees with a64fault's decode of the ESR.
        assert explain(report, Resolver(), "atomic").mismatches == []
    for report in user_reports(found):
        assert report.el == USER and report.vma is not None


def test_recorded_oopses_every_printed_field(found):
    atomic = found.reports[5]
    assert atomic.message == "NULL pointer dereference" and atomic.far == 0x10
    assert (atomic.symbol, atomic.module) == ("oops_init+0x14/0x1000", "oops_atomic")
    assert atomic.printed == {
        "ESR": 0x96000006, "EC": 0x25, "EC_name": "DABT (current EL)", "IL": 32, "SET": 0,
        "FnV": 0, "EA": 0, "S1PTW": 0, "FSC": 6, "FSC_name": "level 2 translation fault",
        "ISV": 0, "ISS": 6, "CM": 0, "WnR": 0, "oops_code": 0x96000006}
    assert len(atomic.code) == 5 and atomic.word == atomic.code[-1]


def test_recorded_code_words_classified_with_their_decisions(found):
    atomic, jump, load, store = (explain(r, Resolver(), "atomic") for r in found.reports[5:])
    # The kernel's stadd to address 0x10 is reported as a read (WnR=0) at EL1: not upgraded.
    assert atomic.text == "stadd w0, [x1]" and atomic.classification.kind.value == "atomic-rmw"
    assert atomic.decision.reported == "read" and not atomic.decision.upgraded
    assert jump.syndrome.is_instruction_abort and jump.decision.reported == "exec"
    assert jump.report.message == "execute from non-executable memory"
    assert load.text == "ldr w0, [x0]" and load.decision.effective == "read"
    assert store.text == "str w2, [x1]" and store.decision.reported == "write"
    assert store.report.message == "write to read-only memory"
    assert store.syndrome.fault_type == "permission"


def test_the_atomic_fault_is_reported_as_a_read(found, faults):
    segv, atomic, unaligned, iabt, _ = user_reports(found)
    resolver = Resolver(faults)
    store = explain(segv, resolver, "atomic")
    assert store.text == "str w10, [x9]" and store.decision.reported == "write"
    for report in (atomic, unaligned):
        done = explain(report, resolver, "atomic")
        assert done.lookup.address == faults.address_of("stadd_zero")
        assert done.text == "stadd wzr, [x0]" and done.syndrome.wnr == 0
        assert done.decision.reported == "read" and done.decision.upgraded
    assert explain(unaligned, resolver, "atomic").syndrome.fault_type == "alignment"
    jump = explain(iabt, resolver, "atomic")
    assert jump.syndrome.is_instruction_abort and jump.lookup.word is None


def test_pie_fault_through_the_printed_mapping(found, faults_pie):
    done = explain(user_reports(found)[-1], Resolver(faults_pie), "atomic")
    assert faults_pie.elf_type == "ET_DYN"
    assert done.lookup.address == faults_pie.address_of("stadd_zero")
    assert done.text == "stadd wzr, [x0]" and done.decision.upgraded


def test_recorded_kprobe_records(found):
    records = found.records
    assert len(records) > 100 and {r.source for r in records} == {"kprobe"}
    assert {r.flags for r in records if r.process == "faults" and r.pc < 1 << 48} >= {
        0x254, 0x255, 0x354}


def test_recorded_pretouch_double_faults(found, faults):
    items = explain_pcs(count_by_pc(found.records), Resolver(faults))
    (stadd,) = [item for item in items if item.lookup.word is not None
                and item.classification.kind.value == "atomic-rmw"]
    count = stadd.count
    assert count.pc == faults.address_of("stadd_zero") and count.process == "faults"
    # 16 pages: each a read fault (0x254) then a write fault (0x255) at the same pc.
    assert (count.faults, count.reads, count.writes, count.double_faults) == (32, 16, 16, 16)
    assert stadd.spared == {"none": 0, "kernel-v5": 16, "atomic": 16, "atomic+exclusive": 16}
    # Other tasks' pcs are not looked up in --elf.
    assert all(item.lookup.word is None for item in items if item.count.process != "faults")


def test_recorded_kernel_mode_faults(found):
    kernel = [c for c in count_by_pc(found.records) if c.kernel]
    assert kernel and all(c.pc >= 1 << 48 or c.pc == 0 for c in kernel)


def test_recorded_pie_records_through_the_recorded_maps(found, faults_pie, tmp_path):
    lines = CONSOLE.read_text().replace("\r", "").splitlines()
    start = lines.index("=== /proc/PID/maps of faults-pie") + 1
    maps = tmp_path / "maps"
    maps.write_text("\n".join(line for line in lines[start:start + 7]) + "\n")
    resolver = Resolver(faults_pie, maps=read_maps(maps))
    items = [item for item in explain_pcs(count_by_pc(found.records), resolver)
             if item.count.process == "faults-pie" and item.lookup.word is not None]
    (stadd,) = [item for item in items if item.classification.kind.value == "atomic-rmw"]
    assert stadd.lookup.address == faults_pie.address_of("stadd_zero")
    assert (stadd.count.faults, stadd.count.double_faults) == (32, 16)


@pytest.mark.parametrize("index, module", [(5, "oops_atomic"), (7, "oops_null"), (8, "oops_ro")])
def test_module_at_sym_off_holds_the_code_word(found, index, module):
    # fixtures/logs/oops/*.ko are the recorded modules (debug info stripped): the word at
    # the printed sym+off must be the word the kernel printed in parentheses on Code:.
    report = found.reports[index]
    with ElfImage(LOGS / "oops" / f"{module}.ko") as image:
        lookup = Resolver(modules={module: image}).kernel(report.pc, report.symbol,
                                                          report.module)
        assert lookup.word == report.word and lookup.source == f"--module {module} at " \
            f"{report.symbol.split('/')[0]}"
        assert explain(report, Resolver(modules={module: image}), "atomic").notes == []


def test_a_code_word_the_module_does_not_hold_is_a_warning(found):
    with ElfImage(LOGS / "oops" / "oops_null.ko") as wrong:
        done = explain(found.reports[5], Resolver(modules={"oops_atomic": wrong}), "atomic")
    (note,) = done.notes
    assert note.startswith("warning: the Code: line's word b820003f is not the word")


def test_module_pc_without_the_module_says_which_to_give(found):
    done = explain(found.reports[5], Resolver(vmlinux=None), "atomic")
    assert done.lookup.source == "Code: line"
    assert "--module oops_atomic.ko" in Resolver().kernel(None, "oops_init+0x14/0x1000",
                                                          "oops_atomic").note


# fixtures/logs/debian-6.1-qemu-perf.txt: the same kernel and machine, the pretouch loop
# recorded through perf (record.py --perf): perf probe's handle_mm_fault probe, and the
# page-faults event with -c 1 -d, each printed by perf script (the latter twice: with
# -F ...,addr,... and with the default fields, which leave the data address out).
PERF = LOGS / "debian-6.1-qemu-perf.txt"


def perf_section(title: str) -> str:
    text = PERF.read_text().replace("\r", "")
    start = text.index(f"=== {title}")
    end = text.find("=== ", start + 4)
    return text[start:end if end >= 0 else len(text)]


@pytest.fixture(scope="module")
def stadd(faults):
    return faults.address_of("stadd_zero")


def test_recorded_perf_probe_records(faults, stadd):
    records = read_text(perf_section("perf script (probe:handle_mm_fault)")).records
    assert {r.source for r in records} == {"kprobe"} and len(records) == 34
    (item,) = [i for i in explain_pcs(count_by_pc(records), Resolver(faults)) if i.count.pc == stadd]
    count = item.count
    assert (count.faults, count.reads, count.writes, count.double_faults) == (32, 16, 16, 16)
    assert item.spared["atomic"] == 16 and item.text == "stadd wzr, [x0]"


def test_recorded_perf_page_faults_with_addresses(faults, stadd):
    records = read_text(perf_section("perf script -F")).records
    assert {r.source for r in records} == {"perf"} and len(records) == 34
    at_stadd = [r for r in records if r.pc == stadd]
    assert len(at_stadd) == 32 and all(r.address is not None for r in at_stadd)
    assert {(r.symbol, r.dso) for r in at_stadd} == {("stadd_zero+0x0", "/faults")}
    (item,) = [i for i in explain_pcs(count_by_pc(records), Resolver(faults)) if i.count.pc == stadd]
    assert (item.count.faults, item.count.unknown, item.count.double_faults) == (32, 32, 16)
    assert item.spared == {"none": 0, "kernel-v5": 16, "atomic": 16, "atomic+exclusive": 16}


def test_recorded_perf_default_fields_have_no_data_address(stadd):
    records = read_text(perf_section("perf script (default fields)")).records
    assert len(records) == 34 and all(r.address is None for r in records)
    (count,) = [c for c in count_by_pc(records) if c.pc == stadd]
    assert count.faults == 32 and count.double_faults == 0  # no address: no pairs claimed


# fixtures/logs/debian-7.2-qemu.txt: Debian's 7.2.13+deb14-arm64 (the Image measure's
# fetcher downloads) on the same machine, the same user faults and kprobe (no oops
# modules: they are built against 6.1's headers). 7.2 prints the mapping as
# "name[offset,start+size]" (mm/memory.c print_vma_addr: "%s%pD[%lx,%lx+%lx]", the pc's
# file offset first) and nothing for a pc outside every mapping; its CPU: line has UID:.
CONSOLE_72 = LOGS / "debian-7.2-qemu.txt"


@pytest.fixture(scope="module")
def found_72():
    return read_path(CONSOLE_72)


def test_recorded_72_user_faults(found_72, faults, faults_pie):
    segv, atomic, unaligned, iabt, pie = found_72.reports
    assert [r.esr for r in found_72.reports] == [0x92000046, 0x92000006, 0x92000021,
                                                  0x82000006, 0x92000004]
    for report in found_72.reports:
        assert explain(report, Resolver(), "atomic").mismatches == []
        assert (report.cpu, report.el) == (0, USER)
    assert iabt.vma is None and iabt.pc == 0x1000
    assert (atomic.vma.offset, atomic.vma.start) == (
        faults.address_of("stadd_zero") - 0x1010000, 0x1010000)
    for report, image in ((atomic, faults), (unaligned, faults), (pie, faults_pie)):
        done = explain(report, Resolver(image), "atomic")
        assert done.lookup.source.endswith("at the printed file offset")
        assert done.lookup.address == image.address_of("stadd_zero")
        assert done.text == "stadd wzr, [x0]" and done.decision.upgraded
    # The PIE's fault is not looked up in the other program.
    assert explain(pie, Resolver(faults), "atomic").lookup.word is None


def test_recorded_72_kprobe_flags_and_double_faults(found_72, faults, stadd):
    # 7.2 handles user faults under the per-VMA lock: FAULT_FLAG_VMA_LOCK (0x1000) is set.
    at_stadd = [r for r in found_72.records if r.pc == stadd and r.process == "faults"]
    assert [r.flags for r in at_stadd] == [0x1254, 0x1255] * 16
    (item,) = [i for i in explain_pcs(count_by_pc(found_72.records), Resolver(faults))
               if i.count.pc == stadd and i.count.process == "faults"]
    assert (item.count.double_faults, item.spared["atomic"]) == (16, 16)
