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
#include "tools/perfetto/convert_state.h"

void *cv_xcalloc(size_t n, size_t sz)
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

uint32_t cv_intern_name(struct conv *c, const char *s)
{
	return pf_intern(c->w, PF_EVENT_NAME, s);
}

uint32_t cv_intern_str(struct conv *c, const char *s)
{
	return pf_intern(c->w, PF_ANN_STRING, s);
}

uint64_t cv_add_track(struct conv *c, uint64_t parent, enum pf_track_kind kind,
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


void cv_ann_add(struct anns *as, uint32_t name_iid, enum pf_ann_kind kind, uint64_t v)
{
	if (as->n < PF_MAX_ANN)
		as->a[as->n++] = (struct pf_ann){ name_iid, kind, v };
}

/* The text of field f of e for humans: enum names, symbolised addresses. */
const char *cv_field_text(struct conv *c, const struct tl_event *e, unsigned f,
		       char *buf, size_t n)
{
	const struct trace_field_desc *fd = &trace_event_descs[e->id].field[f];
	uint64_t v = e->field[f];
	if (fd->type == TRACE_FT_KSYM)
		return kaddr2line_lookup(c->k, v);
	if (fd->type == TRACE_FT_ENUM) {
		const char *s;
		if (fd->enum_id < TRACE_NUM_ENUMS && v < ENUM_CACHE_VALUES) {
			if (!c->enum_known[fd->enum_id][v]) {
				c->enum_name[fd->enum_id][v] = trace_enum_value_name(fd->enum_id, v);
				c->enum_known[fd->enum_id][v] = true;
			}
			s = c->enum_name[fd->enum_id][v];
		} else {
			s = trace_enum_value_name(fd->enum_id, v);
		}
		if (s)
			return s;
	}
	if (fd->type == TRACE_FT_NAME16) {
		char text[TRACE_NAME16_BYTES + 1];
		trace_name16_text(&e->field[f], text);  /* the last field: words f, f+1 */
		snprintf(buf, n, "%s", text);
	} else if (fd->type == TRACE_FT_HEX || fd->type == TRACE_FT_PTR)
		snprintf(buf, n, "0x%" PRIx64, v);
	else
		snprintf(buf, n, "%" PRIu64, v);
	return buf;
}

/* Every field of e as an arg, typed so the UI shows it well. */
void cv_ann_fields(struct conv *c, struct anns *as, const struct tl_event *e)
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
			cv_ann_add(as, name, PF_ANN_PTR, e->field[f]);
			break;
		case TRACE_FT_KSYM:
		case TRACE_FT_ENUM:
		case TRACE_FT_NAME16:
			cv_ann_add(as, name, PF_ANN_STR,
				cv_intern_str(c, cv_field_text(c, e, f, buf, sizeof(buf))));
			break;
		default:
			cv_ann_add(as, name, PF_ANN_UINT, e->field[f]);
		}
	}
}

/*
 * The fields of an END event, less those its BEGIN already showed with the
 * same value (the importer merges BEGIN and END args, so nothing is lost
 * and a VM exit does not repeat the pid and GPC of its entry).
 */
void cv_ann_end_fields(struct conv *c, struct anns *as, const struct tl_event *e,
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
	cv_ann_fields(c, &all, e);
	if (!b) {
		*as = all;
		return;
	}
	struct anns shown = { .n = 0 };
	cv_ann_fields(c, &shown, b);
	for (unsigned i = 0; i < all.n; i++) {
		bool dup = false;
		for (unsigned j = 0; j < shown.n && !dup; j++)
			dup = all.a[i].name_iid == shown.a[j].name_iid &&
			      all.a[i].kind == shown.a[j].kind && all.a[i].value == shown.a[j].value;
		if (!dup)
			cv_ann_add(as, all.a[i].name_iid, (enum pf_ann_kind)all.a[i].kind, all.a[i].value);
	}
}

uint64_t cv_fld(const struct tl_event *e, enum ev_field f)
{
	int i = ev_field_idx(e->id, f);
	return i >= 0 && i < e->nfields ? e->field[i] : 0;
}

/* ---- emitting ---- */

