/*
 * syscall.h: the system call layer (entry in syscall.c, table in
 * syscall.def). Entry is the SYSCALL instruction (as on Linux): the number
 * in RAX, arguments in RDI RSI RDX R10 R8 R9, the result (or -errno) in
 * RAX; RCX and R11 are clobbered (SYSCALL keeps RIP and RFLAGS there).
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>

struct proc;

enum syscall_num {
#define SYSCALL(n, name) SYS_##name = n,
#include "kernel/syscall.def"
#undef SYSCALL
};

/* Every handler takes all six; most use fewer. */
#define SYSARG __attribute__((unused))
#define SYSCALL_ARGS struct proc *p SYSARG, uint64_t a0 SYSARG, uint64_t a1 SYSARG, \
	uint64_t a2 SYSARG, uint64_t a3 SYSARG, uint64_t a4 SYSARG, uint64_t a5 SYSARG
#define SYSCALL(n, name) long sys_##name(SYSCALL_ARGS);
#include "kernel/syscall.def"
#undef SYSCALL

void syscall_init(void);
const char *syscall_name(uint64_t num);

#endif
