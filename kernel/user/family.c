/*
 * family [N]: N children, each of which spawns a grandchild and exits
 * without waiting for it (an orphan, which the kernel disowns), then the
 * parent reaps its children. Every process must end freed: the kernel's
 * shutdown check reports any slot still in use.
 */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)atol(argv[1]) : 3, status;

	if (argc > 1 && !strcmp(argv[1], "child")) {
		int g = spawn("hello", "grandchild");
		printf("family: child %d spawned grandchild %d, exits without waiting\n", getpid(), g);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		int pid = spawn("family", "child");
		if (pid < 0)
			printf("family: spawn failed: %d\n", pid);
	}
	for (;;) {
		int pid = waitpid(-1, &status);
		if (pid < 0)
			break;
		printf("family: reaped %d status %d\n", pid, status);
	}
	return 0;
}