void cv_emit(struct conv *c, uint64_t ts, uint64_t track, enum pf_event_type type,
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

void cv_emit_instant(struct conv *c, uint64_t ts, uint64_t track, uint32_t name,
		  const struct tl_event *e, const struct anns *as, uint64_t flow,
		  uint64_t flow_end)
{
	cv_emit(c, ts, track, PF_INSTANT, name, c->cat[trace_event_descs[e->id].category], as,
	     flow, flow_end);
}

/* A lane shows one named slice at a time. */
void cv_lane_close(struct conv *c, struct lane *l, uint64_t ts, const struct anns *as)
{
	if (!l->open)
		return;
	cv_emit(c, ts, l->uuid, PF_SLICE_END, 0, 0, as, 0, 0);
	l->open = false;
}

void cv_lane_open(struct conv *c, struct lane *l, uint64_t ts, const char *name,
	       uint32_t cat, const struct anns *as, uint64_t key, uint32_t pid)
{
	cv_lane_close(c, l, ts, NULL);
	cv_emit(c, ts, l->uuid, PF_SLICE_BEGIN, cv_intern_name(c, name), cat, as, 0, 0);
	l->open = true;
	l->key = key;
	l->pid = pid;
	l->lingering = false;
}

/* The activity stack of a core. */
void cv_act_begin(struct conv *c, unsigned cpu, uint64_t ts, enum act_kind kind,
	       uint32_t name, const struct tl_event *e, const struct anns *as,
	       uint64_t flow, uint64_t flow_end)
{
	struct cpu_state *s = &c->cpu[cpu];
	if (s->depth == MAX_DEPTH) {
		/* Never leave a begin without its end: too deep becomes an instant. */
		cv_emit_instant(c, ts, s->act, name, e, as, flow, flow_end);
		return;
	}
	cv_emit(c, ts, s->act, PF_SLICE_BEGIN, name, c->cat[trace_event_descs[e->id].category],
	     as, flow, flow_end);
	s->name[s->depth] = name;
	s->begin[s->depth] = as && as->n ? e : NULL;  /* only args it showed */
	s->kind[s->depth++] = (uint8_t)kind;
}

/* Closes the innermost open slice of `kind`, and anything still open inside
 * it (handlers that never returned, e.g. a KMSG that restarted a kthread),
 * marking those with `why`. Returns false if no slice of that kind is open. */
bool cv_act_end(struct conv *c, unsigned cpu, uint64_t ts, enum act_kind kind,
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
		cv_ann_add(&u, c->a_closed, PF_ANN_STR, why);
		cv_emit(c, ts, s->act, PF_SLICE_END, 0, 0, &u, 0, 0);
		s->depth--;
	}
	cv_emit(c, ts, s->act, PF_SLICE_END, 0, 0, as, 0, 0);
	s->depth--;
	return true;
}

void cv_act_close_all(struct conv *c, unsigned cpu, uint64_t ts, uint32_t why)
{
	struct cpu_state *s = &c->cpu[cpu];
	while (s->depth) {
		struct anns u = { .n = 0 };
		cv_ann_add(&u, c->a_closed, PF_ANN_STR, why);
		cv_emit(c, ts, s->act, PF_SLICE_END, 0, 0, &u, 0, 0);
		s->depth--;
		c->st->closed_at_end++;
	}
}

/* ---- processes and GPCs ---- */

/* "vmm [3]", or "pid 3" unnamed; " (2)" for the second process of a pid. */
static void proc_track_name(char *buf, size_t n, uint32_t pid, unsigned gen, const char *name)
{
	int k = name[0] ? snprintf(buf, n, "%s [%u]", name, pid) : snprintf(buf, n, "pid %u", pid);
	if (gen > 1 && k > 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, " (%u)", gen);
}

