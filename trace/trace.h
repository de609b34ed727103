/*
 * trace.h: what kernel code includes to emit trace events.
 *
 * For each event of trace/events.def there is a generated
 *
 *     static inline void trace_<event>(<one argument per field>);
 *
 * PTR and KSYM fields take pointers, NAME16 a 16-byte char buffer, all
 * others integers. A disabled event
 * costs one load and one predictable branch (trace_event_on[] is a byte
 * per event, all zero until trace_init). An enabled one reserves the next
 * slot of this CPU's ring with a single local xadd (no lock prefix: only
 * this CPU writes its ring, and one instruction cannot be split by an
 * interrupt or NMI, so nested writers get distinct slots), stores the
 * fields and the TSC, then the commit word.
 *
 * Call trace_init() (trace/kernel/trace_kernel.h) on the boot CPU after its
 * per-CPU area (%gs) is set up; a CPU may emit once its %gs is set.
 *
 * This header also builds on the host (TRACE_HOST defined), where the CPU
 * number and the clock come from hooks, so that the very same emit path
 * is unit-tested and its instructions counted (make bench).
 */
#ifndef TRACE_TRACE_H
#define TRACE_TRACE_H

#include <stdint.h>
#include "trace/events.h"
#include "trace/format.h"

#ifdef TRACE_HOST
extern unsigned trace_host_cpu;
uint64_t trace_host_clock(void);
static inline unsigned trace_cpu(void)
{
	return trace_host_cpu;
}
#ifdef TRACE_HOST_RDTSC
#define TRACE_USE_RDTSC 1
#else
static inline void trace_store_tsc(uint64_t *dst)
{
	*dst = trace_host_clock();
}
#endif
#else
#include "kernel/percpu.h"
#include "kernel/arch/x86_64/arch.h"
static inline unsigned trace_cpu(void)
{
	return core_id();
}
#define TRACE_USE_RDTSC 1
#endif

#ifdef TRACE_USE_RDTSC
/*
 * The timestamp as two 32-bit stores straight from edx:eax: two
 * instructions fewer than combining them. The record is not committed
 * yet, so nobody can see the halves apart.
 */
static inline void trace_store_tsc(uint64_t *dst)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	((uint32_t *)dst)[0] = lo;
	((uint32_t *)dst)[1] = hi;
}
#endif

/*
 * The trace area: one contiguous object (the `trace_area` symbol, which
 * the Bochs runner dumps by address and size), the header page first.
 */
struct trace_area {
	struct trace_area_header hdr;
	uint8_t pad[TRACE_AREA_HEADER_BYTES - sizeof(struct trace_area_header)];
	struct trace_record slot[TRACE_MAX_CPUS][TRACE_RING_RECORDS];
};

extern struct trace_area trace_area;
extern uint8_t trace_event_on[TRACE_NUM_EVENTS];

/*
 * Each CPU's descriptor and slots as two pointers (set by trace_area_init),
 * so the hot path turns a CPU number into both with one shift and two
 * loads instead of recomputing two scaled offsets into trace_area.
 */
struct trace_cpu_ring {
	struct trace_ring_desc *desc;
	struct trace_record *slots;
};
extern struct trace_cpu_ring trace_cpu_rings[TRACE_MAX_CPUS];

/*
 * Slow path, out of line: the reservation hit the stop-mode limit. The
 * first writer past it leaves the ring_full marker; the rest are counted
 * by next_seq alone.
 */
void trace_ring_full(unsigned cpu, uint64_t seq);

