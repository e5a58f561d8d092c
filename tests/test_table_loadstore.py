"""The ordinary load/store rows of the table (the "Ordinary loads and stores" section of a64.patterns).

Every word below was produced by LLVM's assembler (ziglang 0.17.1, ``.arch
armv9.6-a+lsui+rcpc3``) from the asm line next to it; keystone 0.9.2 gives the
same bytes for every base-ISA line it accepts. test_words_are_llvms and
test_keystone_agrees re-assemble them, so the cache cannot drift. The
expected form/kind/feature/size come from the Arm ARM pages, not from the
table: size is the bytes the instruction accesses (pairs twice the register).
"""

import struct

import pytest

from a64fault import Kind, classify
from tests.asm import assemble

LOAD, STORE, PREFETCH = Kind.LOAD, Kind.STORE, Kind.PREFETCH

# (asm, LLVM word, form, kind, feature, bytes accessed)
SAMPLE = [
    ('strb w1, [x2]', 0x39000041, 'STRB (immediate)', STORE, None, 1),
    ('strb w1, [x2], #-256', 0x38100441, 'STRB (immediate)', STORE, None, 1),
    ('strb w1, [x2, #-1]!', 0x381ffc41, 'STRB (immediate)', STORE, None, 1),
    ('strb w1, [x2, x3]', 0x38236841, 'STRB (register)', STORE, None, 1),
    ('sturb w1, [x2, #-256]', 0x38100041, 'STURB', STORE, None, 1),
    ('sttrb w1, [x2, #-256]', 0x38100841, 'STTRB', STORE, None, 1),
    ('ldrb w1, [x2]', 0x39400041, 'LDRB (immediate)', LOAD, None, 1),
    ('ldrb w1, [x2], #-256', 0x38500441, 'LDRB (immediate)', LOAD, None, 1),
    ('ldrb w1, [x2, #-1]!', 0x385ffc41, 'LDRB (immediate)', LOAD, None, 1),
    ('ldrb w1, [x2, x3]', 0x38636841, 'LDRB (register)', LOAD, None, 1),
    ('ldurb w1, [x2, #-256]', 0x38500041, 'LDURB', LOAD, None, 1),
    ('ldtrb w1, [x2, #-256]', 0x38500841, 'LDTRB', LOAD, None, 1),
    ('ldrsb w1, [x2]', 0x39c00041, 'LDRSB (immediate)', LOAD, None, 1),
    ('ldrsb w1, [x2], #-256', 0x38d00441, 'LDRSB (immediate)', LOAD, None, 1),
    ('ldrsb w1, [x2, #-1]!', 0x38dffc41, 'LDRSB (immediate)', LOAD, None, 1),
    ('ldrsb w1, [x2, x3]', 0x38e36841, 'LDRSB (register)', LOAD, None, 1),
    ('ldursb w1, [x2, #-256]', 0x38d00041, 'LDURSB', LOAD, None, 1),
    ('ldtrsb w1, [x2, #-256]', 0x38d00841, 'LDTRSB', LOAD, None, 1),
    ('ldrsb x1, [x2]', 0x39800041, 'LDRSB (immediate)', LOAD, None, 1),
    ('ldrsb x1, [x2], #-256', 0x38900441, 'LDRSB (immediate)', LOAD, None, 1),
    ('ldrsb x1, [x2, #-1]!', 0x389ffc41, 'LDRSB (immediate)', LOAD, None, 1),
    ('ldrsb x1, [x2, x3]', 0x38a36841, 'LDRSB (register)', LOAD, None, 1),
    ('ldursb x1, [x2, #-256]', 0x38900041, 'LDURSB', LOAD, None, 1),
    ('ldtrsb x1, [x2, #-256]', 0x38900841, 'LDTRSB', LOAD, None, 1),
    ('strh w1, [x2]', 0x79000041, 'STRH (immediate)', STORE, None, 2),
    ('strh w1, [x2], #-256', 0x78100441, 'STRH (immediate)', STORE, None, 2),
    ('strh w1, [x2, #-1]!', 0x781ffc41, 'STRH (immediate)', STORE, None, 2),
    ('strh w1, [x2, x3]', 0x78236841, 'STRH (register)', STORE, None, 2),
    ('sturh w1, [x2, #-256]', 0x78100041, 'STURH', STORE, None, 2),
    ('sttrh w1, [x2, #-256]', 0x78100841, 'STTRH', STORE, None, 2),
    ('ldrh w1, [x2]', 0x79400041, 'LDRH (immediate)', LOAD, None, 2),
    ('ldrh w1, [x2], #-256', 0x78500441, 'LDRH (immediate)', LOAD, None, 2),
    ('ldrh w1, [x2, #-1]!', 0x785ffc41, 'LDRH (immediate)', LOAD, None, 2),
    ('ldrh w1, [x2, x3]', 0x78636841, 'LDRH (register)', LOAD, None, 2),
    ('ldurh w1, [x2, #-256]', 0x78500041, 'LDURH', LOAD, None, 2),
    ('ldtrh w1, [x2, #-256]', 0x78500841, 'LDTRH', LOAD, None, 2),
    ('ldrsh w1, [x2]', 0x79c00041, 'LDRSH (immediate)', LOAD, None, 2),
    ('ldrsh w1, [x2], #-256', 0x78d00441, 'LDRSH (immediate)', LOAD, None, 2),
    ('ldrsh w1, [x2, #-1]!', 0x78dffc41, 'LDRSH (immediate)', LOAD, None, 2),
    ('ldrsh w1, [x2, x3]', 0x78e36841, 'LDRSH (register)', LOAD, None, 2),
    ('ldursh w1, [x2, #-256]', 0x78d00041, 'LDURSH', LOAD, None, 2),
    ('ldtrsh w1, [x2, #-256]', 0x78d00841, 'LDTRSH', LOAD, None, 2),
    ('ldrsh x1, [x2]', 0x79800041, 'LDRSH (immediate)', LOAD, None, 2),
    ('ldrsh x1, [x2], #-256', 0x78900441, 'LDRSH (immediate)', LOAD, None, 2),
    ('ldrsh x1, [x2, #-1]!', 0x789ffc41, 'LDRSH (immediate)', LOAD, None, 2),
    ('ldrsh x1, [x2, x3]', 0x78a36841, 'LDRSH (register)', LOAD, None, 2),
    ('ldursh x1, [x2, #-256]', 0x78900041, 'LDURSH', LOAD, None, 2),
    ('ldtrsh x1, [x2, #-256]', 0x78900841, 'LDTRSH', LOAD, None, 2),
    ('str w1, [x2]', 0xb9000041, 'STR (immediate)', STORE, None, 4),
    ('str w1, [x2], #-256', 0xb8100441, 'STR (immediate)', STORE, None, 4),
    ('str w1, [x2, #-1]!', 0xb81ffc41, 'STR (immediate)', STORE, None, 4),
    ('str w1, [x2, x3]', 0xb8236841, 'STR (register)', STORE, None, 4),
    ('stur w1, [x2, #-256]', 0xb8100041, 'STUR', STORE, None, 4),
    ('sttr w1, [x2, #-256]', 0xb8100841, 'STTR', STORE, None, 4),
    ('str x1, [x2]', 0xf9000041, 'STR (immediate)', STORE, None, 8),
    ('str x1, [x2], #-256', 0xf8100441, 'STR (immediate)', STORE, None, 8),
    ('str x1, [x2, #-1]!', 0xf81ffc41, 'STR (immediate)', STORE, None, 8),
    ('str x1, [x2, x3]', 0xf8236841, 'STR (register)', STORE, None, 8),
    ('stur x1, [x2, #-256]', 0xf8100041, 'STUR', STORE, None, 8),
    ('sttr x1, [x2, #-256]', 0xf8100841, 'STTR', STORE, None, 8),
    ('ldr w1, [x2]', 0xb9400041, 'LDR (immediate)', LOAD, None, 4),
    ('ldr w1, [x2], #-256', 0xb8500441, 'LDR (immediate)', LOAD, None, 4),
    ('ldr w1, [x2, #-1]!', 0xb85ffc41, 'LDR (immediate)', LOAD, None, 4),
    ('ldr w1, [x2, x3]', 0xb8636841, 'LDR (register)', LOAD, None, 4),
    ('ldur w1, [x2, #-256]', 0xb8500041, 'LDUR', LOAD, None, 4),
    ('ldtr w1, [x2, #-256]', 0xb8500841, 'LDTR', LOAD, None, 4),
    ('ldr x1, [x2]', 0xf9400041, 'LDR (immediate)', LOAD, None, 8),
    ('ldr x1, [x2], #-256', 0xf8500441, 'LDR (immediate)', LOAD, None, 8),
    ('ldr x1, [x2, #-1]!', 0xf85ffc41, 'LDR (immediate)', LOAD, None, 8),
    ('ldr x1, [x2, x3]', 0xf8636841, 'LDR (register)', LOAD, None, 8),
    ('ldur x1, [x2, #-256]', 0xf8500041, 'LDUR', LOAD, None, 8),
    ('ldtr x1, [x2, #-256]', 0xf8500841, 'LDTR', LOAD, None, 8),
    ('ldrsw x1, [x2]', 0xb9800041, 'LDRSW (immediate)', LOAD, None, 4),
    ('ldrsw x1, [x2], #-256', 0xb8900441, 'LDRSW (immediate)', LOAD, None, 4),
    ('ldrsw x1, [x2, #-1]!', 0xb89ffc41, 'LDRSW (immediate)', LOAD, None, 4),
    ('ldrsw x1, [x2, x3]', 0xb8a36841, 'LDRSW (register)', LOAD, None, 4),
    ('ldursw x1, [x2, #-256]', 0xb8900041, 'LDURSW', LOAD, None, 4),
    ('ldtrsw x1, [x2, #-256]', 0xb8900841, 'LDTRSW', LOAD, None, 4),
    ('ldr w1, #8', 0x18000041, 'LDR (literal)', LOAD, None, 4),
    ('ldr x1, #8', 0x58000041, 'LDR (literal)', LOAD, None, 8),
    ('ldrsw x1, #1048572', 0x987fffe1, 'LDRSW (literal)', LOAD, None, 4),
    ('prfm pldl1keep, #16', 0xd8000080, 'PRFM (literal)', PREFETCH, None, None),
    ('prfm #31, #-16', 0xd8ffff9f, 'PRFM (literal)', PREFETCH, None, None),
    ('ldr s1, #12', 0x1c000061, 'LDR (SIMD&FP, literal)', LOAD, None, 4),
    ('ldr d1, #12', 0x5c000061, 'LDR (SIMD&FP, literal)', LOAD, None, 8),
    ('ldr q1, #12', 0x9c000061, 'LDR (SIMD&FP, literal)', LOAD, None, 16),
    ('prfm pldl1keep, [x2]', 0xf9800040, 'PRFM (immediate)', PREFETCH, None, None),
    ('prfum pldl1keep, [x2, #-256]', 0xf8900040, 'PRFUM', PREFETCH, None, None),
    ('prfm #31, [x2]', 0xf980005f, 'PRFM (immediate)', PREFETCH, None, None),
    ('prfum #31, [x2, #-256]', 0xf890005f, 'PRFUM', PREFETCH, None, None),
    ('prfm pldl2strm, [x2, x3]', 0xf8a36843, 'PRFM (register)', PREFETCH, None, None),
    ('prfm #24, [sp, x3]', 0xf8a36bf8, 'RPRFM', PREFETCH, 'RPRFM', None),
    ('rprfm pldkeep, x3, [x2]', 0xf8a34858, 'RPRFM', PREFETCH, 'RPRFM', None),
    ('rprfm #63, x3, [x2]', 0xf8a3f85f, 'RPRFM', PREFETCH, 'RPRFM', None),
    ('str b1, [x2]', 0x3d000041, 'STR (SIMD&FP, immediate)', STORE, None, 1),
    ('str b1, [x2], #-256', 0x3c100441, 'STR (SIMD&FP, immediate)', STORE, None, 1),
    ('str b1, [x2, #-3]!', 0x3c1fdc41, 'STR (SIMD&FP, immediate)', STORE, None, 1),
    ('str b1, [x2, x3]', 0x3c236841, 'STR (SIMD&FP, register)', STORE, None, 1),
    ('stur b1, [x2, #-256]', 0x3c100041, 'STUR (SIMD&FP)', STORE, None, 1),
    ('ldr b1, [x2]', 0x3d400041, 'LDR (SIMD&FP, immediate)', LOAD, None, 1),
    ('ldr b1, [x2], #-256', 0x3c500441, 'LDR (SIMD&FP, immediate)', LOAD, None, 1),
    ('ldr b1, [x2, #-3]!', 0x3c5fdc41, 'LDR (SIMD&FP, immediate)', LOAD, None, 1),
    ('ldr b1, [x2, x3]', 0x3c636841, 'LDR (SIMD&FP, register)', LOAD, None, 1),
    ('ldur b1, [x2, #-256]', 0x3c500041, 'LDUR (SIMD&FP)', LOAD, None, 1),
    ('str h1, [x2]', 0x7d000041, 'STR (SIMD&FP, immediate)', STORE, None, 2),
    ('str h1, [x2], #-256', 0x7c100441, 'STR (SIMD&FP, immediate)', STORE, None, 2),
    ('str h1, [x2, #-3]!', 0x7c1fdc41, 'STR (SIMD&FP, immediate)', STORE, None, 2),
    ('str h1, [x2, x3]', 0x7c236841, 'STR (SIMD&FP, register)', STORE, None, 2),
    ('stur h1, [x2, #-256]', 0x7c100041, 'STUR (SIMD&FP)', STORE, None, 2),
    ('ldr h1, [x2]', 0x7d400041, 'LDR (SIMD&FP, immediate)', LOAD, None, 2),
    ('ldr h1, [x2], #-256', 0x7c500441, 'LDR (SIMD&FP, immediate)', LOAD, None, 2),
    ('ldr h1, [x2, #-3]!', 0x7c5fdc41, 'LDR (SIMD&FP, immediate)', LOAD, None, 2),
    ('ldr h1, [x2, x3]', 0x7c636841, 'LDR (SIMD&FP, register)', LOAD, None, 2),
    ('ldur h1, [x2, #-256]', 0x7c500041, 'LDUR (SIMD&FP)', LOAD, None, 2),
    ('str s1, [x2]', 0xbd000041, 'STR (SIMD&FP, immediate)', STORE, None, 4),
    ('str s1, [x2], #-256', 0xbc100441, 'STR (SIMD&FP, immediate)', STORE, None, 4),
    ('str s1, [x2, #-3]!', 0xbc1fdc41, 'STR (SIMD&FP, immediate)', STORE, None, 4),
    ('str s1, [x2, x3]', 0xbc236841, 'STR (SIMD&FP, register)', STORE, None, 4),
    ('stur s1, [x2, #-256]', 0xbc100041, 'STUR (SIMD&FP)', STORE, None, 4),
    ('ldr s1, [x2]', 0xbd400041, 'LDR (SIMD&FP, immediate)', LOAD, None, 4),
    ('ldr s1, [x2], #-256', 0xbc500441, 'LDR (SIMD&FP, immediate)', LOAD, None, 4),
    ('ldr s1, [x2, #-3]!', 0xbc5fdc41, 'LDR (SIMD&FP, immediate)', LOAD, None, 4),
    ('ldr s1, [x2, x3]', 0xbc636841, 'LDR (SIMD&FP, register)', LOAD, None, 4),
    ('ldur s1, [x2, #-256]', 0xbc500041, 'LDUR (SIMD&FP)', LOAD, None, 4),
    ('str d1, [x2]', 0xfd000041, 'STR (SIMD&FP, immediate)', STORE, None, 8),
    ('str d1, [x2], #-256', 0xfc100441, 'STR (SIMD&FP, immediate)', STORE, None, 8),
    ('str d1, [x2, #-3]!', 0xfc1fdc41, 'STR (SIMD&FP, immediate)', STORE, None, 8),
    ('str d1, [x2, x3]', 0xfc236841, 'STR (SIMD&FP, register)', STORE, None, 8),
    ('stur d1, [x2, #-256]', 0xfc100041, 'STUR (SIMD&FP)', STORE, None, 8),
    ('ldr d1, [x2]', 0xfd400041, 'LDR (SIMD&FP, immediate)', LOAD, None, 8),
    ('ldr d1, [x2], #-256', 0xfc500441, 'LDR (SIMD&FP, immediate)', LOAD, None, 8),
    ('ldr d1, [x2, #-3]!', 0xfc5fdc41, 'LDR (SIMD&FP, immediate)', LOAD, None, 8),
    ('ldr d1, [x2, x3]', 0xfc636841, 'LDR (SIMD&FP, register)', LOAD, None, 8),
    ('ldur d1, [x2, #-256]', 0xfc500041, 'LDUR (SIMD&FP)', LOAD, None, 8),
    ('str q1, [x2]', 0x3d800041, 'STR (SIMD&FP, immediate)', STORE, None, 16),
    ('str q1, [x2], #-256', 0x3c900441, 'STR (SIMD&FP, immediate)', STORE, None, 16),
    ('str q1, [x2, #-3]!', 0x3c9fdc41, 'STR (SIMD&FP, immediate)', STORE, None, 16),
    ('str q1, [x2, x3]', 0x3ca36841, 'STR (SIMD&FP, register)', STORE, None, 16),
    ('stur q1, [x2, #-256]', 0x3c900041, 'STUR (SIMD&FP)', STORE, None, 16),
    ('ldr q1, [x2]', 0x3dc00041, 'LDR (SIMD&FP, immediate)', LOAD, None, 16),
    ('ldr q1, [x2], #-256', 0x3cd00441, 'LDR (SIMD&FP, immediate)', LOAD, None, 16),
    ('ldr q1, [x2, #-3]!', 0x3cdfdc41, 'LDR (SIMD&FP, immediate)', LOAD, None, 16),
    ('ldr q1, [x2, x3]', 0x3ce36841, 'LDR (SIMD&FP, register)', LOAD, None, 16),
    ('ldur q1, [x2, #-256]', 0x3cd00041, 'LDUR (SIMD&FP)', LOAD, None, 16),
    ('stp w1, w2, [x3]', 0x29000861, 'STP', STORE, None, 8),
    ('stp w1, w2, [x3], #4', 0x28808861, 'STP', STORE, None, 8),
    ('stp w1, w2, [x3, #-8]!', 0x29bf0861, 'STP', STORE, None, 8),
    ('stnp w1, w2, [x3, #-256]', 0x28200861, 'STNP', STORE, None, 8),
    ('ldp w1, w2, [x3]', 0x29400861, 'LDP', LOAD, None, 8),
    ('ldp w1, w2, [x3], #4', 0x28c08861, 'LDP', LOAD, None, 8),
    ('ldp w1, w2, [x3, #-8]!', 0x29ff0861, 'LDP', LOAD, None, 8),
    ('ldnp w1, w2, [x3, #-256]', 0x28600861, 'LDNP', LOAD, None, 8),
    ('stp x1, x2, [x3]', 0xa9000861, 'STP', STORE, None, 16),
    ('stp x1, x2, [x3], #8', 0xa8808861, 'STP', STORE, None, 16),
    ('stp x1, x2, [x3, #-16]!', 0xa9bf0861, 'STP', STORE, None, 16),
    ('stnp x1, x2, [x3, #-512]', 0xa8200861, 'STNP', STORE, None, 16),
    ('ldp x1, x2, [x3]', 0xa9400861, 'LDP', LOAD, None, 16),
    ('ldp x1, x2, [x3], #8', 0xa8c08861, 'LDP', LOAD, None, 16),
    ('ldp x1, x2, [x3, #-16]!', 0xa9ff0861, 'LDP', LOAD, None, 16),
    ('ldnp x1, x2, [x3, #-512]', 0xa8600861, 'LDNP', LOAD, None, 16),
    ('ldpsw x1, x2, [x3, #-256]', 0x69600861, 'LDPSW', LOAD, None, 8),
    ('ldpsw x1, x2, [x3], #4', 0x68c08861, 'LDPSW', LOAD, None, 8),
    ('ldpsw x1, x2, [x3, #8]!', 0x69c10861, 'LDPSW', LOAD, None, 8),
    ('stp s1, s2, [x3, #-256]', 0x2d200861, 'STP (SIMD&FP)', STORE, None, 8),
    ('stp s1, s2, [x3], #4', 0x2c808861, 'STP (SIMD&FP)', STORE, None, 8),
    ('stp s1, s2, [x3, #-4]!', 0x2dbf8861, 'STP (SIMD&FP)', STORE, None, 8),
    ('stnp s1, s2, [x3, #4]', 0x2c008861, 'STNP (SIMD&FP)', STORE, None, 8),
    ('ldp s1, s2, [x3, #-256]', 0x2d600861, 'LDP (SIMD&FP)', LOAD, None, 8),
    ('ldp s1, s2, [x3], #4', 0x2cc08861, 'LDP (SIMD&FP)', LOAD, None, 8),
    ('ldp s1, s2, [x3, #-4]!', 0x2dff8861, 'LDP (SIMD&FP)', LOAD, None, 8),
    ('ldnp s1, s2, [x3, #4]', 0x2c408861, 'LDNP (SIMD&FP)', LOAD, None, 8),
    ('stp d1, d2, [x3, #-512]', 0x6d200861, 'STP (SIMD&FP)', STORE, None, 16),
    ('stp d1, d2, [x3], #8', 0x6c808861, 'STP (SIMD&FP)', STORE, None, 16),
    ('stp d1, d2, [x3, #-8]!', 0x6dbf8861, 'STP (SIMD&FP)', STORE, None, 16),
    ('stnp d1, d2, [x3, #8]', 0x6c008861, 'STNP (SIMD&FP)', STORE, None, 16),
    ('ldp d1, d2, [x3, #-512]', 0x6d600861, 'LDP (SIMD&FP)', LOAD, None, 16),
    ('ldp d1, d2, [x3], #8', 0x6cc08861, 'LDP (SIMD&FP)', LOAD, None, 16),
    ('ldp d1, d2, [x3, #-8]!', 0x6dff8861, 'LDP (SIMD&FP)', LOAD, None, 16),
    ('ldnp d1, d2, [x3, #8]', 0x6c408861, 'LDNP (SIMD&FP)', LOAD, None, 16),
    ('stp q1, q2, [x3, #-1024]', 0xad200861, 'STP (SIMD&FP)', STORE, None, 32),
    ('stp q1, q2, [x3], #16', 0xac808861, 'STP (SIMD&FP)', STORE, None, 32),
    ('stp q1, q2, [x3, #-16]!', 0xadbf8861, 'STP (SIMD&FP)', STORE, None, 32),
    ('stnp q1, q2, [x3, #16]', 0xac008861, 'STNP (SIMD&FP)', STORE, None, 32),
    ('ldp q1, q2, [x3, #-1024]', 0xad600861, 'LDP (SIMD&FP)', LOAD, None, 32),
    ('ldp q1, q2, [x3], #16', 0xacc08861, 'LDP (SIMD&FP)', LOAD, None, 32),
    ('ldp q1, q2, [x3, #-16]!', 0xadff8861, 'LDP (SIMD&FP)', LOAD, None, 32),
    ('ldnp q1, q2, [x3, #16]', 0xac408861, 'LDNP (SIMD&FP)', LOAD, None, 32),
    ('sttp x1, x2, [x3]', 0xe9000861, 'STTP', STORE, 'LSUI', 16),
    ('sttp x1, x2, [x3], #8', 0xe8808861, 'STTP', STORE, 'LSUI', 16),
    ('sttp x1, x2, [x3, #-16]!', 0xe9bf0861, 'STTP', STORE, 'LSUI', 16),
    ('sttnp x1, x2, [x3, #8]', 0xe8008861, 'STTNP', STORE, 'LSUI', 16),
    ('ldtp x1, x2, [x3]', 0xe9400861, 'LDTP', LOAD, 'LSUI', 16),
    ('ldtp x1, x2, [x3], #8', 0xe8c08861, 'LDTP', LOAD, 'LSUI', 16),
    ('ldtp x1, x2, [x3, #-16]!', 0xe9ff0861, 'LDTP', LOAD, 'LSUI', 16),
    ('ldtnp x1, x2, [x3, #8]', 0xe8408861, 'LDTNP', LOAD, 'LSUI', 16),
    ('sttp q1, q2, [x3]', 0xed000861, 'STTP (SIMD&FP)', STORE, 'LSUI', 32),
    ('sttp q1, q2, [x3], #16', 0xec808861, 'STTP (SIMD&FP)', STORE, 'LSUI', 32),
    ('sttp q1, q2, [x3, #-32]!', 0xedbf0861, 'STTP (SIMD&FP)', STORE, 'LSUI', 32),
    ('sttnp q1, q2, [x3, #16]', 0xec008861, 'STTNP (SIMD&FP)', STORE, 'LSUI', 32),
    ('ldtp q1, q2, [x3]', 0xed400861, 'LDTP (SIMD&FP)', LOAD, 'LSUI', 32),
    ('ldtp q1, q2, [x3], #16', 0xecc08861, 'LDTP (SIMD&FP)', LOAD, 'LSUI', 32),
    ('ldtp q1, q2, [x3, #-32]!', 0xedff0861, 'LDTP (SIMD&FP)', LOAD, 'LSUI', 32),
    ('ldtnp q1, q2, [x3, #16]', 0xec408861, 'LDTNP (SIMD&FP)', LOAD, 'LSUI', 32),
    ('ldraa x1, [x2]', 0xf8200441, 'LDRAA', LOAD, 'PAuth', 8),
    ('ldraa x1, [x2, #-8]!', 0xf87ffc41, 'LDRAA', LOAD, 'PAuth', 8),
    ('ldrab x1, [x2]', 0xf8a00441, 'LDRAB', LOAD, 'PAuth', 8),
    ('ldrab x1, [x2, #-8]!', 0xf8fffc41, 'LDRAB', LOAD, 'PAuth', 8),
    ('stlurb w1, [x2]', 0x19000041, 'STLURB', STORE, 'RCPC2', 1),
    ('ldapurb w1, [x2]', 0x19400041, 'LDAPURB', LOAD, 'RCPC2', 1),
    ('ldapursb w1, [x2]', 0x19c00041, 'LDAPURSB', LOAD, 'RCPC2', 1),
    ('ldapursb x1, [x2]', 0x19800041, 'LDAPURSB', LOAD, 'RCPC2', 1),
    ('stlurh w1, [x2]', 0x59000041, 'STLURH', STORE, 'RCPC2', 2),
    ('ldapurh w1, [x2]', 0x59400041, 'LDAPURH', LOAD, 'RCPC2', 2),
    ('ldapursh w1, [x2]', 0x59c00041, 'LDAPURSH', LOAD, 'RCPC2', 2),
    ('ldapursh x1, [x2]', 0x59800041, 'LDAPURSH', LOAD, 'RCPC2', 2),
    ('stlur w1, [x2]', 0x99000041, 'STLUR', STORE, 'RCPC2', 4),
    ('stlur x1, [x2]', 0xd9000041, 'STLUR', STORE, 'RCPC2', 8),
    ('ldapur w1, [x2]', 0x99400041, 'LDAPUR', LOAD, 'RCPC2', 4),
    ('ldapur x1, [x2]', 0xd9400041, 'LDAPUR', LOAD, 'RCPC2', 8),
    ('ldapursw x1, [x2]', 0x99800041, 'LDAPURSW', LOAD, 'RCPC2', 4),
    ('ldiapp w1, w2, [x3]', 0x99421861, 'LDIAPP', LOAD, 'RCPC3', 8),
    ('ldiapp w1, w2, [sp], #8', 0x99420be1, 'LDIAPP', LOAD, 'RCPC3', 8),
    ('stilp w1, w2, [x3]', 0x99021861, 'STILP', STORE, 'RCPC3', 8),
    ('stilp wzr, w2, [sp, #-8]!', 0x99020bff, 'STILP', STORE, 'RCPC3', 8),
    ('ldapr w1, [x2], #4', 0x99c00841, 'LDAPR (post-index)', LOAD, 'RCPC3', 4),
    ('stlr w1, [x2, #-4]!', 0x99800841, 'STLR (pre-index)', STORE, 'RCPC3', 4),
    ('ldiapp x1, x2, [x3]', 0xd9421861, 'LDIAPP', LOAD, 'RCPC3', 16),
    ('ldiapp x1, x2, [sp], #16', 0xd9420be1, 'LDIAPP', LOAD, 'RCPC3', 16),
    ('stilp x1, x2, [x3]', 0xd9021861, 'STILP', STORE, 'RCPC3', 16),
    ('stilp xzr, x2, [sp, #-16]!', 0xd9020bff, 'STILP', STORE, 'RCPC3', 16),
    ('ldapr x1, [x2], #8', 0xd9c00841, 'LDAPR (post-index)', LOAD, 'RCPC3', 8),
    ('stlr x1, [x2, #-8]!', 0xd9800841, 'STLR (pre-index)', STORE, 'RCPC3', 8),
    ('ldap1 {v1.d}[0], [x2]', 0x0d418441, 'LDAP1 (SIMD&FP)', LOAD, 'RCPC3', 8),
    ('stl1 {v31.d}[0], [sp]', 0x0d0187ff, 'STL1 (SIMD&FP)', STORE, 'RCPC3', 8),
    ('ldapur b1, [x2]', 0x1d400841, 'LDAPUR (SIMD&FP)', LOAD, 'RCPC3', 1),
    ('stlur b1, [x2]', 0x1d000841, 'STLUR (SIMD&FP)', STORE, 'RCPC3', 1),
    ('ldapur h1, [x2]', 0x5d400841, 'LDAPUR (SIMD&FP)', LOAD, 'RCPC3', 2),
    ('stlur h1, [x2]', 0x5d000841, 'STLUR (SIMD&FP)', STORE, 'RCPC3', 2),
    ('ldapur s1, [x2]', 0x9d400841, 'LDAPUR (SIMD&FP)', LOAD, 'RCPC3', 4),
    ('stlur s1, [x2]', 0x9d000841, 'STLUR (SIMD&FP)', STORE, 'RCPC3', 4),
    ('ldapur d1, [x2]', 0xdd400841, 'LDAPUR (SIMD&FP)', LOAD, 'RCPC3', 8),
    ('stlur d1, [x2]', 0xdd000841, 'STLUR (SIMD&FP)', STORE, 'RCPC3', 8),
    ('ldapur q1, [x2]', 0x1dc00841, 'LDAPUR (SIMD&FP)', LOAD, 'RCPC3', 16),
    ('stlur q1, [x2]', 0x1d800841, 'STLUR (SIMD&FP)', STORE, 'RCPC3', 16),
]
WORDS = {asm: word for asm, word, *_ in SAMPLE}