struct proc_track *cv_proc_get(struct conv *c, uint32_t pid, bool fresh)
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
	proc_track_name(name, sizeof(name), pid, gen, "");
	struct proc_track *p = &c->procs[c->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->gen = gen;
	p->group = cv_add_track(c, 0, PF_TRACK_PROCESS, name, (int32_t)(1000 + pid), (int32_t)pid, NULL);
	snprintf(sub, sizeof(sub), "%s refcount", name);
	p->count = cv_add_track(c, p->group, PF_TRACK_COUNTER, sub, 0, 0, "refs");
	snprintf(sub, sizeof(sub), "%s refs", name);
	p->refs = cv_add_track(c, p->group, PF_TRACK_SLICE, sub, 1, 0, NULL);
	snprintf(sub, sizeof(sub), "%s state", name);
	p->state = cv_add_track(c, p->group, PF_TRACK_SLICE, sub, 2, 0, NULL);
	return p;
}

/*
 * Track descriptors are written when the conversion ends, so a process's
 * tracks carry the last name it had (after an exec, the program it became);
 * the per-CPU lanes name it as it was at each moment (cv_pid_name).
 */
void cv_proc_set_name(struct conv *c, struct proc_track *p, const char *name)
{
	char group[64], sub[96];
	if (!name[0] || !strcmp(p->name, name))
		return;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->label, sizeof(p->label), "%s [%u]", p->name, p->pid);
	proc_track_name(group, sizeof(group), p->pid, p->gen, p->name);
	pf_track_rename(c->w, p->group, group, p->name);
	snprintf(sub, sizeof(sub), "%s refcount", group);
	pf_track_rename(c->w, p->count, sub, NULL);
	snprintf(sub, sizeof(sub), "%s refs", group);
	pf_track_rename(c->w, p->refs, sub, NULL);
	snprintf(sub, sizeof(sub), "%s state", group);
	pf_track_rename(c->w, p->state, sub, NULL);
}

struct gpc_owner *cv_gpc_find(struct conv *c, uint64_t gpc)
{
	for (size_t i = c->ngpcs; i-- > 0;)
		if (c->gpcs[i].gpc == gpc)
			return &c->gpcs[i];
	return NULL;
}

