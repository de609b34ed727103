/*
 * user_context.h: a process's saved user-mode register state.
 *
 * Akaros keeps a user context apart from the trap frame on the kernel stack,
 * because the kernel stack may be given away (a blocking syscall switches
 * kthreads) while the context must survive: trap entry copies the frame into
 * the core's `actual_ctx`, and a process that leaves its core copies it into
 * proc->scp_ctx. proc_pop_ctx() returns to user mode from one of these.
 *
 * The registers are kept as a struct trapframe, so that the one exit path
 * of trapentry.S (trap_return: swapgs, iretq) also leaves for ring 3 from here.
 */
#ifndef KERNEL_ARCH_X86_64_USER_CONTEXT_H
#define KERNEL_ARCH_X86_64_USER_CONTEXT_H

#include <stdint.h>
#include <stdbool.h>

#include "kernel/trap.h"
#include "kernel/arch/x86_64/arch.h"

/*
 * The kind of context a process resumes into. A VM context (a guest pcore
 * of a VMM process) is popped by the VMX layer through proc_arch_ops; the
 * core kernel only knows it is not an ordinary ring-3 frame.
 */
enum user_ctx_type {
	USER_CTX_NONE = 0,
	USER_CTX_HW = 1,
	USER_CTX_VM = 2,
};

/* RFLAGS bits user code may keep: the arithmetic flags, TF, DF, AC, ID.
 * IOPL, NT, VM, VIF/VIP and RF are the kernel's; IF is always on. */
#define RFLAGS_USER_MASK 0x00254dd5ull

/* RFLAGS that user code handed the kernel (a sigreturn frame, or R11 at a
 * SYSCALL), made safe to return with. */
static inline uint64_t user_rflags_sanitize(uint64_t rflags)
{
	return (rflags & RFLAGS_USER_MASK) | RFLAGS_IF | 0x2; /* bit 1 is always set */
}

struct user_context {
	uint32_t type;      /* enum user_ctx_type */
	uint32_t vm_gpc;    /* USER_CTX_VM: which guest pcore */
	struct trapframe tf;
};

/* Copy a trap frame from ring 3 into a user context (trap entry). */
void user_ctx_from_trapframe(struct user_context *ctx, const struct trapframe *tf);
/* A fresh ring-3 context starting at rip with stack rsp, interrupts on. */
void user_ctx_init(struct user_context *ctx, uint64_t rip, uint64_t rsp);
/* Make a context safe to pop: user selectors, IF set, IOPL 0, RIP/RSP in the
 * lower half. Returns false if RIP or RSP was not a user address (a forged
 * sigreturn frame): the caller kills the process instead of faulting in iretq. */
bool user_ctx_sanitize(struct user_context *ctx);

/* Return to ring 3 with every register of a HW context. Never returns. */
__attribute__((noreturn)) void user_ctx_pop_hw(const struct user_context *ctx);

/* Syscall ABI: number in rax, arguments rdi rsi rdx r10 r8 r9, result rax. */
static inline uint64_t user_ctx_sysnum(const struct user_context *c) { return c->tf.rax; }
static inline uint64_t user_ctx_arg(const struct user_context *c, int i)
{
	switch (i) {
	case 0: return c->tf.rdi;
	case 1: return c->tf.rsi;
	case 2: return c->tf.rdx;
	case 3: return c->tf.r10;
	case 4: return c->tf.r8;
	default: return c->tf.r9;
	}
}
static inline void user_ctx_set_retval(struct user_context *c, uint64_t v) { c->tf.rax = v; }

#endif
