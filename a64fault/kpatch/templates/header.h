/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef __ASM_INSN_ATOMIC_FAULT_H
#define __ASM_INSN_ATOMIC_FAULT_H

#include <linux/types.h>

@PREDICATE@
#endif /* __ASM_INSN_ATOMIC_FAULT_H */
