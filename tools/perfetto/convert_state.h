/*
 * convert_state.h: the converter's state and drawing primitives, shared by
 * convert.c (tracks, slices, lanes, args; the trace as a whole) and
 * convert_events.c (what each event role draws). Internal to trace2perfetto.
 */
#ifndef TOOLS_PERFETTO_CONVERT_STATE_H
#define TOOLS_PERFETTO_CONVERT_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/perfetto/convert.h"
#include "tools/perfetto/event_map.h"

#define MAX_DEPTH 16       /* open slices per core: deeper ones become instants */
#define MAX_PENDING 1024   /* KMSGs, IPIs, signals sent and not yet arrived */
#define MAX_KTHREADS 4096

enum act_kind { K_IRQ = 1, K_SYSCALL, K_KMSG, K_GUEST, K_IDLE };

struct lane {              /* a track with at most one open slice */
	uint64_t uuid;
	bool open;
	uint64_t key;      /* what the open slice is about (gpc, pid) */
	uint32_t pid;
	bool lingering;    /* VMCS lane: lazily unloaded, not in use */
};

struct cpu_state {
	uint64_t group, act;
	struct lane cur, own, vmcs;
	uint8_t kind[MAX_DEPTH];
	uint32_t name[MAX_DEPTH];  /* the open slices' names */
	const struct tl_event *begin[MAX_DEPTH]; /* the events that opened them */
	unsigned depth;
};

struct proc_track {
	uint32_t pid;
	unsigned gen;      /* 1 for the pid's first process, 2 when it was reused, ... */
	bool freed;
	char name[TRACE_NAME16_BYTES + 1]; /* its program (proc_create, proc_exec); "" unknown */
	char label[TRACE_NAME16_BYTES + 16]; /* "vmm [3]" when named: cv_pid_name's answer */
	uint64_t group, count, refs, state;
	bool state_open;
};

/* A message on its way: a flow starts at its send and ends at its arrival. */
enum pend_kind { PEND_KMSG = 1, PEND_IPI, PEND_SIGNAL };
#define ANY_CPU 0xffff

struct pending {
	uint8_t kind;           /* enum pend_kind */
	uint16_t src, dst;      /* CPUs */
	uint64_t a, b;          /* KMSG: type, handler; IPI: vector; signal: pid, sig */
	uint64_t flow;
};

struct kthread_flow {
	uint64_t flow;          /* 0: none pending */
	uint32_t name_iid;      /* the syscall slice it blocked in, to resume */
};

struct gpc_owner {
	uint64_t gpc;
	uint32_t pid;
	bool freed;
};

#define ENUM_CACHE_VALUES 64  /* enum values below this are looked up once */

struct conv {
	/* name of value v of enum e, looked up once (schema lookups are linear) */
	const char *enum_name[TRACE_NUM_ENUMS][ENUM_CACHE_VALUES];
	bool enum_known[TRACE_NUM_ENUMS][ENUM_CACHE_VALUES];
	const struct tl_trace *t;
	struct pf_writer *w;
	struct kaddr2line *k;
	struct convert_stats *st;
	bool lean;
	uint64_t next_uuid, next_flow;
	unsigned ncpus;
	struct cpu_state cpu[TRACE_MAX_CPUS];
	struct proc_track *procs;
	size_t nprocs, cap_procs;
	struct pending pend[MAX_PENDING];
	size_t npend;
	struct kthread_flow kt[MAX_KTHREADS];
	struct gpc_owner *gpcs;
	size_t ngpcs, cap_gpcs;
	/* interned once */
	uint32_t cat[TRACE_NUM_CATEGORIES];
	uint32_t ev_name[TRACE_NUM_EVENTS];
	uint32_t field_ann[TRACE_NUM_EVENTS][TRACE_MAX_FIELDS];
	uint32_t a_closed, a_dangling;
	uint32_t s_end, s_unwound, s_restart;
	uint32_t n_idle;
	char crash_desc[256];
};

struct anns {
	struct pf_ann a[PF_MAX_ANN];
	uint8_t n;
};

void *cv_xcalloc(size_t n, size_t sz);
uint32_t cv_intern_name(struct conv *c, const char *s);
uint32_t cv_intern_str(struct conv *c, const char *s);
uint64_t cv_add_track(struct conv *c, uint64_t parent, enum pf_track_kind kind,
		   const char *name, int32_t rank, int32_t pid, const char *unit);
void cv_ann_add(struct anns *as, uint32_t name_iid, enum pf_ann_kind kind, uint64_t v);
const char *cv_field_text(struct conv *c, const struct tl_event *e, unsigned f,
		       char *buf, size_t n);
void cv_ann_fields(struct conv *c, struct anns *as, const struct tl_event *e);
void cv_ann_end_fields(struct conv *c, struct anns *as, const struct tl_event *e,
		    unsigned cpu, enum act_kind kind);
uint64_t cv_fld(const struct tl_event *e, enum ev_field f);
void cv_emit(struct conv *c, uint64_t ts, uint64_t track, enum pf_event_type type,
	  uint32_t name, uint32_t cat, const struct anns *as,
	  uint64_t flow, uint64_t flow_end);
void cv_emit_instant(struct conv *c, uint64_t ts, uint64_t track, uint32_t name,
		  const struct tl_event *e, const struct anns *as, uint64_t flow,
		  uint64_t flow_end);
void cv_lane_close(struct conv *c, struct lane *l, uint64_t ts, const struct anns *as);
void cv_lane_open(struct conv *c, struct lane *l, uint64_t ts, const char *name,
	       uint32_t cat, const struct anns *as, uint64_t key, uint32_t pid);
void cv_act_begin(struct conv *c, unsigned cpu, uint64_t ts, enum act_kind kind,
	       uint32_t name, const struct tl_event *e, const struct anns *as,
	       uint64_t flow, uint64_t flow_end);
bool cv_act_end(struct conv *c, unsigned cpu, uint64_t ts, enum act_kind kind,
	     const struct anns *as, uint32_t why);
void cv_act_close_all(struct conv *c, unsigned cpu, uint64_t ts, uint32_t why);
struct proc_track *cv_proc_get(struct conv *c, uint32_t pid, bool fresh);
struct gpc_owner *cv_gpc_find(struct conv *c, uint64_t gpc);
struct gpc_owner *cv_gpc_note(struct conv *c, uint64_t gpc, uint32_t pid);
/* "vmm [3]" (the name of the latest process with that pid), "pid 3" when
 * the trace never named it, "kernel" for pid 0. */
void cv_pid_name(struct conv *c, char *buf, size_t n, uint64_t pid);
/* A process's program is now `name`: its tracks are named after it. */
void cv_proc_set_name(struct conv *c, struct proc_track *p, const char *name);

/* A new flow id for a message sent; the id of the oldest matching one
 * still pending when it arrives (0: none), which is then forgotten. */
uint64_t cv_pend_send(struct conv *c, enum pend_kind kind, unsigned src, unsigned dst,
		      uint64_t a, uint64_t b);
uint64_t cv_pend_arrive(struct conv *c, enum pend_kind kind, unsigned src, unsigned dst,
			uint64_t a, uint64_t b);

/* Draws one event according to its role (convert_events.c). */
void cv_event(struct conv *c, const struct tl_event *e);

#endif
