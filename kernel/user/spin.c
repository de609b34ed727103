/*
 * spin: a process that never stops on its own (the VMM's stand-in when
 * there is no guest): only a signal ends it. Prints a heartbeat now and
 * then so a console user sees it run.
 */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	volatile unsigned long n = 0;
	int quiet = argc > 1 && !strcmp(argv[1], "quiet");

	(void)argv;
	printf("spin: pid %d spinning\n", getpid());
	for (;;) {
		if (++n % 50000000 == 0 && !quiet)
			printf("spin: pid %d still spinning\n", getpid());
	}
}
