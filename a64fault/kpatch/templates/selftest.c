// SPDX-License-Identifier: GPL-2.0-only
/*
 * An atomic read-modify-write instruction on a fresh anonymous page takes
 * one page fault when vm.atomic_write_fault is 1 (its read fault is handled
 * as a write) and two when it is 0 or absent (the zero page, then copy on
 * write).  A plain load stays a read: the store after it faults again.
 * Instructions the CPU lacks (SIGILL) are skipped.  The instruction words
 * in @VECTORS@ come from the a64fault encoding corpus, built by assemblers.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../kselftest.h"
#include "@VECTORS@"
#include "trampoline.h"

#define SWITCH_PATH "/proc/sys/vm/atomic_write_fault"

static sigjmp_buf jump;
static uint32_t *code;
static long page_size;

static void on_signal(int sig)
{
	siglongjmp(jump, sig);
}

/* Page faults of one run of @insn on a fresh page; -1: SIGILL, -2: other signal */
static long count_faults(uint32_t insn, bool then_store)
{
	struct rusage before, after;
	char *page;
	int sig;

	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	/* a VMA of its own, and no huge page */
	madvise(page, page_size, MADV_NOHUGEPAGE);
	code[0] = insn;
	__builtin___clear_cache((char *)code, (char *)(code + 2));

	getrusage(RUSAGE_SELF, &before);
	sig = sigsetjmp(jump, 1);
	if (!sig) {
		run_insn(page, code);
		if (then_store)
			asm volatile("strb wzr, [%0]" : : "r" (page) : "memory");
	}
	getrusage(RUSAGE_SELF, &after);
	munmap(page, page_size);
	if (sig)
		return sig == SIGILL ? -1 : -2;
	return after.ru_minflt - before.ru_minflt;
}

static int read_switch(void)
{
	FILE *f = fopen(SWITCH_PATH, "r");
	int value = 0;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &value) != 1)
		value = -1;
	fclose(f);
	return value;
}

static bool write_switch(int value)
{
	FILE *f = fopen(SWITCH_PATH, "w");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%d\n", value) > 0;
	return fclose(f) == 0 && ok;
}

/* Whether two assembly texts start with the same mnemonic */
static bool same_mnemonic(const char *a, const char *b)
{
	size_t len = strcspn(a, " ");

	return len == strcspn(b, " ") && !strncmp(a, b, len);
}

/* One test per mnemonic: each of its words takes the expected faults */
static void check_mnemonics(bool atomic, long expected, const char *setting)
{
	unsigned int i, j;

	for (i = 0; i < A64FAULT_INSNS_COUNT; i = j) {
		const struct a64fault_insn *first = &a64fault_insns[i];
		int len = strcspn(first->asm_text, " ");
		unsigned int ran = 0, bad = 0;

		for (j = i; j < A64FAULT_INSNS_COUNT &&
		     same_mnemonic(a64fault_insns[j].asm_text, first->asm_text);
		     j++) {
			const struct a64fault_insn *t = &a64fault_insns[j];
			long faults;

			if (t->atomic_rmw != atomic)
				continue;
			faults = count_faults(t->insn, !atomic);
			if (faults == -1)
				continue;
			ran++;
			if (faults != expected) {
				bad++;
				ksft_print_msg("%s: %08x %s: %ld faults, expected %ld\n",
					       setting, t->insn, t->asm_text,
					       faults, expected);
			}
		}
		if (first->atomic_rmw != atomic)
			continue;
		if (!ran)
			ksft_test_result_skip("%s %.*s: not implemented by this CPU\n",
					      setting, len, first->asm_text);
		else
			ksft_test_result(!bad, "%s %.*s (%u words)\n",
					 setting, len, first->asm_text, ran);
	}
}

static unsigned int count_mnemonics(void)
{
	unsigned int i, mnemonics = 1;

	for (i = 1; i < A64FAULT_INSNS_COUNT; i++)
		if (!same_mnemonic(a64fault_insns[i].asm_text,
				   a64fault_insns[i - 1].asm_text))
			mnemonics++;
	return mnemonics;
}

static void check_setting(int value)
{
	char setting[32];

	snprintf(setting, sizeof(setting), "atomic_write_fault=%d", value);
	check_mnemonics(true, value == 1 ? 1 : 2, setting);
	check_mnemonics(false, 2, setting);
}

int main(void)
{
	int initial = read_switch();
	bool both = initial >= 0 && geteuid() == 0;
	struct sigaction sa = { .sa_handler = on_signal };

	ksft_print_header();
	page_size = sysconf(_SC_PAGESIZE);
	code = mmap(NULL, page_size, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	code[1] = ret_insn[0];
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	count_faults(ret_insn[0], true);	/* touch the code and stack */

	ksft_set_plan(count_mnemonics() * (both ? 2 : 1));
	if (initial < 0)
		ksft_print_msg(SWITCH_PATH " absent: expecting two faults\n");
	if (both) {
		if (!write_switch(1) || !write_switch(0))
			ksft_exit_fail_msg("cannot write " SWITCH_PATH "\n");
		write_switch(1);
		check_setting(1);
		write_switch(0);
		check_setting(0);
		write_switch(initial);
	} else {
		check_setting(initial < 0 ? 0 : initial);
	}
	ksft_finished();
}
