"""Round trip: for every EC and fault status code a64fault.esr knows, render the report
the way Linux 6.x/7.x prints it, read it back with `a64fault log`, compare.

The renderer below is written from the format strings of arch/arm64/mm/fault.c
(die_kernel_fault, mem_abort_decode, data_abort_decode as of 6.13+), traps.c
(__die, arm64_show_signal) and entry-common.c (__panic_unhandled); it takes
each field out of the ESR with the shifts and widths of
arch/arm64/include/asm/esr.h, not with a64fault's decoder, so the two
readings are compared, not one with itself.
"""

from __future__ import annotations

import pytest

from a64fault.esr import EC_NAMES, FAULT_STATUS_CODES, KERNEL_EC_NAMES, KERNEL_FAULT_NAMES
from a64fault.log import Resolver, explain, read_text

#: arch/arm64/include/asm/esr.h: field -> (shift, width) of ESR_ELx_*.
ESR_H = {
    "EC": (26, 6), "IL": (25, 1), "ISS": (0, 25), "ISS2": (32, 24), "ISV": (24, 1),
    "SAS": (22, 2), "SSE": (21, 1), "SRT": (16, 5), "SF": (15, 1), "AR": (14, 1),
    "SET": (11, 2), "FnV": (10, 1), "EA": (9, 1), "CM": (8, 1), "S1PTW": (7, 1),
    "WnR": (6, 1), "FSC": (0, 6),
    # ISS2 fields, as shifts within ESR bits [55:32]
    "TnD": (32 + 10, 1), "TagAccess": (32 + 9, 1), "GCS": (32 + 8, 1), "Overlay": (32 + 6, 1),
    "DirtyBit": (32 + 5, 1), "Xs": (32 + 0, 5),
}
ABORT_ECS = (0x20, 0x21, 0x24, 0x25)


def get(esr: int, name: str) -> int:
    shift, width = ESR_H[name]
    return (esr >> shift) & ((1 << width) - 1)


def put(name: str, value: int) -> int:
    shift, width = ESR_H[name]
    assert 0 <= value < 1 << width
    return value << shift


def class_string(esr: int) -> str:
    return KERNEL_EC_NAMES.get(get(esr, "EC"), "UNRECOGNIZED EC")


def render_oops(esr: int) -> str:
    """die_kernel_fault + mem_abort_decode + data_abort_decode + __die, 6.13+ formats."""
    lines = ["Unable to handle kernel paging request at virtual address ffff000012345678",
             "Mem abort info:",
             f"  ESR = 0x{esr:016x}",
             f"  EC = 0x{get(esr, 'EC'):02x}: {class_string(esr)}, "
             f"IL = {32 if get(esr, 'IL') else 16} bits",
             f"  SET = {get(esr, 'SET')}, FnV = {get(esr, 'FnV')}",
             f"  EA = {get(esr, 'EA')}, S1PTW = {get(esr, 'S1PTW')}",
             f"  FSC = 0x{get(esr, 'FSC'):02x}: {KERNEL_FAULT_NAMES[get(esr, 'FSC')]}"]
    if get(esr, "EC") in (0x24, 0x25):  # esr_is_data_abort()
        lines.append("Data abort info:")
        if get(esr, "ISV"):
            lines += [f"  Access size = {1 << get(esr, 'SAS')} byte(s)",
                      f"  SSE = {get(esr, 'SSE')}, SRT = {get(esr, 'SRT')}",
                      f"  SF = {get(esr, 'SF')}, AR = {get(esr, 'AR')}"]
        else:
            lines.append(f"  ISV = 0, ISS = 0x{get(esr, 'ISS'):08x}, "
                         f"ISS2 = 0x{get(esr, 'ISS2'):08x}")
        lines.append(f"  CM = {get(esr, 'CM')}, WnR = {get(esr, 'WnR')}, "
                     f"TnD = {get(esr, 'TnD')}, TagAccess = {get(esr, 'TagAccess')}")
        lines.append(f"  GCS = {get(esr, 'GCS')}, Overlay = {get(esr, 'Overlay')}, "
                     f"DirtyBit = {get(esr, 'DirtyBit')}, Xs = {get(esr, 'Xs')}")
    lines.append(f"Internal error: Oops: {esr:016x} [#1] SMP")
    return "".join(f"[  7.{i:06d}] {line}\n" for i, line in enumerate(lines))