def with_bits(word, hi, lo, value):
    """word with bits hi..lo replaced by value (positions from the Arm ARM diagram)."""
    width = hi - lo + 1
    field = ((1 << width) - 1) << lo
    return (word & ~field) | (value << lo)


# UNALLOCATED (or UNDEFINED at decode) neighbours of allocated words: the
# base word from SAMPLE with one field changed. They must match no memory row.
UNALLOCATED = [
    ("LDR (SIMD&FP) size=01 opc=11", "ldr q1, [x2]", 31, 30, 0b01),
    ("LDR (SIMD&FP) size=11 opc=11", "ldr q1, [x2]", 31, 30, 0b11),
    ("size=10 opc=11 (unsigned offset)", "ldr w1, [x2]", 23, 22, 0b11),
    ("size=11 opc=10 pre-index", "ldr x1, [x2, #-1]!", 23, 22, 0b10),
    ("size=11 opc=11 post-index", "ldr x1, [x2], #-256", 23, 22, 0b11),
    ("size=10 opc=11 register offset", "ldrsw x1, [x2, x3]", 23, 22, 0b11),
    ("register offset option<1>=0", "ldr x1, [x2, x3]", 14, 14, 0),
    ("unprivileged with V=1", "ldtr w1, [x2, #-256]", 26, 26, 1),
    ("unprivileged size=11 opc=10", "ldtr x1, [x2, #-256]", 23, 22, 0b10),
    ("literal V=1 opc=11", "ldr q1, #12", 31, 30, 0b11),
    ("no-allocate pair opc=01 L=1", "ldnp w1, w2, [x3, #-256]", 31, 30, 0b01),
    ("no-allocate pair opc=01 L=0", "stnp w1, w2, [x3, #-256]", 31, 30, 0b01),
    ("LDRAA with V=1", "ldraa x1, [x2]", 26, 26, 1),
    ("LDRAA with size=10", "ldraa x1, [x2]", 31, 30, 0b10),
    ("RCPC2 size=11 opc=10", "ldapur x1, [x2]", 23, 22, 0b10),
    ("RCPC2 size=10 opc=11", "ldapursw x1, [x2]", 23, 22, 0b11),
    ("RCPC3 LDAPR post-index, bits 20:16 not 0", "ldapr x1, [x2], #8", 20, 16, 0b00001),
    ("RCPC3 LDIAPP opc2<3:1> not 000", "ldiapp x1, x2, [x3]", 15, 13, 0b001),
    ("LDAP1 bits 20:16 not 00001", "ldap1 {v1.d}[0], [x2]", 20, 16, 0b00011),
]


