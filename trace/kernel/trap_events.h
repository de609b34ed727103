/*
 * trap_events.h: the trace events of trap_dispatch, in one place so that
 * kernel/trap.c needs two calls: every CPU exception becomes a `trap`
 * event, every interrupt an irq_enter/irq_exit pair (plus ipi_recv for
 * the inter-processor vectors). System calls have their own events.
 */
#ifndef TRACE_KERNEL_TRAP_EVENTS_H
#define TRACE_KERNEL_TRAP_EVENTS_H

struct trapframe;

/* Before the handler runs. */
void trace_trap_enter(const struct trapframe *tf);
/* After a handler returned (not called for handlers that never return). */
void trace_trap_exit(const struct trapframe *tf);

#endif
