/*
 * kmsg.c: per-core FIFO queues of kernel messages (see kmsg.h).
 *
 * A message is kmalloc'd by the sender, appended under the destination's
 * queue lock and freed by the receiver before it runs the function (a
 * routine message may never return, so nothing may be left to do after the
 * call). Order is FIFO per queue; immediate messages are not ordered with
 * respect to routine ones.
 */
#include "kernel/kmsg.h"
#include "kernel/percpu.h"
#include "kernel/mm.h"
#include "kernel/smp.h"
#include "kernel/trap.h"
#include "kernel/printk.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/proc.h"
#include "trace/trace.h"

static uint64_t ipis_sent[MAX_CPUS];

static void fifo_push(struct kmsg_fifo *f, struct kernel_message *k)
{
	k->next = NULL;
	if (f->tail)
		f->tail->next = k;
	else
		f->head = k;
	f->tail = k;
	f->depth++;
}

static struct kernel_message *fifo_pop(struct kmsg_fifo *f)
{
	struct kernel_message *k = f->head;

	if (!k)
		return NULL;
	f->head = k->next;
	if (!f->head)
		f->tail = NULL;
	f->depth--;
	return k;
}

void send_kernel_message(uint32_t dst, amr_t pc, long a0, long a1, long a2, int type)
{
	struct kmsg_queues *q;
	struct kernel_message *k;
	uint32_t depth;
	uint64_t flags;

	if (dst >= (uint32_t)num_cores())
		panic("send_kernel_message: no core %u", dst);
	if (type != KMSG_IMMEDIATE && type != KMSG_ROUTINE)
		panic("send_kernel_message: bad type %d", type);
	k = kmalloc(sizeof(*k));
	if (!k)
		panic("send_kernel_message: out of memory");
	k->srcid = core_id();
	k->dstid = dst;
	k->pc = pc;
	k->arg0 = a0;
	k->arg1 = a1;
	k->arg2 = a2;
	k->type = type;

	q = &per_cpu(dst)->kmsgs;
	flags = spin_lock_irqsave(&q->lock);
	if (type == KMSG_IMMEDIATE) {
		fifo_push(&q->immediate, k);
		depth = q->immediate.depth;
	} else {
		fifo_push(&q->routine, k);
		depth = q->routine.depth;
	}
	/* Traced under the lock so that, per queue, send order in the trace is
	 * queue order. */
	trace_kmsg_send(dst, (const void *)(uintptr_t)pc, type, depth, a0);
	spin_unlock_irqrestore(&q->lock, flags);

	/* A routine message to ourselves runs at our next safe point, which we
	 * reach without help; anything else needs the target's attention. */
	if (dst != core_id() || type == KMSG_IMMEDIATE) {
		ipis_sent[core_id()]++;
		send_ipi(dst, IPI_KMSG_VECTOR);
	}
}

static struct kernel_message *pop_one(struct kmsg_fifo *(*which)(struct kmsg_queues *))
{
	struct kmsg_queues *q = &this_cpu()->kmsgs;
	struct kernel_message *k;
	uint64_t flags = spin_lock_irqsave(&q->lock);

	k = fifo_pop(which(q));
	spin_unlock_irqrestore(&q->lock, flags);
	return k;
}

static struct kmsg_fifo *immediate_of(struct kmsg_queues *q) { return &q->immediate; }
static struct kmsg_fifo *routine_of(struct kmsg_queues *q) { return &q->routine; }

/* Copy the message out and free it before the call: the call may not return. */
static void run_message(struct kernel_message *k)
{
	struct kernel_message m = *k;

	kfree(k);
	trace_kmsg_dispatch_begin(m.srcid, (const void *)(uintptr_t)m.pc, m.type, m.arg0);
	m.pc(m.srcid, m.arg0, m.arg1, m.arg2);
	trace_kmsg_dispatch_end(m.srcid, (const void *)(uintptr_t)m.pc, m.type);
}

void process_immediate_kmsg(void)
{
	struct kernel_message *k;
	uint64_t flags = irq_save();

	while ((k = pop_one(immediate_of)))
		run_message(k);
	irq_restore(flags);
}

void process_routine_kmsg(void)
{
	struct kernel_message *k;

	/* Routine messages run with interrupts off, one at a time; an IPI
	 * arriving meanwhile is taken at the next sti. */
	irq_save();
	while ((k = pop_one(routine_of)))
		run_message(k);
}

int kmsg_routine_pending(void)
{
	return this_cpu()->kmsgs.routine.depth != 0;
}

uint64_t kmsg_ipis_sent(void)
{
	return ipis_sent[core_id()];
}

static void kmsg_ipi_handler(struct trapframe *tf)
{
	lapic_eoi();
	process_immediate_kmsg();
	/* Interrupted user code goes back through proc_restartcore, where the
	 * routine messages that came with this IPI (e.g. __death) run. */
	if (trap_from_user(tf))
		proc_trap_from_user(tf);
}

/* Every core's queues, before any core can send: the per-CPU blocks are
 * static, so an AP's exist before it comes up. */
void kmsg_init(void)
{
	for (int i = 0; i < MAX_CPUS; i++) {
		struct kmsg_queues *q = &per_cpu(i)->kmsgs;

		spinlock_init(&q->lock, "kmsg");
		q->immediate.head = q->immediate.tail = NULL;
		q->routine.head = q->routine.tail = NULL;
		q->immediate.depth = q->routine.depth = 0;
	}
	trap_register(IPI_KMSG_VECTOR, kmsg_ipi_handler);
}