@pytest.mark.parametrize("asm, word, form, kind, feature, size", SAMPLE, ids=[s[0] for s in SAMPLE])
def test_sample_classifies(asm, word, form, kind, feature, size):
    c = classify(word)
    assert (c.form, c.kind, c.feature, c.size) == (form, kind, feature, size)
    assert c.writes is (kind is STORE)
    assert c.should_be_ok


def test_sample_covers_every_fixture_form():
    from fixtures.specs import loadstore

    assert {form for _, form, *_ in loadstore.cases()} == {s[2] for s in SAMPLE}


@pytest.mark.parametrize("what, base, hi, lo, value", UNALLOCATED, ids=[u[0] for u in UNALLOCATED])
def test_unallocated_neighbours_are_other(what, base, hi, lo, value):
    capstone = pytest.importorskip("capstone")
    word = with_bits(WORDS[base], hi, lo, value)
    assert word != WORDS[base]
    md = capstone.Cs(capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
    # Independent oracle: LLVM's decoder tables (Capstone 6) reject the word too.
    assert not list(md.disasm_lite(struct.pack("<I", word), 0)), what
    assert classify(word).kind is Kind.OTHER, what


def test_words_are_llvms():
    """The cached words above are what LLVM assembles today (one run)."""
    assert assemble(*[asm for asm, *_ in SAMPLE]) == [word for _, word, *_ in SAMPLE]


def test_keystone_agrees():
    keystone = pytest.importorskip("keystone")
    ks = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)
    agreed = 0
    for asm, word, *_ in SAMPLE:
        try:
            encoding, _ = ks.asm(asm, 0)
        except keystone.KsError:
            continue  # keystone knows Armv8.0 only
        assert bytes(encoding) == struct.pack("<I", word), asm
        agreed += 1
    assert agreed >= 150