struct gpc_owner *cv_gpc_note(struct conv *c, uint64_t gpc, uint32_t pid)
{
	struct gpc_owner *g = cv_gpc_find(c, gpc);
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

uint64_t cv_pend_send(struct conv *c, enum pend_kind kind, unsigned src, unsigned dst,
		      uint64_t a, uint64_t b)
{
	if (c->npend == MAX_PENDING) {  /* never arrived: forget the oldest */
		memmove(c->pend, c->pend + 1, (MAX_PENDING - 1) * sizeof(c->pend[0]));
		c->npend--;
	}
	uint64_t flow = ++c->next_flow;
	c->pend[c->npend++] = (struct pending){
		.kind = (uint8_t)kind, .src = (uint16_t)src, .dst = (uint16_t)dst,
		.a = a, .b = b, .flow = flow,
	};
	return flow;
}

/* Queues are FIFO (per-core KMSG queues, IPIs, signals): the oldest
 * matching message is the one that arrives. ANY_CPU matches any core. */
uint64_t cv_pend_arrive(struct conv *c, enum pend_kind kind, unsigned src, unsigned dst,
			uint64_t a, uint64_t b)
{
	for (size_t i = 0; i < c->npend; i++) {
		struct pending *p = &c->pend[i];
		if (p->kind == kind && (src == ANY_CPU || p->src == src) &&
		    (dst == ANY_CPU || p->dst == dst) && p->a == a && p->b == b) {
			uint64_t flow = p->flow;
			memmove(p, p + 1, (c->npend - i - 1) * sizeof(*p));
			c->npend--;
			c->st->flows++;
			return flow;
		}
	}
	return 0;
}

void cv_pid_name(struct conv *c, char *buf, size_t n, uint64_t pid)
{
	if (!pid) {
		snprintf(buf, n, "kernel");
		return;
	}
	for (size_t i = c->nprocs; i-- > 0;) {
		if (c->procs[i].pid == pid) {
			size_t k = strlen(c->procs[i].label);
			if (!k)
				break;
			if (k >= n)
				k = n - 1;
			memcpy(buf, c->procs[i].label, k);  /* once per lane change: no printf */
			buf[k] = '\0';
			return;
		}
	}
	snprintf(buf, n, "pid %" PRIu64, pid);
}
/* ---- the whole trace ---- */

static void intern_common(struct conv *c)
{
	for (unsigned i = 0; i < TRACE_NUM_CATEGORIES; i++)
		c->cat[i] = pf_intern(c->w, PF_CATEGORY, trace_category_descs[i].name);
	for (unsigned i = 0; i < TRACE_NUM_EVENTS; i++) {
		c->ev_name[i] = cv_intern_name(c, trace_event_descs[i].name);
		for (unsigned f = 0; f < trace_event_descs[i].nfields; f++)
			c->field_ann[i][f] = pf_intern(c->w, PF_ANN_NAME,
						       trace_event_descs[i].field[f].name);
	}
	c->a_closed = pf_intern(c->w, PF_ANN_NAME, "closed_by");
	c->a_dangling = pf_intern(c->w, PF_ANN_NAME, "dangling");
	c->s_end = cv_intern_str(c, "end of trace");
	c->s_unwound = cv_intern_str(c, "unwound: an outer slice ended first");
	c->s_restart = cv_intern_str(c, "restart_kthread (never returned)");
	c->n_idle = cv_intern_name(c, "idle");
}

static void add_cpu_tracks(struct conv *c)
{
	char name[64];
	for (unsigned i = 0; i < c->ncpus; i++) {
		struct cpu_state *s = &c->cpu[i];
		snprintf(name, sizeof(name), "CPU %u", i);
		s->group = cv_add_track(c, 0, PF_TRACK_SLICE, name, (int32_t)i, 0, NULL);
		snprintf(name, sizeof(name), "CPU %u activity", i);
		s->act = cv_add_track(c, s->group, PF_TRACK_SLICE, name, 0, 0, NULL);
		snprintf(name, sizeof(name), "CPU %u cur_proc", i);
		s->cur.uuid = cv_add_track(c, s->group, PF_TRACK_SLICE, name, 1, 0, NULL);
		snprintf(name, sizeof(name), "CPU %u owning_proc", i);
		s->own.uuid = cv_add_track(c, s->group, PF_TRACK_SLICE, name, 2, 0, NULL);
		snprintf(name, sizeof(name), "CPU %u VMCS", i);
		s->vmcs.uuid = cv_add_track(c, s->group, PF_TRACK_SLICE, name, 3, 0, NULL);
	}
}

void convert_trace(const struct tl_trace *t, struct pf_writer *w, struct kaddr2line *k,
		   bool lean, struct convert_stats *st)
{
	struct conv *c = cv_xcalloc(1, sizeof(*c));
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
		cv_event(c, &t->ev[i]);
		st->records++;
	}

	/* Close what is still open, where the trace ends. */
	if (t->hdr.flags & TRACE_AREA_PANIC)
		st->crashed = true;
	uint64_t end = t->nev ? convert_ts_ns(t, t->ev[t->nev - 1].ts) : 0;
	uint32_t why = c->s_end;
	if (st->crashed)
		why = cv_intern_str(c, c->crash_desc[0] ? c->crash_desc : "crash (kernel panic)");
	for (unsigned i = 0; i < c->ncpus; i++) {
		struct cpu_state *s = &c->cpu[i];
		cv_act_close_all(c, i, end, why);
		struct lane *lanes[3] = { &s->cur, &s->own, &s->vmcs };
		for (int j = 0; j < 3; j++) {
			if (!lanes[j]->open)
				continue;
			struct anns u = { .n = 0 };
			cv_ann_add(&u, c->a_closed, PF_ANN_STR, why);
			cv_lane_close(c, lanes[j], end, &u);
			st->closed_at_end++;
		}
	}
	for (size_t i = 0; i < c->nprocs; i++) {
		if (!c->procs[i].state_open)
			continue;
		struct anns u = { .n = 0 };
		cv_ann_add(&u, c->a_closed, PF_ANN_STR, why);
		cv_emit(c, end, c->procs[i].state, PF_SLICE_END, 0, 0, &u, 0, 0);
		st->closed_at_end++;
	}
	free(c->procs);
	free(c->gpcs);
	free(c);
}
