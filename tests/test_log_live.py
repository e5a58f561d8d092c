"""`a64fault log` on live fault records (kprobe on handle_mm_fault, perf page-faults) and
user pcs resolved through --elf: the per-instruction double-fault report.

The ELF is fixtures/elf/tiny-le (LLVM-built by fixtures/build_elves.py); its
``pretouch`` is ``stadd wzr, [x0]``, the pretouch loop the records describe:
each page takes a read fault (flags 0x1254) and then a write fault (0x1255,
FAULT_FLAG_WRITE) at the same pc, as measured on Debian's 7.2 kernel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from a64fault.decoder.elf import ElfImage
from a64fault.errors import InputError
from a64fault.log import Resolver, count_by_pc, explain, explain_pcs, read_text
from a64fault.log.resolve import read_maps

TINY = Path(__file__).resolve().parent.parent / "fixtures" / "elf" / "tiny-le"
PAGES = 16
DATA = 0xffff9b2f0000


@pytest.fixture(scope="module")
def elf():
    with ElfImage(TINY) as image:
        yield image


def kprobe_trace(pc: int, pages: int = PAGES) -> str:
    """ftrace text of the kprobe p:a64/hmf (kernel/trace/trace_output.c header,
    trace_kprobe.c print_kprobe_event: "%s: (" ip-sym ")" then " name=0x%llx" per arg)."""
    lines = ["# tracer: nop", "#", "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION"]
    time = 100.0
    for page in range(pages):
        for flags in (0x1254, 0x1255):
            time += 0.000013
            lines.append(f"         pretouch-4242    [001] d....  {time:.6f}: hmf: "
                         f"(handle_mm_fault+0x0/0x2e0) addr=0x{DATA + page * 4096:x} "
                         f"flags=0x{flags:x} pc=0x{pc:x}")
    return "\n".join(lines) + "\n"


def perf_script(pc: int, pages: int = PAGES) -> str:
    """`perf script` of `perf record -e page-faults -d` (tools/perf/builtin-script.c:
    comm tid [cpu] time: period event: addr sym (dso) ip sym+off (dso))."""
    lines = []
    time = 200.0
    for page in range(pages):
        for _ in range(2):
            time += 0.000021
            lines.append(f"        pretouch  4242 [001] {time:.6f}:          1 page-faults:u: "
                         f"     {DATA + page * 4096:x} [unknown] ([unknown])  "
                         f"         {pc:x} pretouch+0x0 ({TINY})")
    return "\n".join(lines) + "\n"


def test_kprobe_records_read(elf):
    pc = elf.address_of("pretouch")
    records = read_text(kprobe_trace(pc)).records
    assert len(records) == 2 * PAGES
    first = records[0]
    assert (first.source, first.process, first.pid, first.cpu) == ("kprobe", "pretouch", 4242, 1)
    assert (first.address, first.flags, first.pc) == (DATA, 0x1254, pc)
    assert records[1].flags == 0x1255


def test_kprobe_per_instruction_double_fault_report(elf):
    pc = elf.address_of("pretouch")
    counts = count_by_pc(read_text(kprobe_trace(pc)).records)
    (count,) = counts
    assert (count.faults, count.reads, count.writes, count.double_faults) == (32, 16, 16, 16)
    assert len(count.pages) == PAGES
    (item,) = explain_pcs(counts, Resolver(elf))
    assert item.lookup.word == elf.word_at(pc) and item.text == "stadd wzr, [x0]"
    assert item.classification.kind.value == "atomic-rmw"
    assert item.spared == {"none": 0, "kernel-v5": 16, "atomic": 16, "atomic+exclusive": 16}


def test_perf_records_pair_up_without_flags(elf):
    pc = elf.address_of("pretouch")
    records = read_text(perf_script(pc)).records
    assert len(records) == 2 * PAGES
    first = records[0]
    assert (first.source, first.address, first.pc, first.flags) == ("perf", DATA, pc, None)
    assert first.symbol == "pretouch+0x0" and first.dso == str(TINY)
    (count,) = count_by_pc(records)
    assert (count.faults, count.unknown, count.double_faults) == (32, 32, 16)


def test_load_fault_spares_nothing(elf):
    pc = elf.address_of("llsc_add")  # ldxr w1, [x0]
    (item,) = explain_pcs(count_by_pc(read_text(kprobe_trace(pc, 4)).records), Resolver(elf))
    assert item.classification.kind.value == "load-exclusive"
    assert item.spared == {"none": 0, "kernel-v5": 0, "atomic": 0, "atomic+exclusive": 4}


def test_write_faults_alone_are_not_double_faults():
    text = "".join(f"  w-1 [000] .... 1.{i:06d}: hmf: (handle_mm_fault+0x0/0x10) "
                   f"addr=0x{DATA + i * 4096:x} flags=0x1255 pc=0x400000\n" for i in range(3))
    (count,) = count_by_pc(read_text(text).records)
    assert (count.writes, count.double_faults) == (3, 0)


def test_base_and_maps_resolve_a_relocated_pc(elf, tmp_path):
    pc = elf.address_of("pretouch")
    bias = 0xaaaad0000000
    assert Resolver(elf, base=bias).user(pc + bias).word == elf.word_at(pc)
    name, vaddr, offset, size = elf.executable_ranges()[0]
    start = bias + vaddr // 4096 * 4096
    maps = tmp_path / "maps"
    maps.write_text(f"{start:x}-{start + 0x1000:x} r-xp {offset // 4096 * 4096:08x} fd:01 7 "
                    f"/opt/bin/tiny-le\nffffd0000000-ffffd0021000 rw-p 00000000 00:00 0 [stack]\n")
    lookup = Resolver(elf, maps=read_maps(maps)).user(pc - vaddr // 4096 * 4096 + start)
    assert (lookup.word, lookup.address) == (elf.word_at(pc), pc)


def test_user_fault_resolved_through_the_printed_mapping(elf):
    pc = elf.address_of("pretouch")
    # Linux 6.1 traps.c arm64_show_signal and process.c __show_regs ("pc : %016llx");
    # tiny-le is not position-independent: its pc is its ELF address.
    text = (f"tiny-le[4242]: unhandled exception: DABT (lower EL), ESR 0x0000000092000007, "
            f"level 3 translation fault in tiny-le[{pc // 4096 * 4096:x}+1000]\n"
            f"pc : {pc:016x}\n")
    done = explain(read_text(text).reports[0], Resolver(elf), "atomic")
    assert done.lookup.word == elf.word_at(pc) and done.text == "stadd wzr, [x0]"
    assert done.decision.upgraded and done.decision.effective == "write"
    assert explain(read_text(text).reports[0], Resolver(elf), "none").decision.upgraded is False


def test_pc_outside_the_printed_mapping_is_not_looked_up(elf):
    # print_vma_addr() names the first mapping ending above the pc (a jump to nowhere).
    text = ("tiny-le[7]: unhandled exception: IABT (lower EL), ESR 0x0000000082000006, "
            "level 2 translation fault in tiny-le[1000000+1000]\npc : 0000000000001000\n")
    done = explain(read_text(text).reports[0], Resolver(elf), "atomic")
    assert done.lookup.word is None and "outside the mapping" in done.lookup.note


def test_kernel_pc_needs_vmlinux_and_says_so():
    text = "Unable to handle kernel paging request at virtual address 0000000000001000\n" \
           "Internal error: Oops: 0000000096000005 [#1] SMP\npc : foo+0x4/0x10\n"
    done = explain(read_text(text).reports[0], Resolver(), "atomic")
    assert done.lookup.word is None and "--vmlinux" in done.lookup.note


def test_vmlinux_symbol_plus_offset(elf):
    # tiny-le stands in for a vmlinux: the pc is read at the printed sym+off.
    text = "Unable to handle kernel paging request at virtual address 0000000000001000\n" \
           "Internal error: Oops: 0000000096000005 [#1] SMP\npc : add_one+0x4/0x18\n"
    done = explain(read_text(text).reports[0], Resolver(vmlinux=elf), "atomic")
    assert done.text == "ldaddal w1, w2, [x0]"
    assert done.lookup.address == elf.address_of("add_one") + 4


def test_kernel_mode_records_are_kernel_pcs(elf):
    # handle_mm_fault flags without FAULT_FLAG_USER (0x40): the kernel touched user memory.
    text = "".join(f"  cat-9 [000] .... 1.{i:06d}: hmf: (handle_mm_fault+0x0/0x10) "
                   f"addr=0x{DATA:x} flags=0x{flags:x} pc=0xffff800008123450\n"
                   for i, flags in enumerate((0x1214, 0x1215)))
    (count,) = count_by_pc(read_text(text).records)
    assert count.kernel and count.double_faults == 1
    (item,) = explain_pcs([count], Resolver(elf))
    assert item.lookup.word is None and "--vmlinux" in item.lookup.note


def test_bad_maps_line(tmp_path):
    maps = tmp_path / "maps"
    maps.write_text("00400000-00401000 r-xp 00000000 fd:01 7 /bin/x\nnot a maps line\n")
    with pytest.raises(InputError, match=r"maps:2: not a /proc/PID/maps line"):
        read_maps(maps)


def test_signed_decimal_probe_values_are_the_register_bits():
    """A u64/s64 kprobe type prints decimal; s64 prints a kernel address negative."""
    found = read_text("x-1 [000] .... 1.0: hmf: (handle_mm_fault+0x0/0x1) "
                      "addr=18446744073709551608 flags=64 pc=-281474976710656\n")
    (record,) = found.records
    assert record.address == 0xFFFF_FFFF_FFFF_FFF8
    assert record.pc == 0xFFFF_0000_0000_0000 and record.flags == 64


@pytest.mark.parametrize("value", ["99999999999999999999", "-9223372036854775809"])
def test_probe_value_no_register_holds_is_not_a_record(value):
    found = read_text(f"x-1 [000] .... 1.0: hmf: (handle_mm_fault+0x0/0x1) addr=0x10 "
                      f"flags=0x40 pc={value}\n")
    assert found.records == []
