/* ps: every process slot in use, with its refcount and its user time
 * (TICKS: timer ticks that found it in user space or its guest). */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	struct uproc_info info;

	(void)argc;
	(void)argv;
	printf("  PID  PPID STATE       CORE REFS  TICKS NAME\n");
	for (int i = 0; i < 64; i++) {
		int r = procinfo(i, &info);
		if (r == -EINVAL)
			break;
		if (r < 0)
			continue;
		printf("%5d %5d %-11s %4d %4ld %6lu %s\n", info.pid, info.ppid, info.state_name,
		       info.core, (long)info.refcnt, (unsigned long)info.user_ticks, info.name);
	}
	return 0;
}
