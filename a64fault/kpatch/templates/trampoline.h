/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef TRAMPOLINE_H
#define TRAMPOLINE_H

#include <stdint.h>

/* x0-x29 = page, then branch to code[0] (the word under test) */
void run_insn(void *page, uint32_t *code);
/* A ret instruction, copied after the word under test */
extern const uint32_t ret_insn[];

#endif
