/*
 * kill [-SIG] PID [DELAY]: send SIG (default SIGTERM; -2 SIGINT, -9
 * SIGKILL) to PID, after DELAY timer ticks.
 */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	int sig = SIGTERM, i = 1, ret;

	if (argc > 1 && argv[1][0] == '-')
		sig = (int)atol(argv[i++] + 1);
	if (i >= argc) {
		printf("usage: kill [-SIG] PID [DELAY]\n");
		return 2;
	}
	int pid = (int)atol(argv[i]);
	if (i + 1 < argc)
		sleep_ticks((uint64_t)atol(argv[i + 1]));
	ret = kill(pid, sig);
	if (ret < 0) {
		printf("kill: %d: error %d\n", pid, ret);
		return 1;
	}
	printf("kill: sent signal %d to pid %d\n", sig, pid);
	return 0;
}
