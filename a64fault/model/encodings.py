"""The instruction words the built-in workloads execute, as LLVM assembled them.

Data, not code: each word was produced once by assembling the text beside it
with LLVM (ziglang 0.17.1, `-target aarch64-linux-gnu`, first line
`.arch armv9.6-a+lse`) and reading .text with pyelftools.
tests/test_model_parts.py re-assembles every line and compares.
"""

#: asm text -> 32-bit instruction word (little-endian in memory).
WORDS = {
    "stadd wzr, [x0]": 0xB83F001F,        # OpenJDK Atomic::add(p, 0) with LSE (LDADD, Rt=ZR)
    "ldaddal w1, w2, [x0]": 0xB8E10002,
    "ldxr w8, [x0]": 0x885F7C08,          # the same without LSE: LDXR/ADD/STXR loop
    "add w8, w8, #0": 0x11000108,
    "stxr w9, w8, [x0]": 0x88097C08,
    "str xzr, [x0]": 0xF900001F,          # memset: one store per page
    "ldrb w8, [x0]": 0x39400008,          # QEMU's populate-read: one byte load per page
    "ldr x8, [x0]": 0xF9400008,
    "str x8, [x0]": 0xF9000008,
    "cas w1, w2, [x0]": 0x88A17C02,
    "swp w1, w2, [x0]": 0xB8218002,
    "dc civac, x0": 0xD50B7E20,
    "dc zva, x0": 0xD50B7420,
    "prfm pldl1keep, [x0]": 0xF9800000,
    "ldar x8, [x0]": 0xC8DFFC08,
    "stlr x8, [x0]": 0xC89FFC08,
}

