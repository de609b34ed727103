/*
 * fault [KIND...]: children that fault in user mode, one per KIND (null:
 * write through NULL; kernel: read a kernel address; ud2: invalid opcode;
 * div0: divide by zero; jump: jump into the kernel). Each is killed by the
 * kernel with the status a Unix shell would show; the kernel carries on.
 * Run as `fault` it forks every kind and reports; `fault child KIND` is
 * one child.
 */
#include "kernel/user/lib/ulib.h"

static const char *const kinds[] = { "null", "kernel", "ud2", "div0", "jump" };
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void do_fault(const char *kind)
{
	volatile int zero = 0;

	if (!strcmp(kind, "null"))
		*(volatile int *)0 = 1;
	else if (!strcmp(kind, "kernel"))
		(void)*(volatile long *)0xffffffff80100000ul;
	else if (!strcmp(kind, "ud2"))
		asm volatile("ud2");
	else if (!strcmp(kind, "div0"))
		/* In asm: the compiler may rewrite 1 / x without a divide. */
		asm volatile("divl %2" : : "a"(1), "d"(0), "r"(zero));
	else if (!strcmp(kind, "jump"))
		((void (*)(void))0xffffffff80100000ul)();
}

int main(int argc, char **argv)
{
	int status, failed = 0;

	if (argc > 2 && !strcmp(argv[1], "child")) {
		do_fault(argv[2]);
		printf("fault: %s did not fault\n", argv[2]);
		return 0;
	}
	for (unsigned i = 0; i < NKINDS; i++) {
		char args[32];
		snprintf(args, sizeof(args), "child %s", kinds[i]);
		int pid = spawn("fault", args);
		int got = waitpid(pid, &status);
		printf("fault: %s: pid %d status %d\n", kinds[i], got, status);
		if (got != pid || status < 128)
			failed++;
	}
	printf("fault: DONE %d failed\n", failed);
	return failed;
}
