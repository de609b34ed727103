/*
 * tracecheck: the invariants of the process model and VMX, checked over a
 * raw trace, each broken one printed with the chain of events that led to it.
 *
 *   tracecheck [--elf build/kernel.elf] [--max N] IN.raw
 *
 * Invariants (the event roles come from tools/perfetto/event_map.def):
 *   kref        no get from zero (other than the creation ref), no put below
 *               zero, and each get/put starts from the count the previous
 *               one left (a mismatch is an update the trace did not see)
 *   use-after-free
 *               nothing touches a freed proc or GPC: kref get/put, a KMSG
 *               carrying the proc, VMPTRLD, VM entry, VMCLEAR, INVEPT (an
 *               EPTP of 0 is what a freed proc's slot reads)
 *   dangling-core-pointer
 *               when a proc is freed, no core still has it as cur_proc or
 *               owning_proc (the pointer outlived the ref it stood for)
 *   vmcs-cached-at-free
 *               when a proc is freed, no core's lazy VMCS slot
 *               (gpc_to_clear_to) still holds one of its GPCs: the invariant
 *               that catches the abandon_core bug before it crashes
 *   leak        at shutdown, every proc is freed
 *   panic       the kernel did not panic
 *
 * Exit status: 0 clean, 1 violations, 2 unreadable (not a trace, another
 * format version or event table). A damaged trace is checked up to the
 * damage, with a warning.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/perfetto/event_map.h"
#include "tools/tracelib.h"

#define CHAIN_MAX 16
#define NONE SIZE_MAX
#define NO_CORE UINT64_MAX

struct proc {
	uint32_t pid;
	uint64_t ptr;
	int64_t count;      /* -1: unknown (after a loss) */
	bool freed;
	size_t freed_at;    /* event index of proc_free */
	char name[TRACE_NAME16_BYTES + 1]; /* its program (proc_create, proc_exec); "" unknown */
};

struct gpc {
	uint64_t gpc;
	uint32_t pid;
	bool freed;
	size_t freed_at;
};

struct checker {
	const struct tl_trace *t;
	const struct tl_syms *syms;
	struct proc *procs;
	size_t nprocs, cap_procs;
	struct gpc *gpcs;
	size_t ngpcs, cap_gpcs;
	uint64_t slot[TRACE_MAX_CPUS];     /* GPC whose VMCS is current per core; 0 none */
	size_t slot_at[TRACE_MAX_CPUS];    /* the event that put it there */
	uint64_t last_cleared[TRACE_MAX_CPUS]; /* the GPC a core VMCLEARed last */
	uint32_t cur[TRACE_MAX_CPUS], own[TRACE_MAX_CPUS];   /* cur_proc, owning_proc pids */
	uint64_t reported_cached[TRACE_MAX_CPUS]; /* GPC already reported cached at a free */
	size_t cur_at[TRACE_MAX_CPUS], own_at[TRACE_MAX_CPUS];
	size_t violations, printed, max_print;
	bool shutdown, panicked;
};

static uint64_t fld(const struct tl_event *e, enum ev_field f)
{
	int i = ev_field_idx(e->id, f);
	return i >= 0 && i < e->nfields ? e->field[i] : 0;
}

static void *grow(void *p, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	p = realloc(p, *cap * sz);
	if (!p) {
		fprintf(stderr, "tracecheck: out of memory\n");
		exit(2);
	}
	return p;
}

/* The live proc with this pid, else the most recent one. */
static struct proc *proc_by_pid(struct checker *c, uint32_t pid)
{
	struct proc *dead = NULL;
	for (size_t i = c->nprocs; i-- > 0;) {
		if (c->procs[i].pid != pid)
			continue;
		if (!c->procs[i].freed)
			return &c->procs[i];
		if (!dead)
			dead = &c->procs[i];
	}
	return dead;
}

static struct proc *proc_by_ptr(struct checker *c, uint64_t ptr)
{
	for (size_t i = c->nprocs; i-- > 0;)
		if (c->procs[i].ptr == ptr)
			return &c->procs[i];
	return NULL;
}

static struct gpc *gpc_find(struct checker *c, uint64_t g)
{
	for (size_t i = c->ngpcs; i-- > 0;)
		if (c->gpcs[i].gpc == g)
			return &c->gpcs[i];
	return NULL;
}

