/*
 * convert: see convert.h. One pass over the events in timestamp order,
 * keeping just enough state to draw what each core and each process is
 * doing: a stack of open slices per core, the open slice of each lane, the
 * pending KMSG and kthread flows, and which GPC belongs to which process.
 */
#include "tools/perfetto/convert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/kaddr2line.h"
#include "tools/perfetto/event_map.h"

#define MAX_DEPTH 16       /* open slices per core: deeper ones become instants */
#define MAX_PENDING 1024   /* KMSGs sent and not yet dispatched */
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
	bool freed;
	uint64_t group, count, refs, state;
	bool state_open;
};

struct pending_kmsg {
	uint16_t src, dst;
	uint64_t type, handler, flow;
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

struct conv {
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
	struct pending_kmsg pend[MAX_PENDING];
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

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p) {
		fprintf(stderr, "trace2perfetto: out of memory\n");
		exit(2);
	}
	return p;
}

uint64_t convert_ts_ns(const struct tl_trace *t, uint64_t tsc)
{
	if (!t->nev || tsc < t->ev[0].ts)
		return 0;
	uint64_t d = tsc - t->ev[0].ts;
	if (!t->hdr.tsc_hz)
		return d;
	return (uint64_t)((unsigned __int128)d * 1000000000u / t->hdr.tsc_hz);
}

static uint32_t intern_name(struct conv *c, const char *s)
{
	return pf_intern(c->w, PF_EVENT_NAME, s);
}

static uint32_t intern_str(struct conv *c, const char *s)
{
	return pf_intern(c->w, PF_ANN_STRING, s);
}

static uint64_t add_track(struct conv *c, uint64_t parent, enum pf_track_kind kind,
			  const char *name, int32_t rank, int32_t pid, const char *unit)
{
	struct pf_track t = {
		.uuid = c->next_uuid++, .parent = parent, .kind = kind, .name = name,
		.rank = rank, .pid = pid, .unit_name = unit,
		.explicit_children = kind == PF_TRACK_PROCESS || parent == 0,
	};
	pf_track_add(c->w, &t);
	return t.uuid;
}

/* ---- annotations ---- */

struct anns {
	struct pf_ann a[PF_MAX_ANN];
	uint8_t n;
};

static void ann_add(struct anns *as, uint32_t name_iid, enum pf_ann_kind kind, uint64_t v)
{
	if (as->n < PF_MAX_ANN)
		as->a[as->n++] = (struct pf_ann){ name_iid, kind, v };
}

/* The text of field f of e for humans: enum names, symbolised addresses. */
static const char *field_text(struct conv *c, const struct tl_event *e, unsigned f,
			      char *buf, size_t n)
{
	const struct trace_field_desc *fd = &trace_event_descs[e->id].field[f];
	uint64_t v = e->field[f];
	if (fd->type == TRACE_FT_KSYM)
		return kaddr2line_lookup(c->k, v);
	if (fd->type == TRACE_FT_ENUM) {
		const char *s = trace_enum_value_name(fd->enum_id, v);
		if (s)
			return s;
	}
	if (fd->type == TRACE_FT_HEX || fd->type == TRACE_FT_PTR)
		snprintf(buf, n, "0x%" PRIx64, v);
	else
		snprintf(buf, n, "%" PRIu64, v);
	return buf;
}

/* Every field of e as an arg, typed so the UI shows it well. */
static void ann_fields(struct conv *c, struct anns *as, const struct tl_event *e)
{
	const struct trace_event_desc *d = &trace_event_descs[e->id];
	char buf[32];
	if (c->lean)
		return;
	for (unsigned f = 0; f < d->nfields && f < e->nfields; f++) {
		uint32_t name = c->field_ann[e->id][f];
		switch (d->field[f].type) {
		case TRACE_FT_HEX:
		case TRACE_FT_PTR:
			ann_add(as, name, PF_ANN_PTR, e->field[f]);
			break;
		case TRACE_FT_KSYM:
		case TRACE_FT_ENUM:
			ann_add(as, name, PF_ANN_STR,
				intern_str(c, field_text(c, e, f, buf, sizeof(buf))));
			break;
		default:
			ann_add(as, name, PF_ANN_UINT, e->field[f]);
		}
	}
}

/*
 * The fields of an END event, less those its BEGIN already showed with the
 * same value (the importer merges BEGIN and END args, so nothing is lost
 * and a VM exit does not repeat the pid and GPC of its entry).
 */
