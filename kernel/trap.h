/*
 * trap.h: the trap frame and the one dispatcher every vector goes through.
 */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H

#include <stdint.h>
#include <stdbool.h>

/* What trapentry.S leaves on the stack: general registers (pushed by the
 * stub), vector and error code (pushed by the stub; error 0 where the CPU
 * gives none), then the CPU's own interrupt frame. The layout is fixed by
 * trapentry.S: change both together. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error;
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler_t)(struct trapframe *tf);

/* Route `vector` to `handler`. Registering a second, different handler for
 * one vector panics: two layers must not silently fight over a vector.
 * Device and IPI handlers send their own EOI. */
void trap_register(uint8_t vector, trap_handler_t handler);

/* Exceptions from ring 3 with no handler of their own go here instead of
 * trap_fatal (set by the process model; it does not return). */
extern trap_handler_t user_fault_hook;

/* Called by trapentry.S for every vector. */
void trap_dispatch(struct trapframe *tf);

/* Leave through a trap frame (trapentry.S): restores the registers and
 * irets, to user mode if tf->cs says so. */
__attribute__((noreturn)) void trap_return(struct trapframe *tf);

/* True if the trap came from user mode (ring 3). */
static inline bool trap_from_user(const struct trapframe *tf)
{
	return (tf->cs & 3) == 3;
}

/* "Invalid Opcode", "Page Fault", ...; "Interrupt" above 31. */
const char *trap_name(uint64_t vector);

/* Print the full report for tf (name, RIP symbolised, error code, CR2 for
 * a page fault, registers, backtrace) and panic: stop the other CPUs, exit
 * with the panic status. For handlers that find a fault they cannot fix
 * (e.g. a page-fault handler given a kernel-mode fault). */
__attribute__((noreturn)) void trap_fatal(struct trapframe *tf);

#endif
