/*
 * tracecat: print a raw trace, one line per event, merged across CPUs in
 * timestamp order:
 *
 *   <tsc> <cpu> <event> <field>=<value> ...
 *
 * Losses appear as trace_lost lines where they happened. The output is
 * stable (same trace, same text), so tests and labs grep it.
 *
 *   tracecat [options] TRACE.raw
 *     --cpu N[,N...]       only these CPUs
 *     --event NAME[,...]   only these events
 *     --cat NAME[,...]     only these categories
 *     --elf PATH           kernel ELF for symbols (default: ../kernel.elf beside
 *                          this program, else ./build/kernel.elf, if present)
 *     --no-symbols         print code addresses as hex
 *     --ns                 timestamps in nanoseconds since the first event
 *                          (from the header's TSC frequency) instead of TSC
 *     --summary            counts per event and per CPU, lost records per CPU
 *     --header             the trace header (CPUs, TSC frequency, command line, ...)
 *     --list-events        the event table, one event per line
 *
 * Exit status: 0 if the whole trace decoded, 1 if it was damaged (the
 * events before the damage are still printed, the message goes to stderr),
 * 2 if nothing could be read or on usage errors.
 */
#include "tools/tracelib.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: tracecat [--cpu N,..] [--event NAME,..] [--cat NAME,..] "
			"[--elf PATH | --no-symbols] [--ns] [--summary] [--header] [--list-events] TRACE.raw\n");
	exit(2);
}

/* Parse a comma list into the mask `on` through `lookup`; exit 2 on an unknown name. */
static void parse_list(const char *list, uint8_t *on, int max, int (*lookup)(const char *, size_t),
		       const char *what)
{
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		int id = lookup(p, n);
		if (id < 0 || id >= max) {
			fprintf(stderr, "tracecat: unknown %s '%.*s'\n", what, (int)n, p);
			exit(2);
		}
		on[id] = 1;
		p += n;
		if (*p == ',')
			p++;
	}
}

static int cpu_lookup(const char *s, size_t n)
{
	char buf[16];
	char *end;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	long v = strtol(buf, &end, 10);
	return *end || v < 0 ? -1 : (int)v;
}

static void print_header(const struct tl_trace *t, const struct tl_syms *syms)
{
	const struct trace_area_header *h = &t->hdr;
	printf("version %u\n", h->version);
	printf("cpus %u\n", h->ncpus ? h->ncpus : t->ncpus_seen);
	printf("tsc_hz %" PRIu64 "\n", h->tsc_hz);
	printf("mode %s\n", h->mode == TRACE_MODE_STOP ? "stop" : "overwrite");
	printf("flushed %s\n", h->flags & TRACE_AREA_FLUSHED ? "yes" : "no");
	printf("panic %s\n", h->flags & TRACE_AREA_PANIC ? "yes" : "no");
	printf("backend %s\n", h->backend[0] ? h->backend : "none");
	printf("build_id %.*s\n", TRACE_BUILD_ID_BYTES, h->build_id);
	if (syms && tl_syms_build_id(syms)[0])
		printf("elf_build_id %s%s\n", tl_syms_build_id(syms),
		       strncmp(tl_syms_build_id(syms), h->build_id, TRACE_BUILD_ID_BYTES) ? " (MISMATCH)" : "");
	printf("bugs %.*s\n", TRACE_BUGS_BYTES, h->bugs);
	printf("cmdline %.*s\n", TRACE_CMDLINE_BYTES, h->cmdline);
}

static void print_summary(const struct tl_trace *t, const uint8_t *cpu_on)
{
	uint64_t per_event[TRACE_NUM_EVENTS] = { 0 };
	uint64_t records = 0, lost = 0;

	for (size_t i = 0; i < t->nev; i++)
		if (!t->ev[i].synthetic && cpu_on[t->ev[i].cpu])
			per_event[t->ev[i].id]++;
	for (int id = 0; id < TRACE_NUM_EVENTS; id++)
		if (per_event[id])
			printf("event %s %" PRIu64 "\n", trace_event_descs[id].name, per_event[id]);
	for (unsigned c = 0; c < TRACE_MAX_CPUS; c++) {
		const struct tl_cpu_stats *st = &t->cpu[c];
		const struct trace_ring_desc *r = &t->hdr.ring[c];
		if (!cpu_on[c] || (!st->records && !st->lost && !r->next_seq))
			continue;
		/* The ring's own counts: final if the kernel flushed, else derived
		 * the same way from what it had reserved when the RAM was read. */
		uint64_t written = r->written, over = r->overwritten, dropped = r->dropped;
		if (!(r->flags & TRACE_RING_FLUSHED)) {
			int stopped = r->next_seq > r->limit;
			written = stopped ? r->limit : r->next_seq;
			dropped = stopped ? r->next_seq - r->limit : 0;
			over = !stopped && r->next_seq > r->ring_records ? r->next_seq - r->ring_records : 0;
		}
		printf("cpu %u records %" PRIu64 " lost %" PRIu64 " reserved %" PRIu64 " written %" PRIu64
		       " overwritten %" PRIu64 " dropped %" PRIu64 "\n", c, st->records, st->lost,
		       r->next_seq, written, over, dropped);
		records += st->records;
		lost += st->lost;
	}
	printf("total records %" PRIu64 " lost %" PRIu64 "\n", records, lost);
}