/* Does e mention the proc (pid or pointer) or the GPC? */
static bool mentions(const struct tl_event *e, uint32_t pid, uint64_t ptr, uint64_t gpc)
{
	const struct trace_event_desc *d = &trace_event_descs[e->id];
	for (unsigned f = 0; f < d->nfields && f < e->nfields; f++) {
		uint64_t v = e->field[f];
		switch (d->field[f].type) {
		case TRACE_FT_PID:
			if (pid && v == pid)
				return true;
			break;
		case TRACE_FT_PTR:
		case TRACE_FT_U64:
		case TRACE_FT_HEX:
			if ((ptr && v == ptr) || (gpc && v == gpc))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static void print_event(struct checker *c, const struct tl_event *e, const char *mark)
{
	char line[512];
	tl_format_event(line, sizeof(line), e, c->syms);
	printf("  %s %12.3f us  %s\n", mark, tl_ts_to_ns(c->t, e->ts) / 1000.0, line);
}

/*
 * Reports a violation at event index `at`: what broke, then the last events
 * that touched the same proc or GPC, oldest first, ending with the culprit.
 * `also` (or NONE) is an earlier event the chain must show however far back
 * it is: the VMCS load that left a GPC cached, the free before a use.
 */
static void violation(struct checker *c, size_t at, size_t also, uint32_t pid, uint64_t ptr,
		      uint64_t gpc, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

static void violation(struct checker *c, size_t at, size_t also, uint32_t pid, uint64_t ptr,
		      uint64_t gpc, const char *kind, const char *fmt, ...)
{
	va_list ap;
	c->violations++;
	if (c->printed >= c->max_print)
		return;
	c->printed++;
	printf("VIOLATION %zu [%s]: ", c->violations, kind);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	/* Whose chain it is, by name: "vmm [2]" (pid 2 running the program vmm). */
	struct proc *who = pid ? proc_by_pid(c, pid) : NULL;
	if (who && who->name[0])
		printf("\n  chain of events of %s [%u] (tracecat format; * = where it broke):\n",
		       who->name, pid);
	else
		printf("\n  chain of events (tracecat format; * = where it broke):\n");
	size_t chain[CHAIN_MAX], n = 0;
	/* A panic names no object: show what its core did last. */
	bool by_cpu = !pid && !ptr && !gpc;
	for (size_t i = at; i-- > 0 && n < (by_cpu ? 8 : CHAIN_MAX - 1);)
		if (by_cpu ? c->t->ev[i].cpu == c->t->ev[at].cpu
			   : mentions(&c->t->ev[i], pid, ptr, gpc))
			chain[n++] = i;
	if (also != NONE && also < at && (n == 0 || also < chain[n - 1])) {
		print_event(c, &c->t->ev[also], " ");
		printf("  ...\n");
	}
	while (n)
		print_event(c, &c->t->ev[chain[--n]], " ");
	print_event(c, &c->t->ev[at], "*");
	printf("\n");
}

static void on_kref(struct checker *c, size_t i, const struct tl_event *e, unsigned role)
{
	uint32_t pid = (uint32_t)fld(e, EF_PID);
	uint64_t ptr = fld(e, EF_PROC);
	struct proc *p = proc_by_ptr(c, ptr);
	if (!p || p->pid != pid)
		p = proc_by_pid(c, pid);
	const char *what = trace_event_descs[e->id].name;

	if (role == ROLE_KREF_ERROR) {
		char kind[32], reason[32];
		tl_format_field(kind, sizeof(kind), e, (unsigned)ev_field_idx(e->id, EF_KIND), NULL);
		tl_format_field(reason, sizeof(reason), e, (unsigned)ev_field_idx(e->id, EF_REASON), NULL);
		violation(c, i, NONE, pid, ptr, 0, "kref",
			  "%s on pid %u (reason %s, count %" PRId64 "): the kernel refused it%s",
			  kind, pid, reason, (int64_t)fld(e, EF_COUNT),
			  p && p->freed ? "; the proc was already freed" : "");
		return;
	}
	uint64_t old = fld(e, EF_OLD), nw = fld(e, EF_NEW);
	if (!p || (p->freed && ptr == p->ptr)) {
		if (p && p->freed) {
			violation(c, i, p->freed_at, pid, ptr, 0, "use-after-free",
				  "%s on pid %u after __proc_free", what, pid);
			return;
		}
	}
	if (e->id == TRACE_EV_kref_get && old == 0 &&
	    !(p && p->count == 0 && nw == 1 && fld(e, EF_REASON) == TRACE_ref_reason_CREATE)) {
		violation(c, i, NONE, pid, ptr, 0, "kref", "get from zero on pid %u", pid);
	} else if (e->id == TRACE_EV_kref_put && old == 0) {
		violation(c, i, NONE, pid, ptr, 0, "kref", "put below zero on pid %u", pid);
	} else if (p && p->count >= 0 && (int64_t)old != p->count) {
		violation(c, i, NONE, pid, ptr, 0, "kref",
			  "%s on pid %u starts from %" PRIu64 " but the last change left %" PRId64
			  ": an update the trace did not see", what, pid, old, p->count);
	}
	if (p)
		p->count = (int64_t)nw;
}

/* The free behind an INVEPT that read EPTP 0: the proc of the GPC this
 * core just cleared (INVEPT follows VMCLEAR in vmx_clear_vmcs). */
static size_t freed_near(struct checker *c, unsigned cpu)
{
	struct gpc *g = c->last_cleared[cpu] ? gpc_find(c, c->last_cleared[cpu]) : NULL;
	struct proc *p = g ? proc_by_pid(c, g->pid) : NULL;
	return p && p->freed ? p->freed_at : NONE;
}

static void on_event(struct checker *c, size_t i)
{
	const struct tl_event *e = &c->t->ev[i];
	unsigned role = ev_info[e->id].role;
	unsigned cpu = e->cpu < TRACE_MAX_CPUS ? e->cpu : 0;

	switch (role) {
	case ROLE_CUR_PROC:
		c->cur[cpu] = (uint32_t)fld(e, EF_NEW);
		c->cur_at[cpu] = i;
		break;
	case ROLE_OWNING_PROC:
		c->own[cpu] = (uint32_t)fld(e, EF_NEW);
		c->own_at[cpu] = i;
		break;
	case ROLE_LOST:
		/* Counts cannot be followed across a gap: resynchronise. */
		for (size_t k = 0; k < c->nprocs; k++)
			c->procs[k].count = -1;
		break;
	case ROLE_PROC_CREATE: {
		c->procs = grow(c->procs, &c->cap_procs, c->nprocs, sizeof(*c->procs));
		c->procs[c->nprocs] = (struct proc){
			.pid = (uint32_t)fld(e, EF_PID), .ptr = fld(e, EF_PROC), .count = 0,
		};
		ev_name_text(e->id, e->field, c->procs[c->nprocs++].name);
		break;
	}
	case ROLE_PROC_EXEC: {
		struct proc *p = proc_by_pid(c, (uint32_t)fld(e, EF_PID));
		char name[TRACE_NAME16_BYTES + 1];
		if (p && ev_name_text(e->id, e->field, name))
			memcpy(p->name, name, sizeof(name));
		break;
	}
	case ROLE_KREF:
	case ROLE_KREF_ERROR:
		on_kref(c, i, e, role);
		break;
	case ROLE_PROC_FREE: {
		uint32_t pid = (uint32_t)fld(e, EF_PID);
		struct proc *p = proc_by_pid(c, pid);
		if (p && p->freed) {
			violation(c, i, p->freed_at, pid, p->ptr, 0, "use-after-free", "pid %u freed twice", pid);
			break;
		}
		if (p && p->count > 0)
			violation(c, i, NONE, pid, p->ptr, 0, "kref",
				  "pid %u freed with %" PRId64 " refs still counted", pid, p->count);
		/* A core still pointing at it: the pointer outlives its ref. */
		for (unsigned k = 0; k < TRACE_MAX_CPUS; k++) {
			if (c->cur[k] == pid)
				violation(c, i, c->cur_at[k], pid, p ? p->ptr : 0, 0, "dangling-core-pointer",
					  "pid %u freed while it is still CPU %u's cur_proc", pid, k);
			if (c->own[k] == pid)
				violation(c, i, c->own_at[k], pid, p ? p->ptr : 0, 0, "dangling-core-pointer",
					  "pid %u freed while it is still CPU %u's owning_proc", pid, k);
		}
		for (unsigned k = 0; k < TRACE_MAX_CPUS; k++) {
			struct gpc *g = c->slot[k] ? gpc_find(c, c->slot[k]) : NULL;
			if (g && g->pid == pid && c->reported_cached[k] != g->gpc &&
			    (c->reported_cached[k] = g->gpc))
				violation(c, i, c->slot_at[k], pid, p ? p->ptr : 0, g->gpc, "vmcs-cached-at-free",
					  "pid %u freed while CPU %u still caches the VMCS of its GPC "
					  "0x%" PRIx64 " (gpc_to_clear_to): a later VMCLEAR/INVEPT there "
					  "touches freed memory", pid, k, g->gpc);
		}
		if (p) {
			p->freed = true;
			p->freed_at = i;
		}
		break;
	}
	case ROLE_GPC_CREATE: {
		c->gpcs = grow(c->gpcs, &c->cap_gpcs, c->ngpcs, sizeof(*c->gpcs));
		c->gpcs[c->ngpcs++] = (struct gpc){ fld(e, EF_GPC), (uint32_t)fld(e, EF_PID), false, NONE };
		break;
	}
	case ROLE_GPC_FREE: {
		struct gpc *g = gpc_find(c, fld(e, EF_GPC));
		if (g) {
			g->freed = true;
			g->freed_at = i;
		}
		/* The kernel says where the VMCS still is: catches it even when
		 * the VMPTRLD that put it there was lost from the trace. */
		int vc = ev_field_idx(e->id, EF_VMCS_CORE);
		uint64_t core = vc >= 0 ? e->field[vc] : UINT64_MAX;
		if (core < TRACE_MAX_CPUS && c->reported_cached[core] != fld(e, EF_GPC)) {
			c->reported_cached[core] = fld(e, EF_GPC);
			violation(c, i, NONE, (uint32_t)fld(e, EF_PID), 0, fld(e, EF_GPC),
				  "vmcs-cached-at-free", "GPC 0x%" PRIx64 " of pid %" PRIu64 " freed while "
				  "CPU %" PRIu64 " still caches its VMCS (gpc_free says so)",
				  fld(e, EF_GPC), fld(e, EF_PID), core);
		}
		break;
	}
	case ROLE_VMCS_LOAD:
	case ROLE_VMCS_LINGER:
	case ROLE_GUEST_BEGIN: {
		uint64_t gpc = fld(e, EF_GPC);
		struct gpc *g = gpc_find(c, gpc);
		if (g && g->freed)
			violation(c, i, g->freed_at, g->pid, 0, gpc, "use-after-free", "%s of GPC 0x%" PRIx64
				  " (pid %u) after it was freed", trace_event_descs[e->id].name, gpc,
				  g->pid);
		if (!g) {   /* a GPC the trace did not see created: learn it */
			c->gpcs = grow(c->gpcs, &c->cap_gpcs, c->ngpcs, sizeof(*c->gpcs));
			c->gpcs[c->ngpcs++] = (struct gpc){ gpc, (uint32_t)fld(e, EF_PID), false, NONE };
		}
		if (role != ROLE_GUEST_BEGIN) {
			c->slot[cpu] = gpc;
			c->slot_at[cpu] = i;
		}
		break;
	}
	case ROLE_VMCS_CLEAR: {
		uint64_t gpc = fld(e, EF_GPC);
		struct gpc *g = gpc_find(c, gpc);
		if (g && g->freed)
			violation(c, i, g->freed_at, g->pid, 0, gpc, "use-after-free",
				  "VMCLEAR of GPC 0x%" PRIx64 " on CPU %u after pid %u freed it "
				  "(gpc->proc now reads pid %" PRIu64 ")", gpc, cpu, g->pid, fld(e, EF_PID));
		if (c->slot[cpu] == gpc)
			c->slot[cpu] = 0;
		c->last_cleared[cpu] = gpc;
		break;
	}
	case ROLE_INVEPT: {
		uint32_t pid = (uint32_t)fld(e, EF_PID);
		struct proc *p = pid ? proc_by_pid(c, pid) : NULL;
		if (fld(e, EF_EPTP) == 0 || (p && p->freed))
			violation(c, i, p ? p->freed_at : freed_near(c, cpu), pid, p ? p->ptr : 0, 0,
				  "use-after-free", "INVEPT with EPTP 0x%" PRIx64 " (pid %u%s): the EPT pointer of a "
				  "freed proc; result %" PRIu64, fld(e, EF_EPTP), pid,
				  p && p->freed ? ", freed" : "", fld(e, EF_RESULT));
		break;
	}
	case ROLE_KMSG_SEND:
	case ROLE_KMSG_BEGIN: {
		int a = ev_field_idx(e->id, EF_ARG0);
		struct proc *p = a >= 0 ? proc_by_ptr(c, e->field[a]) : NULL;
		if (p && p->freed)
			violation(c, i, p->freed_at, p->pid, p->ptr, 0, "use-after-free",
				  "%s carries pid %u's struct proc after __proc_free",
				  trace_event_descs[e->id].name, p->pid);
		break;
	}
	case ROLE_PROC_LEAK: {
		uint32_t pid = (uint32_t)fld(e, EF_PID);
		struct proc *p = proc_by_pid(c, pid);
		violation(c, i, NONE, pid, p ? p->ptr : 0, 0, "leak", "pid %u is still allocated at shutdown",
			  pid);
		if (p)   /* reported: do not count it again at the end */
			p->freed = true;
		break;
	}
	case ROLE_CRASH_PANIC:
		c->panicked = true;
		violation(c, i, NONE, 0, 0, 0, "panic", "the kernel panicked");
		break;
	default:
		if (e->id == TRACE_EV_boot_milestone && e->field[0] == TRACE_boot_stage_shutdown)
			c->shutdown = true;
		break;
	}
}

int main(int argc, char **argv)
{
	const char *elf = NULL, *in = NULL;
	struct checker c = { .max_print = 20 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--elf") == 0 && i + 1 < argc)
			elf = argv[++i];
		else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc)
			c.max_print = strtoul(argv[++i], NULL, 0);
		else if (argv[i][0] == '-' || in) {
			fprintf(stderr, "usage: tracecheck [--elf KERNEL.elf] [--max N] IN.raw\n");
			return 2;
		} else
			in = argv[i];
	}
	if (!in) {
		fprintf(stderr, "usage: tracecheck [--elf KERNEL.elf] [--max N] IN.raw\n");
		return 2;
	}
	if (!event_map_init("tracecheck"))
		return 2;

	struct tl_trace t;
	enum tl_status rs = tl_read_file(in, &t);
	if (rs == TL_FATAL) {
		fprintf(stderr, "tracecheck: %s\n", t.error[0] ? t.error : "unreadable input");
		tl_free(&t);
		return 2;
	}
	if (rs == TL_DAMAGED)
		fprintf(stderr, "tracecheck: warning: %s; checking the %zu events before it\n",
			t.error, t.nev);
	c.t = &t;

	/* Symbols only from the kernel that wrote the trace. */
	const char *path = elf ? elf : (t.hdr.build_id[0] ? "build/kernel.elf" : NULL);
	if (path) {
		char err[256];
		struct tl_syms *s = tl_syms_open(path, err, sizeof(err));
		if (!s && elf) {
			fprintf(stderr, "tracecheck: %s: %s\n", elf, err);
			return 2;
		}
		if (s && t.hdr.build_id[0] &&
		    strncmp(tl_syms_build_id(s), t.hdr.build_id, sizeof(t.hdr.build_id)) != 0) {
			fprintf(stderr, "tracecheck: warning: %s is not the kernel that wrote this trace: "
				"addresses stay hexadecimal\n", path);
			tl_syms_close(s);
			s = NULL;
		}
		c.syms = s;
	}

	for (size_t i = 0; i < t.nev; i++)
		if (t.ev[i].id < TRACE_NUM_EVENTS)
			on_event(&c, i);

	/* Leaks: only a run that reached shutdown can be said to leak. */
	if (c.shutdown && !c.panicked)
		for (size_t k = 0; k < c.nprocs; k++)
			if (!c.procs[k].freed)
				violation(&c, t.nev - 1, NONE, c.procs[k].pid, c.procs[k].ptr, 0, "leak",
					  "pid %u was never freed (refcount %" PRId64 " at shutdown)",
					  c.procs[k].pid, c.procs[k].count);

	if (c.printed < c.violations)
		printf("(%zu more violations not shown; --max N shows more)\n",
		       c.violations - c.printed);
	printf("tracecheck: %s: %zu events, %zu procs, %zu GPCs checked: %zu violation%s%s\n", in,
	       t.nev, c.nprocs, c.ngpcs, c.violations, c.violations == 1 ? "" : "s",
	       c.shutdown ? "" : " (no shutdown in the trace: leaks not checked)");
	tl_syms_close((struct tl_syms *)c.syms);
	free(c.procs);
	free(c.gpcs);
	tl_free(&t);
	return c.violations ? 1 : 0;
}
