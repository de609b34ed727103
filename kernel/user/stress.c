/*
 * stress [N]: N spinners, each killed by its own killer with SIGINT,
 * SIGKILL or SIGTERM after 0..3 ticks; every third killer is itself
 * SIGKILLed while it sleeps (a WAITING process destroyed: its blocked
 * kthread must wake, give up and drop its ref), and then its spinner is
 * killed from here. Everything is reaped; the kernel's shutdown check
 * then finds no leaked process or kthread.
 */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	static const int sigs[3] = { SIGINT, SIGKILL, SIGTERM };
	int n = argc > 1 ? (int)atol(argv[1]) : 6, status, reaped = 0;
	char args[48];

	if (n > 14)
		n = 14; /* two processes each, within the kernel's slots */
	for (int i = 0; i < n; i++) {
		int v = spawn("spin", "quiet");
		if (v < 0) {
			printf("stress: spawn spin: %d\n", v);
			break;
		}
		if (i % 3 == 2) {
			/* A killer that sleeps long, killed in its sleep. */
			snprintf(args, sizeof(args), "-9 %d 1000", v);
			int k = spawn("kill", args);
			sleep_ticks(1);
			kill(k, SIGKILL);
			kill(v, SIGKILL);
			continue;
		}
		snprintf(args, sizeof(args), "-%d %d %d", sigs[i % 3], v, i % 4);
		spawn("kill", args);
	}
	while (waitpid(-1, &status) > 0)
		reaped++;
	printf("stress: reaped %d\n", reaped);
	return 0;
}