static void list_events(void)
{
	for (int id = 0; id < TRACE_NUM_EVENTS; id++) {
		const struct trace_event_desc *d = &trace_event_descs[id];
		printf("%s %s", d->name, trace_category_descs[d->category].name);
		for (unsigned f = 0; f < d->nfields; f++)
			printf(" %s:%s", d->field[f].name, trace_field_type_name(d->field[f].type));
		printf("\n");
	}
}

static int event_lookup(const char *s, size_t n)
{
	return trace_event_by_name(s, n);
}

static int cat_lookup(const char *s, size_t n)
{
	return trace_category_by_name(s, n);
}

int main(int argc, char **argv)
{
	uint8_t cpu_on[TRACE_MAX_CPUS], ev_on[TRACE_NUM_EVENTS], cat_on[TRACE_NUM_CATEGORIES];
	int cpu_f = 0, ev_f = 0, cat_f = 0, summary = 0, header = 0, nosym = 0, ns = 0;
	const char *elf = NULL, *path = NULL;
	char err[512];

	memset(cpu_on, 0, sizeof(cpu_on));
	memset(ev_on, 0, sizeof(ev_on));
	memset(cat_on, 0, sizeof(cat_on));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--cpu") && i + 1 < argc) {
			parse_list(argv[++i], cpu_on, TRACE_MAX_CPUS, cpu_lookup, "cpu");
			cpu_f = 1;
		} else if (!strcmp(a, "--event") && i + 1 < argc) {
			parse_list(argv[++i], ev_on, TRACE_NUM_EVENTS, event_lookup, "event");
			ev_f = 1;
		} else if (!strcmp(a, "--cat") && i + 1 < argc) {
			parse_list(argv[++i], cat_on, TRACE_NUM_CATEGORIES, cat_lookup, "category");
			cat_f = 1;
		} else if (!strcmp(a, "--elf") && i + 1 < argc) {
			elf = argv[++i];
		} else if (!strcmp(a, "--no-symbols")) {
			nosym = 1;
		} else if (!strcmp(a, "--ns")) {
			ns = 1;
		} else if (!strcmp(a, "--summary")) {
			summary = 1;
		} else if (!strcmp(a, "--header")) {
			header = 1;
		} else if (!strcmp(a, "--list-events")) {
			list_events();
			return 0;
		} else if (a[0] == '-' || path) {
			usage();
		} else {
			path = a;
		}
	}
	if (!path)
		usage();
	if (!cpu_f)
		memset(cpu_on, 1, sizeof(cpu_on));

	struct tl_trace t;
	enum tl_status st = tl_read_file(path, &t);
	if (st == TL_FATAL) {
		fprintf(stderr, "tracecat: %s\n", t.error);
		tl_free(&t);
		return 2;
	}

	struct tl_syms *syms = NULL;
	if (!nosym) {
		/* The kernel beside the tool (build/bin/../kernel.elf), then ./build. */
		static char beside[4096];
		const char *slash = strrchr(argv[0], '/');
		if (!elf && slash &&
		    (size_t)snprintf(beside, sizeof(beside), "%.*s/../kernel.elf", (int)(slash - argv[0]),
				     argv[0]) < sizeof(beside) &&
		    access(beside, R_OK) == 0)
			elf = beside;
		if (!elf && access("build/kernel.elf", R_OK) == 0)
			elf = "build/kernel.elf";
		if (elf && !(syms = tl_syms_open(elf, err, sizeof(err))))
			fprintf(stderr, "tracecat: %s (printing addresses as hex)\n", err);
		if (syms && tl_syms_build_id(syms)[0] &&
		    strncmp(tl_syms_build_id(syms), t.hdr.build_id, TRACE_BUILD_ID_BYTES))
			fprintf(stderr, "tracecat: warning: %s (build id %s) is not the kernel that wrote "
				"this trace (build id %.*s): symbols may be wrong\n", elf,
				tl_syms_build_id(syms), TRACE_BUILD_ID_BYTES, t.hdr.build_id);
	}

	if (header)
		print_header(&t, syms);
	if (summary)
		print_summary(&t, cpu_on);
	if (!header && !summary) {
		char line[2048];
		for (size_t i = 0; i < t.nev; i++) {
			const struct tl_event *e = &t.ev[i];
			if (!cpu_on[e->cpu] || (ev_f && !ev_on[e->id]) ||
			    (cat_f && !cat_on[trace_event_descs[e->id].category]))
				continue;
			struct tl_event shown = *e;
			if (ns)
				shown.ts = tl_ts_to_ns(&t, e->ts);
			tl_format_event(line, sizeof(line), &shown, syms);
			puts(line);
		}
	}
	if (st == TL_DAMAGED)
		fprintf(stderr, "tracecat: %s\n", t.error);
	tl_syms_close(syms);
	tl_free(&t);
	return st == TL_DAMAGED ? 1 : 0;
}
