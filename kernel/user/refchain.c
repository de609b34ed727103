/*
 * refchain [int|kill|term] [DELAY] [VICTIM [ARG]]: the process-model half
 * of the abandon-core chain (steps 2-10 of labs/abandon-core/INSTRUCTOR.md,
 * without VMX when VICTIM is the default, spin).
 *
 * This process is P, the parent: it spawns V (`spin`, the VMM's stand-in)
 * and a killer, then blocks in waitpid(V), so that its kthread holds a ref
 * on P. The killer sends V SIGINT (V's own handler destroys V from V's
 * core: the ctrl-c path), SIGTERM (the same) or SIGKILL (the killer
 * destroys V from its own core).
 */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "int";
	const char *delay = argc > 2 ? argv[2] : "5";
	/* V: spin by default; the abandon_core lab passes its VMM. */
	const char *victim = argc > 3 ? argv[3] : "spin";
	const char *victim_args = argc > 4 ? argv[4] : (argc > 3 ? NULL : "quiet");
	int sig = !strcmp(how, "kill") ? SIGKILL : !strcmp(how, "term") ? SIGTERM : SIGINT;
	char args[48];
	int v, k, status = 0, got;

	v = spawn(victim, victim_args);
	if (v < 0) {
		printf("refchain: spawn %s: %d\n", victim, v);
		return 1;
	}
	snprintf(args, sizeof(args), "-%d %d %s", sig, v, delay);
	k = spawn("kill", args);
	if (k < 0) {
		printf("refchain: spawn kill: %d\n", k);
		return 1;
	}
	printf("refchain: P=%d V=%d killer=%d signal %d; P waits for V\n", getpid(), v, k, sig);
	got = waitpid(v, &status);
	printf("refchain: reaped V=%d status %d\n", got, status);
	waitpid(k, &status);
	printf("refchain: reaped killer, status %d\n", status);
	return got == v ? 0 : 1;
}
