/*
 * convert: a decoded raw trace (tools/tracelib.h) to Perfetto tracks and
 * events (pf_writer.h), following the roles of event_map.def.
 *
 * Tracks, CPU by CPU, then process by process:
 *   "CPU n"             a group holding, in this order,
 *     "CPU n activity"    what the core does: syscalls, IRQs, KMSG handlers,
 *                         guest execution (VM entry to exit), idle; instants
 *                         for everything else that happened on the core
 *     "CPU n cur_proc"    whose address space is loaded, as named slices
 *     "CPU n owning_proc" who owns the core
 *     "CPU n VMCS"        the GPC whose VMCS is current: loaded, lingering
 *                         (lazy unload), or freed while still cached
 *   "pid p" (a process) with
 *     "pid p refcount"    counter: the kref after each get/put
 *     "pid p refs"        one instant per get/put: old, new, reason, call site
 *     "pid p state"       the process state as slices, and its other events
 * Flows: KMSG send -> dispatch; IPI send -> receive; signal send ->
 * delivery; kthread block -> wake -> restart.
 * A slice open when the trace ends is closed there, marked "crash" when the
 * kernel panicked and "end of trace" otherwise.
 */
#ifndef TOOLS_PERFETTO_CONVERT_H
#define TOOLS_PERFETTO_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include "tools/perfetto/pf_writer.h"
#include "tools/tracelib.h"

struct kaddr2line;

struct convert_stats {
	uint64_t records;        /* raw events read */
	uint64_t unmatched_ends; /* END events with no open slice of their kind */
	uint64_t closed_at_end;  /* slices closed by the end of the trace */
	uint64_t flows;
	bool crashed;
};

/*
 * Adds every track and event of t to w. k may be NULL (call sites then
 * stay hexadecimal). lean: names, lanes, counters and flows only, without
 * each record's fields as args (a smaller file for very long runs). Never
 * fails on odd input: ends without a begin, loss markers, events of unknown
 * processes are all drawn as what they are.
 */
void convert_trace(const struct tl_trace *t, struct pf_writer *w,
		   struct kaddr2line *k, bool lean, struct convert_stats *st);

/* TSC ticks to ns since the first event with the header's frequency
 * (1 GHz if the header has none: the caller warns). */
uint64_t convert_ts_ns(const struct tl_trace *t, uint64_t tsc);

#endif