/* Fetch-and-add that is atomic against interrupts on this CPU only. */
static inline uint64_t trace_local_xadd(uint64_t *p, uint64_t v)
{
	asm volatile("xaddq %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

static inline __attribute__((always_inline)) void
trace_emit(unsigned id, unsigned nfields, const uint64_t *v)
{
	/* No bounds mask: core_id() < MAX_CPUS <= TRACE_MAX_CPUS (trace_kernel.c
	 * asserts it), and before %gs is set core_id() faults on page 0. */
	unsigned long cpu = trace_cpu();
	const struct trace_cpu_ring *cr = &trace_cpu_rings[cpu];
	struct trace_ring_desc *r = cr->desc;
	uint64_t seq = trace_local_xadd(&r->next_seq, 1);

	if (__builtin_expect(seq >= r->limit, 0)) {
		trace_ring_full(cpu, seq);
		return;
	}
	struct trace_record *rec = cr->slots + (seq & (TRACE_RING_RECORDS - 1));
	trace_store_tsc(&rec->tsc);
	for (unsigned i = 0; i < nfields; i++)
		rec->field[i] = v[i];
	/* Fields and timestamp before the commit word (x86 keeps store order). */
	asm volatile("" : : : "memory");
	rec->info = trace_record_info(seq, (uint16_t)id, (uint8_t)nfields);
}

/* Argument types and conversions per field type. */
#define TRACE_PTYPE_U64 uint64_t
#define TRACE_PTYPE_U32 uint64_t
#define TRACE_PTYPE_HEX uint64_t
#define TRACE_PTYPE_PID uint64_t
#define TRACE_PTYPE_CPU uint64_t
#define TRACE_PTYPE_ENUM uint64_t
#define TRACE_PTYPE_PTR const void *
#define TRACE_PTYPE_KSYM const void *
#define TRACE_PTYPE_NAME16 const char *
#define TRACE_PARAM(t, n, e) TRACE_PTYPE_##t n
#define TRACE_VALUE(t, n, e) TRACE_VALUE_##t(n)
#define TRACE_VALUE_U64(n) (uint64_t)(n)
#define TRACE_VALUE_U32(n) (uint64_t)(n)
#define TRACE_VALUE_HEX(n) (uint64_t)(n)
#define TRACE_VALUE_PID(n) (uint64_t)(n)
#define TRACE_VALUE_CPU(n) (uint64_t)(n)
#define TRACE_VALUE_ENUM(n) (uint64_t)(n)
#define TRACE_VALUE_PTR(n) (uint64_t)(uintptr_t)(n)
#define TRACE_VALUE_KSYM(n) (uint64_t)(uintptr_t)(n)
/* A NAME16 argument points at a buffer of at least 16 bytes (struct proc's
 * name[16]), NUL-padded after the text: two 8-byte loads, no string walk. */
#define TRACE_VALUE_NAME16(n) trace_name16_word(n, 0), trace_name16_word(n, 1)
static inline __attribute__((always_inline)) uint64_t trace_name16_word(const char *s, unsigned i)
{
	uint64_t w;
	__builtin_memcpy(&w, s + 8 * i, 8);
	return w;
}

#define TRACE_PARAMS(...) TRACE_CAT2(TRACE_PARAMS_, TRACE_NARGS(__VA_ARGS__))(__VA_ARGS__)
#define TRACE_PARAMS_0(...) void
#define TRACE_PARAMS_1(...) TRACE_MAP(TRACE_PARAM, __VA_ARGS__)
#define TRACE_PARAMS_2(...) TRACE_MAP(TRACE_PARAM, __VA_ARGS__)
#define TRACE_PARAMS_3(...) TRACE_MAP(TRACE_PARAM, __VA_ARGS__)
#define TRACE_PARAMS_4(...) TRACE_MAP(TRACE_PARAM, __VA_ARGS__)
#define TRACE_PARAMS_5(...) TRACE_MAP(TRACE_PARAM, __VA_ARGS__)
#define TRACE_PARAMS_6(...) TRACE_MAP(TRACE_PARAM, __VA_ARGS__)

#define TRACE_EVENT(name, cat, doc, ...)                                              \
	static inline __attribute__((always_inline)) void trace_##name(                 \
		TRACE_PARAMS(__VA_ARGS__))                                              \
	{                                                                               \
		if (__builtin_expect(!trace_event_on[TRACE_EV_##name], 0))              \
			return;                                                         \
		const uint64_t v_[TRACE_MAX_FIELDS] = { TRACE_MAP(TRACE_VALUE, ##__VA_ARGS__) }; \
		trace_emit(TRACE_EV_##name, TRACE_NWORDS(__VA_ARGS__), v_);             \
	}
#include "trace/events.def"

/*
 * Control, kernel side (trace/kernel/trace_kernel.c).
 *
 * trace_init: once, on the boot CPU, after the per-CPU area (%gs) and
 * bugs_init: reads trace=, trace_off=, trace_events= and turns events on.
 * trace_set_tsc_hz: the calibrated TSC frequency, for the header.
 * trace_set_backend: the VMX backend's name, for the header.
 * trace_flush: make every ring final and readable (counts, ring_full
 * marker, header flags) and stop tracing; the exit and panic paths call
 * it after the other CPUs are stopped. Safe before trace_init.
 */
void trace_init(void);
void trace_set_tsc_hz(uint64_t hz);
void trace_set_backend(const char *name);
void trace_flush(int panicking);

#endif
