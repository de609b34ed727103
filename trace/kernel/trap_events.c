/*
 * trap_events.c: trap and interrupt events for kernel/trap.c (see
 * trap_events.h).
 */
#include "trace/kernel/trap_events.h"
#include "trace/trace.h"
#include "kernel/trap.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/vectors.h"

static int is_ipi(uint64_t v)
{
	return v == IPI_KMSG_VECTOR || v == IPI_STOP_VECTOR || v == KTEST_IPI_VECTOR;
}

void trace_trap_enter(const struct trapframe *tf)
{
	uint64_t v = tf->vector;

	if (v < T_NUM_EXCEPTIONS) {
		/* CR2 now: a fault inside the handler would overwrite it. */
		trace_trap(v, tf->error, (const void *)tf->rip, v == T_PAGE_FAULT ? read_cr2() : 0, tf->cs);
		return;
	}
	if (v == SYSCALL_VECTOR)
		return;
	trace_irq_enter(v, (const void *)tf->rip);
	if (is_ipi(v))
		trace_ipi_recv(v);
}

void trace_trap_exit(const struct trapframe *tf)
{
	uint64_t v = tf->vector;
	if (v >= T_NUM_EXCEPTIONS && v != SYSCALL_VECTOR)
		trace_irq_exit(v);
}
