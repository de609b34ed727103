/*
 * syscall_arch.h: the SYSCALL/SYSRET machinery (syscall_entry.S).
 */
#ifndef KERNEL_ARCH_X86_64_SYSCALL_ARCH_H
#define KERNEL_ARCH_X86_64_SYSCALL_ARCH_H

#include <stdbool.h>
#include "kernel/trap.h"

/* Program STAR, LSTAR, CSTAR and SFMASK and set EFER.SCE on the calling
 * core. Every core, before it runs user code. */
void syscall_arch_init_cpu(void);

/* True if tf can leave through SYSRET without losing a register: it was
 * saved by the SYSCALL entry (RCX and R11 still hold RIP and RFLAGS) and
 * returns to canonical 64-bit user space. Anything else (a frame from an
 * interrupt, a sigreturn's) leaves through iretq. */
bool syscall_frame_can_sysret(const struct trapframe *tf);

/*
 * A trap frame for a #PF may be a SYSCALL that a hypervisor ran without
 * its privilege change (see syscall_arch.c). If it is, rewrite tf into the
 * frame syscall_entry would have built and return true: the caller
 * dispatches it as a system call.
 */
bool syscall_arch_finish_unprivileged_entry(struct trapframe *tf);

__attribute__((noreturn)) void sysret_to_user(const struct trapframe *tf);

#endif
