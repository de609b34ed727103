/*
 * trace_kernel.c: the kernel's trace area and its control: the command
 * line (trace=, trace_off=, trace_events=), the header (build id, bug
 * flags, TSC frequency, VMX backend) and the flush on exit and panic.
 *
 * The area is one contiguous object named trace_area (the Bochs runner
 * dumps it by `nm -S`): the header page, then one ring per possible CPU.
 * It lives in .bss, zeroed by boot.S, so it costs nothing in the image.
 */
#include "trace/trace.h"
#include "trace/ring.h"
#include "trace/schema.h"
#include "kernel/bugs.h"
#include "kernel/cmdline.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"

struct trace_area trace_area __attribute__((aligned(4096)));
uint8_t trace_event_on[TRACE_NUM_EVENTS];

_Static_assert(TRACE_MAX_CPUS >= MAX_CPUS, "a ring for every CPU the kernel runs");

CMDLINE_OPTION("trace", "trace mode: overwrite (flight recorder, default), stop (stop when full), off");
CMDLINE_OPTION("trace_off", "comma list of trace categories to leave off (tracecat --list-events)");
CMDLINE_OPTION("trace_events", "comma list of the only trace events to record");

/* kernel.ld: the text the build id covers (tools/tracesyms.c hashes the same bytes). */
extern const char __text_start[], __text_end[];

static void make_build_id(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = trace_fnv1a(TRACE_FNV_INIT, __text_start, (size_t)(__text_end - __text_start));
	size_t i;
	for (i = 0; i < 16 && i + 1 < n; i++)
		out[i] = hex[(h >> (60 - 4 * i)) & 0xf];
	out[i] = '\0';
}

static void make_bugs_string(char *out, size_t n)
{
	size_t used = 0;
	out[0] = '\0';
	for (int f = 0; f < NR_BUG_FLAGS; f++) {
		if (!bug_on((enum bug_flag)f))
			continue;
		used += (size_t)snprintf(out + used, n - used, "%s%s", used ? "," : "",
					 bug_name((enum bug_flag)f));
		if (used >= n)
			break;
	}
}

/*
 * Apply one comma list from the command line: `set` each event (or each
 * event of each category) named. An unknown name panics: a lab run with a
 * misspelt event would quietly record less than its questions need.
 */
static void apply_list(const char *key, const char *list, int categories, uint8_t *on, uint8_t set)
{
	const char *p = list;
	while (*p) {
		size_t n = 0;
		while (p[n] && p[n] != ',')
			n++;
		if (n) {
			int id = categories ? trace_category_by_name(p, n) : trace_event_by_name(p, n);
			if (id < 0) {
				char name[64]; /* printk has no %.*s */
				strlcpy(name, p, n + 1 < sizeof(name) ? n + 1 : sizeof(name));
				panic("trace: %s=: unknown %s '%s' (build/bin/tracecat --list-events lists them)",
				      key, categories ? "category" : "event", name);
			}
			for (int e = 0; e < TRACE_NUM_EVENTS; e++)
				if (categories ? trace_event_descs[e].category == id : e == id)
					on[e] = set;
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

void trace_init(void)
{
	static char build_id[TRACE_BUILD_ID_BYTES], bugs[TRACE_BUGS_BYTES];
	char mode[16], list[256];
	uint8_t on[TRACE_NUM_EVENTS];
	int off = 0;
	struct trace_area_config cfg = { .mode = TRACE_MODE_OVERWRITE };

	if (cmdline_get("trace", mode, sizeof(mode))) {
		if (!strcmp(mode, "stop"))
			cfg.mode = TRACE_MODE_STOP;
		else if (!strcmp(mode, "off"))
			off = 1;
		else if (strcmp(mode, "overwrite") && strcmp(mode, ""))
			panic("trace: trace=%s: expected overwrite, stop or off", mode);
	}
	make_build_id(build_id, sizeof(build_id));
	make_bugs_string(bugs, sizeof(bugs));
	cfg.build_id = build_id;
	cfg.bugs = bugs;
	cfg.cmdline = cmdline_raw();
	trace_area_init(&cfg);

	memset(on, off ? 0 : 1, sizeof(on));
	if (cmdline_get("trace_events", list, sizeof(list))) {
		memset(on, 0, sizeof(on));
		apply_list("trace_events", list, 0, on, 1);
	}
	if (cmdline_get("trace_off", list, sizeof(list)))
		apply_list("trace_off", list, 1, on, 0);

	unsigned n_on = 0;
	for (int e = 0; e < TRACE_NUM_EVENTS; e++)
		n_on += on[e];
	memcpy(trace_event_on, on, sizeof(on));

	printk("trace: %s, %u of %u events on, %u records per CPU, %lu KiB at %p, build %s\n",
	       off ? "off" : cfg.mode == TRACE_MODE_STOP ? "stop when full" : "flight recorder",
	       n_on, (unsigned)TRACE_NUM_EVENTS, (unsigned)TRACE_RING_RECORDS,
	       (unsigned long)(sizeof(trace_area) >> 10), (void *)&trace_area, build_id);
	trace_boot_milestone(TRACE_boot_stage_trace);
}

void trace_set_tsc_hz(uint64_t hz)
{
	if (trace_area.hdr.magic == TRACE_MAGIC)
		trace_area_set_tsc_hz(hz);
}

void trace_set_backend(const char *name)
{
	trace_area_set_string(trace_area.hdr.backend, sizeof(trace_area.hdr.backend), name);
}

void trace_flush(int panicking)
{
	struct trace_area_header *h = &trace_area.hdr;

	if (h->magic != TRACE_MAGIC)
		return; /* before trace_init: nothing to make consistent */
	/* Nothing is recorded after the flush, so the counts below stay true. */
	memset(trace_event_on, 0, sizeof(trace_event_on));
	asm volatile("" : : : "memory");
	for (unsigned c = 0; c < TRACE_MAX_CPUS; c++)
		trace_ring_account(c);
	h->ncpus = num_cores();
	h->flags |= TRACE_AREA_FLUSHED | (panicking ? TRACE_AREA_PANIC : 0);
}
