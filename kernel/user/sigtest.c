/*
 * sigtest: signal handlers that return. A SIGTERM handler counts its calls
 * and returns through the trampoline and sys_sigreturn, which must put the
 * interrupted context back exactly (the loop below keeps values in
 * registers across the signal). Then the default SIGINT action: the
 * process destroys itself (status 130). Prints SIGTEST PASS/FAIL lines.
 */
#include "kernel/user/lib/ulib.h"

static volatile int handled, last_sig;
static int failed;

static void on_term(int sig)
{
	handled++;
	last_sig = sig;
}

static void check(const char *what, long got, long want)
{
	printf("SIGTEST %s %s (%ld, want %ld)\n", got == want ? "PASS" : "FAIL", what, got, want);
	if (got != want)
		failed++;
}

int main(int argc, char **argv)
{
	long sum = 0;

	(void)argc;
	(void)argv;
	check("sigaction", signal(SIGTERM, on_term), 0);
	/* Signal ourselves mid-computation: delivered as kill() returns. */
	for (long i = 1; i <= 100; i++) {
		sum += i;
		if (i == 50)
			check("kill self", kill(getpid(), SIGTERM), 0);
	}
	check("handler ran once", handled, 1);
	check("handler got SIGTERM", last_sig, SIGTERM);
	check("registers survived", sum, 5050);
	kill(getpid(), SIGTERM);
	check("handler ran twice", handled, 2);
	check("sigreturn outside a handler", syscall6(SYS_sigreturn, 0, 0, 0, 0, 0, 0), -EINVAL);
	printf("SIGTEST DONE %d failed\n", failed);
	/* The default SIGINT action: destroy ourselves from our own core. */
	signal(SIGINT, NULL);
	kill(getpid(), SIGINT);
	printf("SIGTEST FAIL still alive after SIGINT\n");
	return 1;
}
