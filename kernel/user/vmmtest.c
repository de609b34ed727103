/*
 * vmmtest GUEST SIG TICKS: the VMM scenario for tests and demos. Spawns
 * `vmm GUEST`, waits TICKS timer ticks while the guest runs, sends SIG
 * (2 SIGINT: the VMM destroys itself from its handler; 9 SIGKILL: this
 * process destroys it from its own core; 0: none, wait for the VMM to end
 * on its own), then reaps it and reports its status.
 *
 *   init=vmmtest initargs=spin,2,50
 */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	const char *guest = argc > 1 ? argv[1] : "spin";
	int sig = argc > 2 ? (int)atol(argv[2]) : SIGINT;
	uint64_t ticks = argc > 3 ? (uint64_t)atol(argv[3]) : 50;
	int status = 0, pid, got;

	pid = spawn("vmm", guest);
	if (pid < 0) {
		printf("vmmtest: spawn vmm failed: %d\n", pid);
		return 1;
	}
	if (sig) {
		sleep_ticks(ticks);
		printf("vmmtest: sending signal %d to vmm pid %d\n", sig, pid);
		if (kill(pid, sig) < 0)
			printf("vmmtest: kill failed\n");
	}
	got = waitpid(pid, &status);
	printf("vmmtest: reaped vmm pid %d, status %d\n", got, status);
	return got == pid ? 0 : 1;
}
