# SPDX-License-Identifier: GPL-2.0-only

TEST_GEN_PROGS := atomic_fault

include ../../lib.mk

$(OUTPUT)/atomic_fault: atomic_fault.c trampoline.S
