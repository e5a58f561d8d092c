"""`a64fault log` parsers: every report format, read back field by field.

Each log below is written from the kernel's own format strings; the comment
above it names the kernel version and the files whose printk formats it
follows. Instruction words on ``Code:`` lines come from LLVM (tests/asm.py).
"""

from __future__ import annotations

import pytest

from a64fault.log import Resolver, explain, read_text
from a64fault.log.records import KERNEL, USER
from tests.asm import assemble

NO_FILES = Resolver()


def only(text: str):
    found = read_text(text)
    assert len(found.reports) == 1, found.reports
    return found.reports[0]


def explained(text: str, policy: str = "atomic"):
    return explain(only(text), NO_FILES, policy)


def code_line(*asm: str) -> str:
    """A dump_kernel_instr Code: line ("%08x " words, the last one "(%08x) ") of LLVM words."""
    words = assemble(*asm)
    return " ".join(f"{w:08x}" for w in words[:-1]) + f" ({words[-1]:08x}) "


# Linux 7.x (mainline): arch/arm64/mm/fault.c die_kernel_fault/mem_abort_decode/
# data_abort_decode (ESR 0x%016lx, EC/FSC lines, ISS2, TnD/TagAccess, GCS/Overlay line),
# traps.c __die ("Internal error: %s: %016lx [#%d]"), process.c __show_regs ("pc : %pS"),
# lib/dump_stack.c ("CPU: %d UID: %u PID: %d Comm: %.20s"), traps.c dump_kernel_instr.
def oops_7x(code: str) -> str:
    return f"""\
[  812.100001] Unable to handle kernel paging request at virtual address ffff00000bad0008
[  812.100002] Mem abort info:
[  812.100003]   ESR = 0x0000000096000047
[  812.100004]   EC = 0x25: DABT (current EL), IL = 32 bits
[  812.100005]   SET = 0, FnV = 0
[  812.100006]   EA = 0, S1PTW = 0
[  812.100007]   FSC = 0x07: level 3 translation fault
[  812.100008] Data abort info:
[  812.100009]   ISV = 0, ISS = 0x00000047, ISS2 = 0x00000000
[  812.100010]   CM = 0, WnR = 1, TnD = 0, TagAccess = 0
[  812.100011]   GCS = 0, Overlay = 0, DirtyBit = 0, Xs = 0
[  812.100012] swapper pgtable: 4k pages, 48-bit VAs, pgdp=0000000041a2d000
[  812.100013] [ffff00000bad0008] pgd=0000000000000000, p4d=0000000000000000
[  812.100014] Internal error: Oops: 0000000096000047 [#1] SMP
[  812.100015] Modules linked in: faulty(O)
[  812.100016] CPU: 3 UID: 0 PID: 4242 Comm: kworker/3:1 Tainted: G           O       7.0.0 #1
[  812.100017] Hardware name: linux,dummy-virt (DT)
[  812.100018] pstate: 60400005 (nZCv daif +PAN -UAO -TCO -DIT -SSBS BTYPE=--)
[  812.100019] pc : faulty_work+0x30/0x80 [faulty]
[  812.100020] lr : process_one_work+0x150/0x3a0
[  812.100021] sp : ffff80008263bd40
[  812.100022] Call trace:
[  812.100023]  faulty_work+0x30/0x80 [faulty] (P)
[  812.100024] Code: {code}
[  812.100025] ---[ end trace 0000000000000000 ]---
"""


def test_oops_7x_every_field():
    text = oops_7x(code_line("mov x1, #1", "add x0, x0, #8", "ldr x2, [x0]", "mov w3, #2",
                             "str x1, [x0]"))
    report = only(text)
    assert (report.kind, report.el, report.line, report.timestamp) == ("oops", KERNEL, 1,
                                                                      "812.100001")
    assert report.message == "paging request"
    assert report.far == 0xffff00000bad0008
    assert (report.cpu, report.pid, report.process) == (3, 4242, "kworker/3:1")
    assert (report.symbol, report.module, report.pc) == ("faulty_work+0x30/0x80", "faulty", None)
    assert report.esr == 0x96000047
    assert report.printed == {
        "ESR": 0x96000047, "EC": 0x25, "EC_name": "DABT (current EL)", "IL": 32,
        "SET": 0, "FnV": 0, "EA": 0, "S1PTW": 0, "FSC": 0x07,
        "FSC_name": "level 3 translation fault", "ISV": 0, "ISS": 0x47, "ISS2": 0,
        "CM": 0, "WnR": 1, "TnD": 0, "TagAccess": 0, "GCS": 0, "Overlay": 0, "DirtyBit": 0,
        "Xs": 0, "oops_code": 0x96000047,
    }
    assert not report.cut_off
    assert len(report.code) == 5 and report.word == report.code[-1]


