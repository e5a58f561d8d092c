/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * run_insn(page, code): set x0-x29 to page and branch to code, which holds
 * the instruction word under test and a copy of ret_insn.  The words under
 * test never name x30 or sp, so x30 still returns here.
 */

	.text
	.globl	run_insn
	.type	run_insn, %function
run_insn:
	stp	x29, x30, [sp, #-160]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x30, x1
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
	mov	x\n, x0
	.endr
	.irp	n, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
	mov	x\n, x0
	.endr
	blr	x30
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #160
	ret
	.size	run_insn, . - run_insn

	.globl	ret_insn
	.type	ret_insn, %object
ret_insn:
	ret
	.size	ret_insn, . - ret_insn
