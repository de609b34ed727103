/*
 * init: the first process. Spawns a child, waits for it, reports how it
 * ended; with arguments, runs that program instead (init shell).
 * When init and everything it started are gone, the kernel ends the run.
 */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	const char *prog = argc > 1 ? argv[1] : "hello";
	int status, pid, got;

	pid = spawn(prog, argc > 2 ? argv[2] : "from-init");
	if (pid < 0) {
		printf("init: spawn %s failed: %d\n", prog, pid);
		return 1;
	}
	printf("init: spawned %s as pid %d\n", prog, pid);
	got = waitpid(pid, &status);
	printf("init: reaped pid %d, status %d\n", got, status);
	return got == pid ? 0 : 1;
}