def test_code_word_classified_with_its_decision():
    text = oops_7x(code_line("nop", "nop", "nop", "nop", "stadd w1, [x0]"))
    done = explained(text)
    assert done.lookup.source == "Code: line"
    assert done.text == "stadd w1, [x0]"
    assert done.classification.kind.value == "atomic-rmw"
    # The ESR says WnR=1: a write fault, never upgraded.
    assert (done.decision.reported, done.decision.effective, done.decision.upgraded) == (
        "write", "write", False)
    assert done.mismatches == []


def test_code_word_read_fault_from_el1_is_not_upgraded():
    text = oops_7x(code_line("nop", "nop", "nop", "nop", "ldadd w1, w2, [x0]"))
    text = text.replace("0x0000000096000047", "0x0000000096000007").replace(
        "0x00000047,", "0x00000007,").replace("WnR = 1", "WnR = 0").replace(
        "Oops: 0000000096000047", "Oops: 0000000096000007")
    done = explained(text)
    assert done.mismatches == []
    assert done.classification.kind.value == "atomic-rmw"
    assert done.decision.reported == "read" and not done.decision.upgraded
    assert "same EL" in done.decision.reason


# Linux 6.1 (Debian linux-source-6.1): arch/arm64/mm/fault.c mem_abort_decode (no ISS2,
# no TnD/GCS lines), data_abort_decode with ISV=1 ("Access size", "SSE/SRT", "SF/AR").
OOPS_61_ISV = """\
Unable to handle kernel write to read-only memory at virtual address ffff800008f1a000
Mem abort info:
  ESR = 0x0000000097c0804f
  EC = 0x25: DABT (current EL), IL = 32 bits
  SET = 0, FnV = 0
  EA = 0, S1PTW = 0
  FSC = 0x0f: level 3 permission fault
Data abort info:
  Access size = 8 byte(s)
  SSE = 0, SRT = 0
  SF = 1, AR = 0
  CM = 0, WnR = 1
swapper pgtable: 4k pages, 48-bit VAs, pgdp=0000000041a2d000
Internal error: Oops: 0000000097c0804f [#1] PREEMPT SMP
CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-13-arm64 #1  Debian 6.1.55-1
pc : test_rodata+0x14/0x40
"""


def test_oops_61_instruction_syndrome_fields():
    report = only(OOPS_61_ISV)
    assert report.printed["Access size"] == 8
    assert (report.printed["SSE"], report.printed["SRT"]) == (0, 0)
    assert (report.printed["SF"], report.printed["AR"]) == (1, 0)
    assert "ISV" not in report.printed
    assert report.cut_off  # no Code: line
    assert explain(report, NO_FILES, "atomic").mismatches == []


# Linux 4.19: arch/arm64/mm/fault.c mem_abort_decode ("ESR = 0x%08x", "Exception class = %s,
# IL = %u bits", no FSC line), die_kernel_fault ("at virtual address %016lx"),
# traps.c __die ("Internal error: %s: %x [#%d]"), process.c __show_regs 4.16+ ("pc : %pS").
def oops_419(code: str) -> str:
    return f"""\
<1>[   41.003000] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010
<1>[   41.003010] Mem abort info:
<1>[   41.003011]   ESR = 0x96000006
<1>[   41.003012]   Exception class = DABT (current EL), IL = 32 bits
<1>[   41.003013]   SET = 0, FnV = 0
<1>[   41.003014]   EA = 0, S1PTW = 0
<1>[   41.003015] Data abort info:
<1>[   41.003016]   ISV = 0, ISS = 0x00000006
<1>[   41.003017]   CM = 0, WnR = 0
<1>[   41.003018] user pgtable: 4k pages, 39-bit VAs, pgdp = 000000007d2f3c1a
<0>[   41.003020] Internal error: Oops: 96000006 [#1] PREEMPT SMP
<4>[   41.003021] CPU: 2 PID: 777 Comm: cat Not tainted 4.19.0 #1
<4>[   41.003022] pc : show_thing+0x1c/0x48
<4>[   41.003023] lr : dev_attr_show+0x24/0x60
<0>[   41.003030] Code: {code}
"""