static void ann_end_fields(struct conv *c, struct anns *as, const struct tl_event *e,
			   unsigned cpu, enum act_kind kind)
{
	const struct cpu_state *s = &c->cpu[cpu];
	const struct tl_event *b = NULL;
	for (int i = (int)s->depth - 1; i >= 0; i--) {
		if (s->kind[i] == kind) {   /* the slice this END closes */
			b = s->begin[i];
			break;
		}
	}
	struct anns all = { .n = 0 };
	ann_fields(c, &all, e);
	if (!b) {
		*as = all;
		return;
	}
	struct anns shown = { .n = 0 };
	ann_fields(c, &shown, b);
	for (unsigned i = 0; i < all.n; i++) {
		bool dup = false;
		for (unsigned j = 0; j < shown.n && !dup; j++)
			dup = all.a[i].name_iid == shown.a[j].name_iid &&
			      all.a[i].kind == shown.a[j].kind && all.a[i].value == shown.a[j].value;
		if (!dup)
			ann_add(as, all.a[i].name_iid, (enum pf_ann_kind)all.a[i].kind, all.a[i].value);
	}
}

static uint64_t fld(const struct tl_event *e, enum ev_field f)
{
	int i = ev_field_idx(e->id, f);
	return i >= 0 && i < e->nfields ? e->field[i] : 0;
}

/* ---- emitting ---- */

static void emit(struct conv *c, uint64_t ts, uint64_t track, enum pf_event_type type,
		 uint32_t name, uint32_t cat, const struct anns *as,
		 uint64_t flow, uint64_t flow_end)
{
	struct pf_event ev = {
		.ts_ns = ts, .track = track, .type = (uint8_t)type, .name_iid = name,
		.cat_iid = cat, .flow = flow, .flow_end = flow_end,
		.n_ann = as ? as->n : 0,
	};
	pf_emit(c->w, &ev, as ? as->a : NULL);
}

static void emit_instant(struct conv *c, uint64_t ts, uint64_t track, uint32_t name,
			 const struct tl_event *e, const struct anns *as, uint64_t flow,
			 uint64_t flow_end)
{
	emit(c, ts, track, PF_INSTANT, name, c->cat[trace_event_descs[e->id].category], as,
	     flow, flow_end);
}

/* A lane shows one named slice at a time. */
static void lane_close(struct conv *c, struct lane *l, uint64_t ts, const struct anns *as)
{
	if (!l->open)
		return;
	emit(c, ts, l->uuid, PF_SLICE_END, 0, 0, as, 0, 0);
	l->open = false;
}

static void lane_open(struct conv *c, struct lane *l, uint64_t ts, const char *name,
		      uint32_t cat, const struct anns *as, uint64_t key, uint32_t pid)
{
	lane_close(c, l, ts, NULL);
	emit(c, ts, l->uuid, PF_SLICE_BEGIN, intern_name(c, name), cat, as, 0, 0);
	l->open = true;
	l->key = key;
	l->pid = pid;
	l->lingering = false;
}

/* The activity stack of a core. */
static void act_begin(struct conv *c, unsigned cpu, uint64_t ts, enum act_kind kind,
		      uint32_t name, const struct tl_event *e, const struct anns *as,
		      uint64_t flow, uint64_t flow_end)
{
	struct cpu_state *s = &c->cpu[cpu];
	if (s->depth == MAX_DEPTH) {
		/* Never leave a begin without its end: too deep becomes an instant. */
		emit_instant(c, ts, s->act, name, e, as, flow, flow_end);
		return;
	}
	emit(c, ts, s->act, PF_SLICE_BEGIN, name, c->cat[trace_event_descs[e->id].category],
	     as, flow, flow_end);
	s->name[s->depth] = name;
	s->begin[s->depth] = as && as->n ? e : NULL;  /* only args it showed */
	s->kind[s->depth++] = (uint8_t)kind;
}

/* Closes the innermost open slice of `kind`, and anything still open inside
 * it (handlers that never returned, e.g. a KMSG that restarted a kthread),
 * marking those with `why`. Returns false if no slice of that kind is open. */
