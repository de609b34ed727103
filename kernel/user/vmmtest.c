/*
 * vmmtest GUEST SIG TICKS: the VMM scenario for tests, demos and the
 * abandon_core lab. Spawns `vmm GUEST`, then:
 *
 *   SIG 2, 9, ...  waits TICKS timer ticks while the guest runs and sends SIG
 *                  itself (2 SIGINT: the VMM destroys itself from its
 *                  handler; 9 SIGKILL: this process destroys it from its
 *                  own core), then reaps it;
 *   SIG 0          sends nothing: waits for the VMM to end on its own;
 *   SIG ctrlc      makes the VMM the console's foreground and blocks in
 *                  waitpid at once: SIGINT comes from the console driver on
 *                  ctrl-c (typed, or `ctrlc=TICKS` on the kernel command
 *                  line), while the guest runs (the abandon-core lab);
 *   SIG kill9      spawns `kill -9 VMM TICKS` and blocks in waitpid at
 *                  once: another process destroys the VMM from its core.
 *
 * "While the guest runs": the wait starts once the VMM has settled, that
 * is, has run a tick outside the kernel (its user time, ps's TICKS: its
 * setup calls do not give it one) or has blocked in a system call (a
 * halting guest's VMM sleeps). A VMM whose kernel work is slow (a KVM
 * that emulates ring 0) would otherwise be signalled before its guest
 * ever ran.
 *
 * In every case it reports the VMM's status.
 *
 *   init=vmmtest initargs=spin,2,50
 *   init=vmmtest initargs=spin,ctrlc ctrlc=3     (the lab, SIGINT)
 *   init=vmmtest initargs=spin,kill9,3           (the lab, SIGKILL)
 */
#include "kernel/user/lib/ulib.h"

static void wait_until_settled(int pid)
{
	struct uproc_info info;

	while (procinfo_of(pid, &info) == 0 && info.user_ticks == 0 &&
	       info.blocked_calls == 0)
		sleep_ticks(1);
}

int main(int argc, char **argv)
{
	const char *guest = argc > 1 ? argv[1] : "spin";
	const char *how = argc > 2 ? argv[2] : "2";
	int sig = (int)atol(how);
	uint64_t ticks = argc > 3 ? (uint64_t)atol(argv[3]) : 50;
	int status = 0, pid, got, killer = -1;
	char args[48];

	pid = spawn("vmm", guest);
	if (pid < 0) {
		printf("vmmtest: spawn vmm failed: %d\n", pid);
		return 1;
	}
	if (!strcmp(how, "ctrlc")) {
		printf("vmmtest: vmm pid %d is the foreground: waiting for ctrl-c\n", pid);
		set_fg(pid);
	} else if (!strcmp(how, "kill9")) {
		wait_until_settled(pid);
		snprintf(args, sizeof(args), "-9 %d %lu", pid, (unsigned long)ticks);
		killer = spawn("kill", args);
		if (killer < 0)
			printf("vmmtest: spawn kill failed: %d\n", killer);
	} else if (sig) {
		wait_until_settled(pid);
		sleep_ticks(ticks);
		printf("vmmtest: sending signal %d to vmm pid %d\n", sig, pid);
		if (kill(pid, sig) < 0)
			printf("vmmtest: kill failed\n");
	}
	got = waitpid(pid, &status);
	printf("vmmtest: reaped vmm pid %d, status %d\n", got, status);
	if (killer > 0)
		waitpid(killer, &status);
	return got == pid ? 0 : 1;
}