def test_oops_419_exception_class_line():
    report = only(oops_419(code_line("nop", "nop", "nop", "nop", "ldr x0, [x0, #16]")))
    assert report.printed["EC_name"] == "DABT (current EL)" and "EC" not in report.printed
    assert report.printed["ESR"] == 0x96000006 and report.printed["oops_code"] == 0x96000006
    assert report.timestamp == "41.003000" and report.symbol == "show_thing+0x1c/0x48"
    done = explain(report, NO_FILES, "atomic")
    assert done.mismatches == [] and done.text == "ldr x0, [x0, #0x10]"


# Linux 3.18: arch/arm64/mm/fault.c __do_kernel_fault ("at virtual address %08lx", no
# mem abort decode; show_pte "pgd = %p"), traps.c __die ("Internal error: %s: %x [#%d]"),
# process.c __show_regs ("PC is at %s", "LR is at %s", "pc : [<%016llx>] lr : [<%016llx>]
# pstate: %08llx"), traps.c dump_instr ("Code: ").
def oops_318(code: str) -> str:
    return f"""\
Unable to handle kernel paging request at virtual address ffffffbffc000010
pgd = ffffffc07a1c7000
[ffffffbffc000010] *pgd=0000000000000000
Internal error: Oops: 96000005 [#1] PREEMPT SMP
Modules linked in:
CPU: 1 PID: 99 Comm: modprobe Not tainted 3.18.31 #1
task: ffffffc079a4c800 ti: ffffffc079b18000 task.ti: ffffffc079b18000
PC is at bad_read+0x10/0x20
LR is at do_one_initcall+0x8c/0x1a0
pc : [<ffffffc00008a1b0>] lr : [<ffffffc000082a2c>] pstate: 80000145
sp : ffffffc079b1bd70
Code: {code}
---[ end trace 1b75b31a2719ed1c ]---
"""


def test_oops_318_esr_from_internal_error_line():
    report = only(oops_318(code_line("nop", "nop", "nop", "nop", "ldr w1, [x0]")))
    assert report.esr == 0x96000005 and report.printed == {"oops_code": 0x96000005}
    assert report.pc == 0xffffffc00008a1b0 and report.symbol == "bad_read+0x10/0x20"
    assert (report.cpu, report.pid, report.process) == (1, 99, "modprobe")
    done = explain(report, NO_FILES, "atomic")
    assert done.syndrome.dfsc_name == "translation fault, level 1"
    assert done.decision.reported == "read"


# Linux 3.18: arch/arm64/mm/fault.c __do_user_fault
# ("%s[%d]: unhandled %s (%d) at 0x%08lx, esr 0x%03x"), then show_regs (3.18 __show_regs:
# "PC is at %s" printing a user address as 0x..., "pc : [<%016llx>] ...").
USER_318 = """\
[   77.512000] segv[1201]: unhandled level 2 translation fault (11) at 0x00000000, esr 0x92000006
[   77.512001] pgd = ffffffc0798f2000
[   77.512002] [00000000] *pgd=0000000000000000
[   77.512003]
[   77.512004] CPU: 0 PID: 1201 Comm: segv Not tainted 3.18.31 #1
[   77.512005] task: ffffffc07984e400 ti: ffffffc0799e4000 task.ti: ffffffc0799e4000
[   77.512006] PC is at 0x400578
[   77.512007] LR is at 0x400560
[   77.512008] pc : [<0000000000400578>] lr : [<0000000000400560>] pstate: 80000000
"""


def test_user_fault_318():
    report = only(USER_318)
    assert (report.kind, report.el, report.process, report.pid) == ("user", USER, "segv", 1201)
    assert report.far == 0 and report.esr == 0x92000006
    assert report.printed == {"FSC_name": "level 2 translation fault", "esr": 0x92000006}
    assert report.pc == 0x400578 and report.symbol is None
    assert not report.cut_off
    assert explain(report, NO_FILES, "atomic").mismatches == []