static bool act_end(struct conv *c, unsigned cpu, uint64_t ts, enum act_kind kind,
		    const struct anns *as, uint32_t why)
{
	struct cpu_state *s = &c->cpu[cpu];
	int i = (int)s->depth - 1;
	while (i >= 0 && s->kind[i] != kind)
		i--;
	if (i < 0)
		return false;
	while ((int)s->depth - 1 > i) {
		struct anns u = { .n = 0 };
		ann_add(&u, c->a_closed, PF_ANN_STR, why);
		emit(c, ts, s->act, PF_SLICE_END, 0, 0, &u, 0, 0);
		s->depth--;
	}
	emit(c, ts, s->act, PF_SLICE_END, 0, 0, as, 0, 0);
	s->depth--;
	return true;
}

static void act_close_all(struct conv *c, unsigned cpu, uint64_t ts, uint32_t why)
{
	struct cpu_state *s = &c->cpu[cpu];
	while (s->depth) {
		struct anns u = { .n = 0 };
		ann_add(&u, c->a_closed, PF_ANN_STR, why);
		emit(c, ts, s->act, PF_SLICE_END, 0, 0, &u, 0, 0);
		s->depth--;
		c->st->closed_at_end++;
	}
}

/* ---- processes and GPCs ---- */

static struct proc_track *proc_get(struct conv *c, uint32_t pid, bool fresh)
{
	for (size_t i = c->nprocs; i-- > 0;)
		if (c->procs[i].pid == pid && !(fresh && c->procs[i].freed))
			return &c->procs[i];
	if (c->nprocs == c->cap_procs) {
		c->cap_procs = c->cap_procs ? c->cap_procs * 2 : 16;
		c->procs = realloc(c->procs, c->cap_procs * sizeof(*c->procs));
		if (!c->procs) {
			fprintf(stderr, "trace2perfetto: out of memory\n");
			exit(2);
		}
	}
	/* A reused pid gets its own tracks: "pid 3 (2)". */
	unsigned gen = 1;
	for (size_t i = 0; i < c->nprocs; i++)
		gen += c->procs[i].pid == pid;
	char name[64], sub[96];
	if (gen > 1)
		snprintf(name, sizeof(name), "pid %u (%u)", pid, gen);
	else
		snprintf(name, sizeof(name), "pid %u", pid);
	struct proc_track *p = &c->procs[c->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->group = add_track(c, 0, PF_TRACK_PROCESS, name, (int32_t)(1000 + pid), (int32_t)pid, NULL);
	snprintf(sub, sizeof(sub), "%s refcount", name);
	p->count = add_track(c, p->group, PF_TRACK_COUNTER, sub, 0, 0, "refs");
	snprintf(sub, sizeof(sub), "%s refs", name);
	p->refs = add_track(c, p->group, PF_TRACK_SLICE, sub, 1, 0, NULL);
	snprintf(sub, sizeof(sub), "%s state", name);
	p->state = add_track(c, p->group, PF_TRACK_SLICE, sub, 2, 0, NULL);
	return p;
}

static struct gpc_owner *gpc_find(struct conv *c, uint64_t gpc)
{
	for (size_t i = c->ngpcs; i-- > 0;)
		if (c->gpcs[i].gpc == gpc)
			return &c->gpcs[i];
	return NULL;
}

static struct gpc_owner *gpc_note(struct conv *c, uint64_t gpc, uint32_t pid)
{
	struct gpc_owner *g = gpc_find(c, gpc);
	if (g && !g->freed)
		return g;
	if (c->ngpcs == c->cap_gpcs) {
		c->cap_gpcs = c->cap_gpcs ? c->cap_gpcs * 2 : 16;
		c->gpcs = realloc(c->gpcs, c->cap_gpcs * sizeof(*c->gpcs));
		if (!c->gpcs) {
			fprintf(stderr, "trace2perfetto: out of memory\n");
			exit(2);
		}
	}
	g = &c->gpcs[c->ngpcs++];
	*g = (struct gpc_owner){ gpc, pid, false };
	return g;
}

static void pid_name(char *buf, size_t n, uint64_t pid)
{
	if (pid)
		snprintf(buf, n, "pid %" PRIu64, pid);
	else
		snprintf(buf, n, "kernel");
}

/* ---- one event ---- */

static void on_event(struct conv *c, const struct tl_event *e)
{
	unsigned cpu = e->cpu < c->ncpus ? e->cpu : 0;
	struct cpu_state *s = &c->cpu[cpu];
	uint64_t ts = convert_ts_ns(c->t, e->ts);
	unsigned role = ev_info[e->id].role;
	uint32_t cat = c->cat[trace_event_descs[e->id].category];
	struct anns as = { .n = 0 };
	char name[160], buf[32], who[32];

	/* A halted core wakes up for whatever it records next. */
	if (role != ROLE_IDLE && s->depth && s->kind[s->depth - 1] == K_IDLE)
		act_end(c, cpu, ts, K_IDLE, NULL, 0);

	switch (role) {
	case ROLE_LOST:
		ann_fields(c, &as, e);
		snprintf(name, sizeof(name), "LOST %" PRIu64 " records (%s)", fld(e, EF_COUNT),
			 field_text(c, e, (unsigned)ev_field_idx(e->id, EF_REASON), buf, sizeof(buf)));
		emit_instant(c, ts, s->act, intern_name(c, name), e, &as, 0, 0);
		break;

	case ROLE_IRQ_BEGIN:
		ann_fields(c, &as, e);
		snprintf(name, sizeof(name), "irq %s",
			 field_text(c, e, (unsigned)ev_field_idx(e->id, EF_VECTOR), buf, sizeof(buf)));
		act_begin(c, cpu, ts, K_IRQ, intern_name(c, name), e, &as, 0, 0);
		break;
	case ROLE_IRQ_END:
		ann_end_fields(c, &as, e, cpu, K_IRQ);
		if (!act_end(c, cpu, ts, K_IRQ, &as, c->s_unwound))
			c->st->unmatched_ends++;
		break;

	case ROLE_SYSCALL_BEGIN:
		ann_fields(c, &as, e);
		snprintf(name, sizeof(name), "syscall %s",
			 field_text(c, e, (unsigned)ev_field_idx(e->id, EF_NUM), buf, sizeof(buf)));
		act_begin(c, cpu, ts, K_SYSCALL, intern_name(c, name), e, &as, 0, 0);
		break;
	case ROLE_SYSCALL_END:
		ann_end_fields(c, &as, e, cpu, K_SYSCALL);
		if (!act_end(c, cpu, ts, K_SYSCALL, &as, c->s_unwound))
			c->st->unmatched_ends++;
		break;

	case ROLE_KMSG_SEND: {
		ann_fields(c, &as, e);
		uint64_t flow = ++c->next_flow;
		if (c->npend == MAX_PENDING) {  /* never dispatched: forget the oldest */
			memmove(c->pend, c->pend + 1, (MAX_PENDING - 1) * sizeof(c->pend[0]));
			c->npend--;
		}
		c->pend[c->npend++] = (struct pending_kmsg){
			.src = (uint16_t)cpu, .dst = (uint16_t)fld(e, EF_DST),
			.type = fld(e, EF_TYPE), .handler = fld(e, EF_HANDLER), .flow = flow,
		};
		const char *fn = kaddr2line_func(c->k, fld(e, EF_HANDLER));
		snprintf(name, sizeof(name), "kmsg send %s -> CPU %" PRIu64,
			 fn ? fn : kaddr2line_lookup(c->k, fld(e, EF_HANDLER)), fld(e, EF_DST));
		emit_instant(c, ts, s->act, intern_name(c, name), e, &as, flow, 0);
		break;
	}
	case ROLE_KMSG_BEGIN: {
		ann_fields(c, &as, e);
		uint64_t flow = 0;
		/* Per-core queues are FIFO: the oldest matching send is this one. */
		for (size_t i = 0; i < c->npend; i++) {
			struct pending_kmsg *p = &c->pend[i];
			if (p->dst == cpu && p->src == fld(e, EF_SRC) && p->type == fld(e, EF_TYPE) &&
			    p->handler == fld(e, EF_HANDLER)) {
				flow = p->flow;
				memmove(p, p + 1, (c->npend - i - 1) * sizeof(*p));
				c->npend--;
				c->st->flows++;
				break;
			}
		}
		const char *fn = kaddr2line_func(c->k, fld(e, EF_HANDLER));
		snprintf(name, sizeof(name), "kmsg %s",
			 fn ? fn : kaddr2line_lookup(c->k, fld(e, EF_HANDLER)));
		act_begin(c, cpu, ts, K_KMSG, intern_name(c, name), e, &as, 0, flow);
		break;
	}
	case ROLE_KMSG_END:
		ann_end_fields(c, &as, e, cpu, K_KMSG);
		if (!act_end(c, cpu, ts, K_KMSG, &as, c->s_unwound))
			c->st->unmatched_ends++;
		break;

	case ROLE_GUEST_BEGIN:
		/* Entering the guest with a lingering VMCS: it is in use again. */
		if (s->vmcs.open && s->vmcs.lingering && s->vmcs.key == fld(e, EF_GPC)) {
			pid_name(who, sizeof(who), s->vmcs.pid);
			snprintf(name, sizeof(name), "%s VMCS loaded", who);
			lane_open(c, &s->vmcs, ts, name, cat, NULL, s->vmcs.key, s->vmcs.pid);
		}
		ann_fields(c, &as, e);
		pid_name(who, sizeof(who), fld(e, EF_PID));
		snprintf(name, sizeof(name), "guest of %s", who);
		act_begin(c, cpu, ts, K_GUEST, intern_name(c, name), e, &as, 0, 0);
		break;
	case ROLE_GUEST_END:
		ann_end_fields(c, &as, e, cpu, K_GUEST);
		if (!act_end(c, cpu, ts, K_GUEST, &as, c->s_unwound))
			c->st->unmatched_ends++;
		break;

	case ROLE_IDLE:
		if (!(s->depth && s->kind[s->depth - 1] == K_IDLE))
			act_begin(c, cpu, ts, K_IDLE, c->n_idle, e, NULL, 0, 0);
		break;

	case ROLE_CRASH_TRAP:
	case ROLE_CRASH_PANIC:
		ann_fields(c, &as, e);
		if (role == ROLE_CRASH_TRAP)
			snprintf(name, sizeof(name), "TRAP %s at %s",
				 field_text(c, e, (unsigned)ev_field_idx(e->id, EF_VECTOR), buf, sizeof(buf)),
				 kaddr2line_lookup(c->k, fld(e, EF_RIP)));
		else
			snprintf(name, sizeof(name), "PANIC at %s", kaddr2line_lookup(c->k, fld(e, EF_SITE)));
		emit_instant(c, ts, s->act, intern_name(c, name), e, &as, 0, 0);
		/* The first trap or panic is the cause; later ones are fallout. */
		if (!c->crash_desc[0])
			snprintf(c->crash_desc, sizeof(c->crash_desc), "crash: %s (CPU %u)", name, cpu);
		if (role == ROLE_CRASH_PANIC)
			c->st->crashed = true;
		break;

	case ROLE_CUR_PROC:
	case ROLE_OWNING_PROC: {
		struct lane *l = role == ROLE_CUR_PROC ? &s->cur : &s->own;
		ann_fields(c, &as, e);
		uint64_t pid = fld(e, EF_NEW);
		if (pid) {
			pid_name(who, sizeof(who), pid);
			lane_open(c, l, ts, who, cat, &as, pid, (uint32_t)pid);
		} else {
			lane_close(c, l, ts, &as);
		}
		break;
	}

	case ROLE_PROC_CREATE: {
		struct proc_track *p = proc_get(c, (uint32_t)fld(e, EF_PID), true);
		ann_fields(c, &as, e);
		emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
		break;
	}
	case ROLE_PROC_STATE: {
		struct proc_track *p = proc_get(c, (uint32_t)fld(e, EF_PID), false);
		ann_fields(c, &as, e);
		if (p->state_open)
			emit(c, ts, p->state, PF_SLICE_END, 0, 0, NULL, 0, 0);
		p->state_open = false;
		const char *st = field_text(c, e, (unsigned)ev_field_idx(e->id, EF_NEW), buf, sizeof(buf));
		if (fld(e, EF_NEW) != 0) {  /* 0 is FREE: nothing to draw */
			emit(c, ts, p->state, PF_SLICE_BEGIN, intern_name(c, st), cat, &as, 0, 0);
			p->state_open = true;
		}
		break;
	}
	case ROLE_PROC_FREE: {
		struct proc_track *p = proc_get(c, (uint32_t)fld(e, EF_PID), false);
		ann_fields(c, &as, e);
		if (p->state_open)
			emit(c, ts, p->state, PF_SLICE_END, 0, 0, NULL, 0, 0);
		p->state_open = false;
		emit_instant(c, ts, p->refs, intern_name(c, "__proc_free"), e, &as, 0, 0);
		emit_instant(c, ts, s->act, intern_name(c, "__proc_free"), e, &as, 0, 0);
		p->freed = true;
		break;
	}
	case ROLE_PROC_LEAK: {
		struct proc_track *p = proc_get(c, (uint32_t)fld(e, EF_PID), false);
		ann_fields(c, &as, e);
		emit_instant(c, ts, p->state, intern_name(c, "LEAKED at shutdown"), e, &as, 0, 0);
		break;
	}
	case ROLE_KREF:
	case ROLE_KREF_ERROR: {
		struct proc_track *p = proc_get(c, (uint32_t)fld(e, EF_PID), false);
		ann_fields(c, &as, e);
		const char *why = field_text(c, e, (unsigned)ev_field_idx(e->id, EF_REASON), buf,
					     sizeof(buf));
		struct pf_event ev = {
			.ts_ns = ts, .track = p->refs, .type = PF_INSTANT,
			.cat_iid = cat, .n_ann = as.n,
		};
		if (role == ROLE_KREF) {
			snprintf(name, sizeof(name), "%s %s %" PRIu64 "->%" PRIu64,
				 e->id == TRACE_EV_kref_get ? "get" : "put", why,
				 fld(e, EF_OLD), fld(e, EF_NEW));
			ev.extra_counter_track = p->count;
			ev.extra_counter = (int64_t)fld(e, EF_NEW);
		} else {
			char kind[32];
			snprintf(kind, sizeof(kind), "%s",
				 field_text(c, e, (unsigned)ev_field_idx(e->id, EF_KIND), buf, sizeof(buf)));
			snprintf(name, sizeof(name), "KREF ERROR %s (%s)", kind, why);
			emit_instant(c, ts, s->act, intern_name(c, name), e, &as, 0, 0);
		}
		ev.name_iid = intern_name(c, name);
		pf_emit(c->w, &ev, as.a);
		break;
	}

	case ROLE_KTHREAD_BLOCK: {
		ann_fields(c, &as, e);
		uint64_t kt = fld(e, EF_KTHREAD) % MAX_KTHREADS;
		uint64_t flow = ++c->next_flow;
		c->kt[kt].flow = flow;
		c->kt[kt].name_iid = 0;
		/* The kthread leaves the core: its syscall slice ends here and
		 * resumes wherever the kthread restarts. */
		for (int i = (int)s->depth - 1; i >= 0; i--) {
			if (s->kind[i] == K_SYSCALL) {
				snprintf(name, sizeof(name), "%s (resumed)",
					 pf_interned(c->w, PF_EVENT_NAME, s->name[i]));
				c->kt[kt].name_iid = intern_name(c, name);
				struct anns b = { .n = 0 };
				ann_add(&b, c->a_closed, PF_ANN_STR, intern_str(c, "kthread blocked"));
				act_end(c, cpu, ts, K_SYSCALL, &b, c->s_unwound);
				break;
			}
		}
		snprintf(name, sizeof(name), "kthread %" PRIu64 " blocks", fld(e, EF_KTHREAD));
		emit_instant(c, ts, s->act, intern_name(c, name), e, &as, flow, 0);
		break;
	}
	case ROLE_KTHREAD_WAKE: {
		ann_fields(c, &as, e);
		uint64_t kt = fld(e, EF_KTHREAD) % MAX_KTHREADS;
		snprintf(name, sizeof(name), "wake kthread %" PRIu64 " -> CPU %" PRIu64,
			 fld(e, EF_KTHREAD), fld(e, EF_TARGET));
		emit_instant(c, ts, s->act, intern_name(c, name), e, &as, c->kt[kt].flow, 0);
		break;
	}
	case ROLE_KTHREAD_RESTART: {
		ann_fields(c, &as, e);
		uint64_t kt = fld(e, EF_KTHREAD) % MAX_KTHREADS;
		uint64_t flow = c->kt[kt].flow;
		/* restart_kthread never returns to the KMSG handler that called
		 * it: whatever was open on this core ends here. */
		while (s->depth) {
			struct anns u = { .n = 0 };
			ann_add(&u, c->a_closed, PF_ANN_STR, c->s_restart);
			emit(c, ts, s->act, PF_SLICE_END, 0, 0, &u, 0, 0);
			s->depth--;
		}
		snprintf(name, sizeof(name), "restart kthread %" PRIu64, fld(e, EF_KTHREAD));
		emit_instant(c, ts, s->act, intern_name(c, name), e, &as, 0, flow);
		if (flow)
			c->st->flows++;
		if (c->kt[kt].name_iid)
			act_begin(c, cpu, ts, K_SYSCALL, c->kt[kt].name_iid, e, NULL, 0, 0);
		c->kt[kt].flow = 0;
		c->kt[kt].name_iid = 0;
		break;
	}

	case ROLE_GPC_CREATE: {
		gpc_note(c, fld(e, EF_GPC), (uint32_t)fld(e, EF_PID));
		struct proc_track *p = proc_get(c, (uint32_t)fld(e, EF_PID), false);
		ann_fields(c, &as, e);
		emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
		break;
	}
	case ROLE_GPC_FREE: {
		uint64_t gpc = fld(e, EF_GPC);
		struct gpc_owner *g = gpc_note(c, gpc, (uint32_t)fld(e, EF_PID));
		struct proc_track *p = proc_get(c, (uint32_t)fld(e, EF_PID), false);
		ann_fields(c, &as, e);
		emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
		g->freed = true;
		/* A VMCS still cached on a core now points at a freed page: the
		 * lane says so until the core clears it. */
		for (unsigned i = 0; i < c->ncpus; i++) {
			struct lane *l = &c->cpu[i].vmcs;
			if (l->open && l->key == gpc) {
				struct anns d = { .n = 0 };
				ann_add(&d, c->a_dangling, PF_ANN_BOOL, 1);
				pid_name(who, sizeof(who), l->pid);
				snprintf(name, sizeof(name), "%s VMCS FREED, still cached", who);
				lane_open(c, l, ts, name, cat, &d, gpc, l->pid);
			}
		}
		break;
	}
	case ROLE_VMCS_LOAD:
	case ROLE_VMCS_LINGER: {
		uint64_t gpc = fld(e, EF_GPC);
		gpc_note(c, gpc, (uint32_t)fld(e, EF_PID));
		ann_fields(c, &as, e);
		pid_name(who, sizeof(who), fld(e, EF_PID));
		snprintf(name, sizeof(name), "%s VMCS %s", who,
			 role == ROLE_VMCS_LOAD ? "loaded" : "lingering");
		lane_open(c, &s->vmcs, ts, name, cat, &as, gpc, (uint32_t)fld(e, EF_PID));
		s->vmcs.lingering = role == ROLE_VMCS_LINGER;
		break;
	}
	case ROLE_VMCS_CLEAR: {
		uint64_t gpc = fld(e, EF_GPC);
		struct gpc_owner *g = gpc_find(c, gpc);
		ann_fields(c, &as, e);
		if (s->vmcs.open && s->vmcs.key == gpc)
			lane_close(c, &s->vmcs, ts, &as);
		snprintf(name, sizeof(name), "VMCLEAR%s from %s", g && g->freed ? " OF A FREED GPC" : "",
			 kaddr2line_lookup(c->k, fld(e, EF_SITE)));
		emit_instant(c, ts, s->act, intern_name(c, name), e, &as, 0, 0);
		break;
	}
	case ROLE_INVEPT:
		ann_fields(c, &as, e);
		snprintf(name, sizeof(name), "INVEPT eptp=0x%" PRIx64 "%s", fld(e, EF_EPTP),
			 fld(e, EF_RESULT) ? " FAILED" : "");
		emit_instant(c, ts, s->act, intern_name(c, name), e, &as, 0, 0);
		break;

	case ROLE_PROC_INSTANT:
		if (ev_field_idx(e->id, EF_PID) >= 0 && fld(e, EF_PID)) {
			struct proc_track *p = proc_get(c, (uint32_t)fld(e, EF_PID), false);
			ann_fields(c, &as, e);
			emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
			break;
		}
		/* fall through */
	default:
		ann_fields(c, &as, e);
		emit_instant(c, ts, s->act, c->ev_name[e->id], e, &as, 0, 0);
		break;
	}
}

/* ---- the whole trace ---- */

static void intern_common(struct conv *c)
{
	for (unsigned i = 0; i < TRACE_NUM_CATEGORIES; i++)
		c->cat[i] = pf_intern(c->w, PF_CATEGORY, trace_category_descs[i].name);
	for (unsigned i = 0; i < TRACE_NUM_EVENTS; i++) {
		c->ev_name[i] = intern_name(c, trace_event_descs[i].name);
		for (unsigned f = 0; f < trace_event_descs[i].nfields; f++)
			c->field_ann[i][f] = pf_intern(c->w, PF_ANN_NAME,
						       trace_event_descs[i].field[f].name);
	}
	c->a_closed = pf_intern(c->w, PF_ANN_NAME, "closed_by");
	c->a_dangling = pf_intern(c->w, PF_ANN_NAME, "dangling");
	c->s_end = intern_str(c, "end of trace");
	c->s_unwound = intern_str(c, "unwound: an outer slice ended first");
	c->s_restart = intern_str(c, "restart_kthread (never returned)");
	c->n_idle = intern_name(c, "idle");
}

static void add_cpu_tracks(struct conv *c)
{
	char name[64];
	for (unsigned i = 0; i < c->ncpus; i++) {
		struct cpu_state *s = &c->cpu[i];
		snprintf(name, sizeof(name), "CPU %u", i);
		s->group = add_track(c, 0, PF_TRACK_SLICE, name, (int32_t)i, 0, NULL);
		snprintf(name, sizeof(name), "CPU %u activity", i);
		s->act = add_track(c, s->group, PF_TRACK_SLICE, name, 0, 0, NULL);
		snprintf(name, sizeof(name), "CPU %u cur_proc", i);
		s->cur.uuid = add_track(c, s->group, PF_TRACK_SLICE, name, 1, 0, NULL);
		snprintf(name, sizeof(name), "CPU %u owning_proc", i);
		s->own.uuid = add_track(c, s->group, PF_TRACK_SLICE, name, 2, 0, NULL);
		snprintf(name, sizeof(name), "CPU %u VMCS", i);
		s->vmcs.uuid = add_track(c, s->group, PF_TRACK_SLICE, name, 3, 0, NULL);
	}
}

void convert_trace(const struct tl_trace *t, struct pf_writer *w, struct kaddr2line *k,
		   bool lean, struct convert_stats *st)
{
	struct conv *c = xcalloc(1, sizeof(*c));
	c->lean = lean;
	c->t = t;
	c->w = w;
	c->k = k;
	c->st = st;
	c->next_uuid = 1;
	c->next_flow = 0x1000;
	memset(st, 0, sizeof(*st));

	unsigned ncpus = t->hdr.ncpus;
	if (ncpus < t->ncpus_seen)
		ncpus = t->ncpus_seen;
	if (ncpus == 0)
		ncpus = 1;
	if (ncpus > TRACE_MAX_CPUS)
		ncpus = TRACE_MAX_CPUS;
	c->ncpus = ncpus;

	intern_common(c);
	add_cpu_tracks(c);

	for (size_t i = 0; i < t->nev; i++) {
		if (t->ev[i].id >= TRACE_NUM_EVENTS)
			continue;
		on_event(c, &t->ev[i]);
		st->records++;
	}

	/* Close what is still open, where the trace ends. */
	if (t->hdr.flags & TRACE_AREA_PANIC)
		st->crashed = true;
	uint64_t end = t->nev ? convert_ts_ns(t, t->ev[t->nev - 1].ts) : 0;
	uint32_t why = c->s_end;
	if (st->crashed)
		why = intern_str(c, c->crash_desc[0] ? c->crash_desc : "crash (kernel panic)");
	for (unsigned i = 0; i < c->ncpus; i++) {
		struct cpu_state *s = &c->cpu[i];
		act_close_all(c, i, end, why);
		struct lane *lanes[3] = { &s->cur, &s->own, &s->vmcs };
		for (int j = 0; j < 3; j++) {
			if (!lanes[j]->open)
				continue;
			struct anns u = { .n = 0 };
			ann_add(&u, c->a_closed, PF_ANN_STR, why);
			lane_close(c, lanes[j], end, &u);
			st->closed_at_end++;
		}
	}
	for (size_t i = 0; i < c->nprocs; i++) {
		if (!c->procs[i].state_open)
			continue;
		struct anns u = { .n = 0 };
		ann_add(&u, c->a_closed, PF_ANN_STR, why);
		emit(c, end, c->procs[i].state, PF_SLICE_END, 0, 0, &u, 0, 0);
		st->closed_at_end++;
	}
	free(c->procs);
	free(c->gpcs);
	free(c);
}
