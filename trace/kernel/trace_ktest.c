/*
 * trace_ktest.c: in-kernel self-tests of the emit path, as the kernel
 * really runs it (%gs-relative core_id, this CPU's ring, rdtsc).
 *
 * trace_emit_cost also prints the cost of an event in TSC ticks. Under
 * QEMU with -icount shift=0 the TSC advances one tick per instruction
 * (1 GHz, 1 ns each), so the figure is the instruction count of the path,
 * measured in the kernel itself; `make bench` reports it.
 */
#include "trace/trace.h"
#include "kernel/ktest.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/arch/x86_64/arch.h"

#define COST_ROUNDS 64

/* The state a test changes, put back whatever the test finds. */
struct saved {
	uint64_t irq;
	uint8_t send_on, recv_on;
};

static void begin(struct saved *s)
{
	s->irq = irq_save(); /* no interrupt's records between ours */
	s->send_on = trace_event_on[TRACE_EV_ipi_send];
	s->recv_on = trace_event_on[TRACE_EV_ipi_recv];
}

static void end(const struct saved *s)
{
	trace_event_on[TRACE_EV_ipi_send] = s->send_on;
	trace_event_on[TRACE_EV_ipi_recv] = s->recv_on;
	irq_restore(s->irq);
}

KTEST(trace_emit_record)
{
	struct saved s;
	struct trace_ring_desc *r = &trace_area.hdr.ring[core_id()];

	KT_ASSERT(trace_area.hdr.magic == TRACE_MAGIC);
	begin(&s);
	trace_event_on[TRACE_EV_ipi_send] = 1;
	uint64_t seq = r->next_seq;
	uint64_t before = rdtsc();
	trace_ipi_send(7, 0xf0);
	uint64_t after = rdtsc();
	const struct trace_record *rec =
		&trace_area.slot[core_id()][seq & (TRACE_RING_RECORDS - 1)];
	int full = seq >= r->limit;
	end(&s);

	KT_EQ(r->next_seq, seq + 1);
	if (full)
		return; /* trace=stop and the ring is full: nothing to look at */
	KT_EQ(rec->id, TRACE_EV_ipi_send);
	KT_EQ(rec->nfields, TRACE_NW_ipi_send);
	KT_EQ(rec->seq_lo, (uint32_t)seq);
	KT_EQ(rec->field[0], 7);
	KT_EQ(rec->field[1], 0xf0);
	KT_ASSERT(rec->tsc >= before && rec->tsc <= after);
}

KTEST(trace_disabled_event_reserves_nothing)
{
	struct saved s;
	struct trace_ring_desc *r = &trace_area.hdr.ring[core_id()];

	begin(&s);
	trace_event_on[TRACE_EV_ipi_recv] = 0;
	uint64_t seq = r->next_seq;
	trace_ipi_recv(0xf1);
	uint64_t after = r->next_seq;
	end(&s);
	KT_EQ(after, seq);
}

KTEST(trace_emit_cost)
{
	struct saved s;
	struct trace_ring_desc *r = &trace_area.hdr.ring[core_id()];

	begin(&s);
	trace_event_on[TRACE_EV_ipi_send] = 1;
	trace_event_on[TRACE_EV_ipi_recv] = 0;
	uint64_t seq = r->next_seq;
	/* An empty loop of the same shape, to take the loop's own cost out. */
	uint64_t t0 = rdtsc();
	for (int i = 0; i < COST_ROUNDS; i++)
		asm volatile("" : : "r"(i) : "memory");
	uint64_t t1 = rdtsc();
	for (int i = 0; i < COST_ROUNDS; i++)
		trace_ipi_send((uint64_t)i, 0xf0);
	uint64_t t2 = rdtsc();
	for (int i = 0; i < COST_ROUNDS; i++)
		trace_ipi_recv((uint64_t)i);
	uint64_t t3 = rdtsc();
	end(&s);

	KT_EQ(r->next_seq, seq + COST_ROUNDS);
	uint64_t loop = t1 - t0;
	uint64_t on = (t2 - t1 > loop ? t2 - t1 - loop : 0) * 10 / COST_ROUNDS;
	uint64_t off = (t3 - t2 > loop ? t3 - t2 - loop : 0) * 10 / COST_ROUNDS;
	printk("trace: emit cost %lu.%lu TSC ticks per enabled event, %lu.%lu per disabled\n",
	       (unsigned long)(on / 10), (unsigned long)(on % 10), (unsigned long)(off / 10),
	       (unsigned long)(off % 10));
}