# Linux 4.x before 4.19: arch/arm64/mm/fault.c __do_user_fault with print_vma_addr(", in ")
# (mm/memory.c: "%s%pD[%lx+%lx]"), then __show_regs 4.16+ ("pc : %016llx" for user).
USER_4X = """\
atomics[300]: unhandled level 3 permission fault (11) at 0x0000ffffa0000000, esr 0x9200004f, \
in atomics[aaaad0000000+2000]
CPU: 1 PID: 300 Comm: atomics Not tainted 4.17.0 #2
pc : 0000aaaad0000740
"""


def test_user_fault_with_vma_4x():
    report = only(USER_4X)
    assert report.vma is not None and (report.vma.name, report.vma.start, report.vma.size) == (
        "atomics", 0xaaaad0000000, 0x2000)
    assert report.pc == 0xaaaad0000740 and report.far == 0xffffa0000000
    done = explain(report, NO_FILES, "atomic")
    assert done.mismatches == [] and done.syndrome.is_write_abort


# Linux 4.19-5.x: arch/arm64/kernel/traps.c arm64_show_signal ("%s[%d]: unhandled exception: ",
# "%s, ESR 0x%08x, ", "%s", print_vma_addr " in "), process.c __show_regs ("pc : %016llx").
USER_54 = """\
Jun 09 11:11:21 host kernel: pretouch[5120]: unhandled exception: DABT (lower EL), \
ESR 0x92000006, level 2 translation fault in pretouch[aaaab3f00000+1000]
Jun 09 11:11:21 host kernel: CPU: 0 PID: 5120 Comm: pretouch Not tainted 5.4.0-1 #1
Jun 09 11:11:21 host kernel: pstate: 80000000 (Nzcv daif -PAN -UAO)
Jun 09 11:11:21 host kernel: pc : 0000aaaab3f00188
"""

# Linux 6.1: the same with "ESR 0x%016lx" and an instruction abort.
USER_61_IABT = """\
[ 9.1] jumper[77]: unhandled exception: IABT (lower EL), ESR 0x0000000082000007, \
level 3 translation fault in libc.so.6[ffff9c2e0000+190000]
[ 9.2] CPU: 2 PID: 77 Comm: jumper Not tainted 6.1.0 #1
[ 9.3] pc : 0000ffff9c300000
"""


@pytest.mark.parametrize("text, esr, name, timestamp", [
    (USER_54, 0x92000006, "DABT (lower EL)", "Jun 09 11:11:21"),
    (USER_61_IABT, 0x82000007, "IABT (lower EL)", "9.1"),
])
def test_user_fault_new_format(text, esr, name, timestamp):
    report = only(text)
    assert (report.kind, report.el, report.esr, report.timestamp) == ("user", USER, esr,
                                                                      timestamp)
    assert report.printed["EC_name"] == name and report.printed["esr"] == esr
    assert report.printed["FSC_name"].endswith("translation fault")
    assert report.pc is not None and report.vma is not None
    assert explain(report, NO_FILES, "atomic").mismatches == []


def test_user_fault_instruction_abort_is_exec():
    done = explained(USER_61_IABT)
    assert done.syndrome.is_instruction_abort


# Linux 3.18: arch/arm64/mm/fault.c do_mem_abort ("Unhandled fault: %s (0x%08x) at
# 0x%016lx"), then die("", ...) for a kernel pc: traps.c "Internal error: %s: %x [#%d]".
UNHANDLED_318 = """\
Unhandled fault: alignment fault (0x96000021) at 0xffffffc000f0a001
Internal error: : 96000021 [#1] SMP
CPU: 0 PID: 0 Comm: swapper/0 Not tainted 3.18.31 #1
PC is at unaligned_thing+0x8/0x10
pc : [<ffffffc000090cd8>] lr : [<ffffffc000090cc0>] pstate: 600003c5
"""


def test_unhandled_fault_318():
    report = only(UNHANDLED_318)
    assert (report.kind, report.el, report.esr, report.far) == (
        "unhandled", KERNEL, 0x96000021, 0xffffffc000f0a001)
    assert report.printed == {"FSC_name": "alignment fault", "esr": 0x96000021,
                              "oops_code": 0x96000021}
    done = explain(report, NO_FILES, "atomic")
    assert done.mismatches == [] and done.syndrome.fault_type == "alignment"


