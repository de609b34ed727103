/*
 * shell: an interactive shell on the serial console.
 *
 *   PROG [ARGS...]      run a program in the foreground; ctrl-c sends it
 *                       SIGINT (its handler destroys it from its own core)
 *   PROG [ARGS...] &    run it in the background
 *   kill -9 PID         (a program) SIGKILL: destroyed from the sender's core
 *   ps, cores           (programs) processes with refcounts; per-core state
 *   help, exit
 */
#include "kernel/user/lib/ulib.h"

#define LINE_MAX 128

static int read_line(char *buf, int n)
{
	int len = 0;
	char c;

	for (;;) {
		long r = read(&c, 1);
		if (r < 0)
			return (int)r;
		if (r == 0)
			continue;
		if (c == '\r' || c == '\n') {
			write("\n", 1);
			buf[len] = 0;
			return len;
		}
		if ((c == 0x7f || c == '\b') && len > 0) {
			len--;
			write("\b \b", 3);
			continue;
		}
		if (c >= ' ' && len < n - 1) {
			buf[len++] = c;
			write(&c, 1);
		}
	}
}

static void help(void)
{
	printf("commands: PROG [ARGS] [&], help, exit. ctrl-c: SIGINT to the foreground\n"
	       "          program (it destroys itself); kill -9 PID: SIGKILL (the sender\n"
	       "          destroys it). Programs: hello spin kill ps cores vmm vmmtest\n"
	       "          refchain family stress fault badsys execdemo init shell.\n");
}

static void run(char *line)
{
	char *prog = line, *args = NULL, *amp;
	int bg = 0, pid, status;

	amp = line + strlen(line);
	while (amp > line && amp[-1] == ' ')
		*--amp = 0;
	if (amp > line && amp[-1] == '&') {
		bg = 1;
		*--amp = 0;
	}
	for (char *c = line; *c; c++) {
		if (*c == ' ') {
			*c = 0;
			args = c + 1;
			break;
		}
	}
	pid = spawn(prog, args);
	if (pid < 0) {
		printf("shell: %s: %s\n", prog, pid == -ENOENT ? "no such program" : "cannot run");
		return;
	}
	if (bg) {
		printf("[%d] %s\n", pid, prog);
		return;
	}
	set_fg(pid);
	int got = waitpid(pid, &status);
	set_fg(0);
	if (got == pid && status >= 128)
		printf("[%d] killed by signal %d\n", pid, status - 128);
}

int main(int argc, char **argv)
{
	char line[LINE_MAX];
	int status;

	(void)argc;
	(void)argv;
	printf("tkern shell, pid %d. Type help.\n", getpid());
	for (;;) {
		/* Reap finished background jobs. */
		int z;
		while ((z = (int)syscall6(SYS_waitpid, -1, (long)&status, WNOHANG, 0, 0, 0)) > 0)
			printf("[%d] done, status %d\n", z, status);
		printf("$ ");
		if (read_line(line, sizeof(line)) < 0)
			continue;
		char *l = line;
		while (*l == ' ')
			l++;
		if (!*l)
			continue;
		if (!strcmp(l, "exit"))
			return 0;
		if (!strcmp(l, "help")) {
			help();
			continue;
		}
		run(l);
	}
}
