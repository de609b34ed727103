/*
 * ulib.h: the user library of tkern's programs: system call wrappers, a
 * printf, string routines. No libc: programs are freestanding, built with
 * -mgeneral-regs-only because the kernel saves only general registers.
 */
#ifndef KERNEL_USER_LIB_ULIB_H
#define KERNEL_USER_LIB_ULIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/errno.h"
#include "kernel/user_abi.h"

enum {
#define SYSCALL(n, name) SYS_##name = n,
#include "kernel/syscall.def"
#undef SYSCALL
};

#define SIGINT 2
#define SIGKILL 9
#define SIGTERM 15

long syscall6(long num, long a0, long a1, long a2, long a3, long a4, long a5);

int getpid(void);
long write(const void *buf, size_t len);
__attribute__((noreturn)) void exit(int code);
int spawn(const char *name, const char *args);
/* Replace this program with `name`; returns only on error (-errno). */
int exec(const char *name, const char *args);
int waitpid(int pid, int *status);
int kill(int pid, int sig);
int yield(void);
int proc_destroy(int pid, int code);
int sleep_ticks(uint64_t ticks);
long read(void *buf, size_t len);
int procinfo(int slot, struct uproc_info *info);
/* procinfo of the slot that holds pid: 0, or -ESRCH once it is gone. */
int procinfo_of(int pid, struct uproc_info *info);
int coreinfo(int core, struct ucore_info *info);
int set_fg(int pid);
int ncores(void);
/* Install handler for SIGINT/SIGTERM (NULL: the kernel's default). */
int signal(int sig, void (*handler)(int));

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void puts(const char *s);

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
long atol(const char *s);

/* Every program's entry: argv[0] is the program's name. */
int main(int argc, char **argv);

#endif