# Linux 4.19: arch/arm64/mm/fault.c do_mem_abort for a kernel pc ("Unhandled fault at
# 0x%016lx", then mem_abort_decode).
UNHANDLED_419 = """\
Unhandled fault at 0xffff000008ce0000
Mem abort info:
  ESR = 0x96000210
  Exception class = DABT (current EL), IL = 32 bits
  SET = 0, FnV = 0
  EA = 1, S1PTW = 0
Data abort info:
  ISV = 0, ISS = 0x00000210
  CM = 0, WnR = 0
"""


def test_unhandled_fault_at_419():
    report = only(UNHANDLED_419)
    assert (report.kind, report.el, report.far, report.esr) == (
        "unhandled", KERNEL, 0xffff000008ce0000, 0x96000210)
    assert report.printed["EA"] == 1
    done = explain(report, NO_FILES, "atomic")
    assert done.mismatches == [] and done.syndrome.fault_type == "external"


@pytest.mark.parametrize("line, cpu, esr, name", [
    # Linux 3.18 traps.c bad_mode: "Bad mode in %s handler detected, code 0x%08x"
    ("Bad mode in Synchronous Abort handler detected, code 0x86000005", None, 0x86000005, None),
    # Linux 4.x traps.c bad_mode: "... detected, code 0x%08x -- %s"
    ("Bad mode in Synchronous Abort handler detected, code 0x86000005 -- IABT (current EL)",
     None, 0x86000005, "IABT (current EL)"),
    # Linux later 4.x-5.x traps.c bad_mode:
    # "Bad mode in %s handler detected on CPU%d, code 0x%08x -- %s"
    ("Bad mode in Error handler detected on CPU1, code 0xbf000000 -- SError", 1, 0xbf000000,
     "SError"),
])
def test_bad_mode(line, cpu, esr, name):
    report = only(f"[  3.000001] {line}\n[  3.000002] pc : el1_error+0x0/0x80\n")
    assert (report.kind, report.cpu, report.esr) == ("bad-mode", cpu, esr)
    assert report.printed.get("EC_name") == name
    assert report.symbol == "el1_error+0x0/0x80"
    assert explain(report, NO_FILES, "atomic").mismatches == []


@pytest.mark.parametrize("line, kind, cpu, esr, name", [
    # Linux 4.x-5.x traps.c arm64_serror_panic: "SError Interrupt on CPU%d, code 0x%08x -- %s"
    ("SError Interrupt on CPU2, code 0xbf000002 -- SError", "serror", 2, 0xbf000002, "SError"),
    # Linux 6.1 traps.c arm64_serror_panic: "... code 0x%016lx -- %s"
    ("SError Interrupt on CPU0, code 0x00000000be000011 -- SError", "serror", 0, 0xbe000011,
     "SError"),
    # Linux 6.1 entry-common.c __panic_unhandled:
    # "Unhandled %s exception on CPU%d, ESR 0x%016lx -- %s" (desc "64-bit el1t sync")
    ("Unhandled 64-bit el1t sync exception on CPU3, ESR 0x0000000096000050 -- DABT (current EL)",
     "unhandled-exception", 3, 0x96000050, "DABT (current EL)"),
])
def test_serror_and_unhandled_exception(line, kind, cpu, esr, name):
    report = only(line + "\n")
    assert (report.kind, report.cpu, report.esr, report.printed["EC_name"]) == (kind, cpu, esr,
                                                                                name)
    assert explain(report, NO_FILES, "atomic").mismatches == []


# Linux 6.1 traps.c panic_bad_stack: "Insufficient stack space to handle exception!",
# "ESR: 0x%016lx -- %s", "FAR: 0x%016lx", then __show_regs.
BAD_STACK_61 = """\
[  50.1] Insufficient stack space to handle exception!
[  50.1] ESR: 0x0000000096000047 -- DABT (current EL)
[  50.1] FAR: 0xffff80000a3bffe0
[  50.1] Task stack:     [0xffff80000a3c0000..0xffff80000a3c4000]
[  50.1] pc : recurse+0x14/0x40
"""


def test_kernel_stack_overflow():
    report = only(BAD_STACK_61)
    assert (report.kind, report.el, report.esr, report.far) == (
        "stack-overflow", KERNEL, 0x96000047, 0xffff80000a3bffe0)
    assert report.printed == {"esr": 0x96000047, "EC_name": "DABT (current EL)"}
    assert report.symbol == "recurse+0x14/0x40"
    assert explain(report, NO_FILES, "atomic").mismatches == []
