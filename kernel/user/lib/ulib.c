/*
 * ulib.c: system call wrappers, program start-up, strings.
 */
#include "kernel/user/lib/ulib.h"

#define MAX_ARGS 16

void __sig_trampoline(void);

long syscall6(long num, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long ret;
	register long r10 asm("r10") = a3;
	register long r8 asm("r8") = a4;
	register long r9 asm("r9") = a5;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(num), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
		     : "memory", "rcx", "r11");
	return ret;
}

#define SC0(n) syscall6(n, 0, 0, 0, 0, 0, 0)
#define SC1(n, a) syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define SC2(n, a, b) syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define SC3(n, a, b, c) syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

int getpid(void) { return (int)SC0(SYS_getpid); }
long write(const void *buf, size_t len) { return SC2(SYS_write, buf, len); }
int spawn(const char *name, const char *args) { return (int)SC2(SYS_spawn, name, args); }
int exec(const char *name, const char *args) { return (int)SC2(SYS_exec, name, args); }
int waitpid(int pid, int *status) { return (int)SC2(SYS_waitpid, pid, status); }
int kill(int pid, int sig) { return (int)SC2(SYS_kill, pid, sig); }
int yield(void) { return (int)SC0(SYS_yield); }
int proc_destroy(int pid, int code) { return (int)SC2(SYS_proc_destroy, pid, code); }
int sleep_ticks(uint64_t ticks) { return (int)SC1(SYS_sleep, ticks); }
long read(void *buf, size_t len) { return SC2(SYS_read, buf, len); }
int procinfo(int slot, struct uproc_info *info) { return (int)SC2(SYS_procinfo, slot, info); }
int procinfo_of(int pid, struct uproc_info *info)
{
	for (int slot = 0;; slot++) {
		int r = procinfo(slot, info);
		if (r == -EINVAL)
			return -ESRCH;
		if (r == 0 && info->pid == pid)
			return 0;
	}
}

int coreinfo(int core, struct ucore_info *info) { return (int)SC2(SYS_coreinfo, core, info); }
int set_fg(int pid) { return (int)SC1(SYS_set_fg, pid); }
int ncores(void) { return (int)SC0(SYS_ncores); }

void exit(int code)
{
	SC1(SYS_exit, code);
	/* exit does not return to a live process; if it ever did, stop here. */
	for (;;)
		asm volatile("ud2");
}

int signal(int sig, void (*handler)(int))
{
	return (int)SC3(SYS_sigaction, sig, handler, handler ? __sig_trampoline : 0);
}

/* The default for SIGINT and SIGTERM: the process destroys itself, from
 * its own core (Akaros's ctrl-c path: step 2 of the abandon-core chain). */
static void default_handler(int sig)
{
	proc_destroy(getpid(), 128 + sig);
}

void ulib_start(char *args);
void ulib_start(char *args)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	signal(SIGINT, default_handler);
	signal(SIGTERM, default_handler);
	while (*args && argc < MAX_ARGS) {
		while (*args == ' ')
			*args++ = 0;
		if (!*args)
			break;
		argv[argc++] = args;
		while (*args && *args != ' ')
			args++;
	}
	argv[argc] = NULL;
	exit(main(argc, argv));
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

long atol(const char *s)
{
	long v = 0, sign = 1;
	if (*s == '-')
		sign = -1, s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v * sign;
}
