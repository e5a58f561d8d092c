// SPDX-License-Identifier: MIT
/*
 * /init for booting the patch's kselftest under QEMU: mount /proc, print the
 * switch's boot value, run /atomic_fault (TAP on the console), print its
 * exit status and power off. Built static by bench/kernel/build.py.
 */
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char value[16] = "absent";
	FILE *f;
	pid_t pid;
	int status = 0;

	mount("proc", "/proc", "proc", 0, NULL);
	f = fopen("/proc/sys/vm/atomic_write_fault", "r");
	if (f) {
		if (!fgets(value, sizeof(value), f))
			value[0] = 0;
		fclose(f);
	}
	printf("SELFTEST-SWITCH %s\n", value);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/atomic_fault", "atomic_fault", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	printf("SELFTEST-EXIT %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
