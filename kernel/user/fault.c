/*
 * fault [KIND...]: children that fault in user mode, one per KIND (null:
 * write through NULL; kernel: read a kernel address; ud2: invalid opcode;
 * div0: divide by zero; jump: jump into the kernel). Each is killed by the
 * kernel with the status a Unix shell would show; the kernel carries on.
 * Run as `fault` it forks every kind and reports; `fault child KIND` is
 * one child.
 *
 * `fault lstar=ADDR` (ADDR: the kernel's syscall_entry, from nm) also
 * jumps there itself, as a SYSCALL does on a hypervisor that forgets the
 * privilege change (kernel/arch/x86_64/syscall_arch.c): with a user return
 * address in RCX the kernel must finish it as the system call in RAX and
 * clear the IOPL asked for in R11 (kind lstar, status 0); with a kernel
 * address in RCX it must stay a page fault (kind lstar-kernel-rcx, 139).
 */
#include "kernel/user/lib/ulib.h"

static const char *const kinds[] = { "null", "kernel", "ud2", "div0", "jump" };
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

#define RFLAGS_IOPL3 0x3000ul

static unsigned long parse_hex(const char *s)
{
	unsigned long v = 0;

	if (s[0] == '0' && s[1] == 'x')
		s += 2;
	for (; *s; s++)
		v = v * 16 + (*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
	return v;
}

/* Enter the kernel at `entry` as a bare SYSCALL would leave us: RAX the
 * number, RCX where to return, R11 the flags to return with. */
static long forged_syscall(unsigned long entry, long nr, unsigned long rcx_kernel,
			   unsigned long *rflags_after)
{
	long ret;
	unsigned long flags;

	asm volatile("leaq 1f(%%rip), %%rcx\n\t"
		     "testq %[kr], %[kr]\n\t"
		     "cmovnzq %[kr], %%rcx\n\t"
		     "pushfq\n\t"
		     "popq %%r11\n\t"
		     "orq %[iopl], %%r11\n\t"
		     "jmpq *%[entry]\n"
		     "1:\tpushfq\n\t"
		     "popq %[flags]"
		     : "=a"(ret), [flags] "=r"(flags)
		     : "0"(nr), [entry] "r"(entry), [kr] "r"(rcx_kernel),
		       [iopl] "i"(RFLAGS_IOPL3)
		     : "rcx", "r11", "memory", "cc");
	*rflags_after = flags;
	return ret;
}

static int do_forged(const char *kind, unsigned long entry)
{
	unsigned long flags;
	long pid;

	if (!strcmp(kind, "lstar")) {
		pid = forged_syscall(entry, SYS_getpid, 0, &flags);
		printf("fault: lstar returned %ld (getpid %d), IOPL %lu\n",
		       pid, getpid(), (flags >> 12) & 3);
		return pid == getpid() && !(flags & RFLAGS_IOPL3) ? 0 : 1;
	}
	/* RCX a kernel address: no system call, the #PF kills us. */
	forged_syscall(entry, SYS_getpid, 0xffffffff80100000ul, &flags);
	return 0;
}

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

	if (argc > 3 && !strcmp(argv[1], "child"))
		return do_forged(argv[2], parse_hex(argv[3]));
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
	if (argc > 1 && !strncmp(argv[1], "lstar=", 6)) {
		static const char *const forged[] = { "lstar", "lstar-kernel-rcx" };
		for (unsigned i = 0; i < 2; i++) {
			char args[64];
			snprintf(args, sizeof(args), "child %s %s", forged[i], argv[1] + 6);
			int pid = spawn("fault", args);
			int got = waitpid(pid, &status);
			printf("fault: %s: pid %d status %d\n", forged[i], got, status);
			if (got != pid || status != (i ? 139 : 0))
				failed++;
		}
	}
	printf("fault: DONE %d failed\n", failed);
	return failed;
}
