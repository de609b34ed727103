/*
 * execdemo [PROG [ARG]]: exec with bad arguments (must fail and return
 * here), then replace itself with PROG (default hello) under the same pid.
 */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	const char *prog = argc > 1 ? argv[1] : "hello";
	const char *arg = argc > 2 ? argv[2] : "exec'd";
	int r;

	r = exec("no-such-program", NULL);
	printf("execdemo: exec no-such-program: %d\n", r);
	r = exec((const char *)0xffffffff80100000ul, NULL);
	printf("execdemo: exec kernel pointer: %d\n", r);
	printf("execdemo: pid %d becomes %s\n", getpid(), prog);
	r = exec(prog, arg);
	printf("execdemo: exec %s failed: %d\n", prog, r);
	return 1;
}