def abort_esrs():
    """Every abort EC x every fault status code, the other ISS/ISS2 bits varied."""
    esrs = []
    for ec in ABORT_ECS:
        for index, code in enumerate(sorted(FAULT_STATUS_CODES)):
            esr = put("EC", ec) | put("IL", 1) | put("FSC", code)
            esr |= put("SET", index % 4) | put("FnV", index >> 2 & 1) | put("EA", index >> 3 & 1)
            esr |= put("S1PTW", index >> 4 & 1)
            if ec in (0x24, 0x25):
                esr |= put("WnR", index & 1) | put("CM", index >> 1 & 1)
                if index % 3 == 0:
                    esr |= put("ISV", 1) | put("SAS", index % 4) | put("SSE", index & 1)
                    esr |= put("SRT", index % 32) | put("SF", index >> 1 & 1)
                    esr |= put("AR", index >> 2 & 1)
                esr |= put("TnD", index & 1) | put("TagAccess", index >> 1 & 1)
                esr |= put("GCS", index >> 2 & 1) | put("Overlay", index >> 3 & 1)
                esr |= put("DirtyBit", index >> 4 & 1) | put("Xs", index % 32)
            esrs.append(esr)
    return esrs


def test_round_trip_every_abort_ec_and_fault_status_code():
    esrs = abort_esrs()
    text = "".join(render_oops(esr) for esr in esrs)
    found = read_text(text)
    assert [report.esr for report in found.reports] == esrs
    resolver = Resolver()
    for esr, report in zip(esrs, found.reports):
        # What was printed is read back exactly, field by field ...
        assert report.printed["FSC"] == get(esr, "FSC")
        assert report.printed["EC"] == get(esr, "EC")
        for name in ("SET", "FnV", "EA", "S1PTW"):
            assert report.printed[name] == get(esr, name), (hex(esr), name)
        if get(esr, "EC") in (0x24, 0x25):
            for name in ("CM", "WnR", "TnD", "TagAccess", "GCS", "Overlay", "DirtyBit", "Xs"):
                assert report.printed[name] == get(esr, name), (hex(esr), name)
            if get(esr, "ISV"):
                assert report.printed["Access size"] == 1 << get(esr, "SAS")
                assert report.printed["SRT"] == get(esr, "SRT")
            else:
                assert report.printed["ISS"] == get(esr, "ISS")
                assert report.printed["ISS2"] == get(esr, "ISS2")
        # ... and a64fault's decode agrees with the kernel's on every field.
        done = explain(report, resolver, "atomic")
        assert done.mismatches == [], (hex(esr), done.mismatches)
        assert done.syndrome.dfsc == get(esr, "FSC")
        assert done.syndrome.is_abort


@pytest.mark.parametrize("ec", sorted(EC_NAMES))
def test_round_trip_every_ec_in_one_line_reports(ec):
    esr = put("EC", ec) | put("IL", 1) | put("ISS", 0x2a)
    # traps.c arm64_show_signal (6.x) and entry-common.c __panic_unhandled (6.x).
    text = (f"prog[42]: unhandled exception: {class_string(esr)}, ESR 0x{esr:016x}, "
            f"Oops - whatever in prog[400000+1000]\n"
            f"Unhandled 64-bit el1h sync exception on CPU0, ESR 0x{esr:016x} -- "
            f"{class_string(esr)}\n")
    user, panic = read_text(text).reports
    for report in (user, panic):
        assert report.esr == esr and report.printed["EC_name"] == class_string(esr)
        assert explain(report, Resolver(), "atomic").mismatches == []


@pytest.mark.parametrize("code", sorted(KERNEL_FAULT_NAMES))
def test_round_trip_every_fault_name_in_the_old_user_line(code):
    esr = put("EC", 0x24) | put("IL", 1) | put("FSC", code)
    # fault.c __do_user_fault, 3.x-4.18: "%s[%d]: unhandled %s (%d) at 0x%08lx, esr 0x%03x"
    text = f"a.out[9]: unhandled {KERNEL_FAULT_NAMES[code]} (11) at 0x00001000, esr 0x{esr:03x}\n"
    report, = read_text(text).reports
    assert report.printed == {"FSC_name": KERNEL_FAULT_NAMES[code], "esr": esr}
    assert explain(report, Resolver(), "atomic").mismatches == []


def test_a_wrong_fault_name_is_a_mismatch():
    esr = put("EC", 0x24) | put("IL", 1) | put("FSC", 0x07)
    text = f"a.out[9]: unhandled level 2 translation fault (11) at 0x00001000, esr 0x{esr:03x}\n"
    report, = read_text(text).reports
    mismatch, = explain(report, Resolver(), "atomic").mismatches
    assert (mismatch.field, mismatch.printed, mismatch.decoded) == (
        "FSC_name", "level 2 translation fault", "level 3 translation fault")
