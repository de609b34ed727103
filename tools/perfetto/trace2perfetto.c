/*
 * trace2perfetto: a raw tkern trace (trace.raw) to a Perfetto trace that
 * ui.perfetto.dev opens.
 *
 *   trace2perfetto [--elf build/kernel.elf] [--absolute-ts] [--lean] [--stats]
 *                  [--chrome-json OUT.json] [--verify-encoder] IN.raw OUT.perfetto-trace
 *
 * Exit status: 0 converted (a damaged input converts up to the damage, with
 * a warning that says where), 2 nothing usable (not a raw trace, another
 * format version or event table, unreadable, or the output cannot be written).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/kaddr2line.h"
#include "tools/perfetto/chrome_json.h"
#include "tools/perfetto/convert.h"
#include "tools/perfetto/event_map.h"
#include "tools/perfetto/pf_writer.h"
#include "tools/tracelib.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: trace2perfetto [--elf KERNEL.elf] [--absolute-ts] [--lean] [--stats]\n"
		"                      [--chrome-json OUT.json] IN.raw OUT.perfetto-trace\n"
		"  --elf          symbolise call sites (function+offset, file:line) from this ELF;\n"
		"                 default: build/kernel.elf if it is the build named in the trace\n"
		"  --absolute-ts  absolute timestamps on every packet (default: delta-encoded)\n"
		"  --lean         no per-record args: names, lanes, counters and flows only\n"
		"  --stats        print conversion figures (name: value unit) on stdout\n"
		"  --chrome-json  also write the same events as Chrome JSON trace events\n"
		"  --verify-encoder  pack every event both with protobuf-c and with the fast\n"
		"                 encoder and stop (exit 3) if the bytes differ (tests)\n"
		"  --roles        print each event's category and role (event_map.def) and exit\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);  /* CPU time: stable on a busy host */
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Symbolising with an ELF of another build would name the wrong functions:
 * worse than hex. The trace header carries the kernel's build id.
 */
static struct kaddr2line *open_elf(const char *path, bool explicit_path,
				   const struct tl_trace *t)
{
	char err[256] = "";
	struct tl_syms *s = tl_syms_open(path, err, sizeof(err));
	if (!s) {
		if (explicit_path) {
			fprintf(stderr, "trace2perfetto: %s: %s\n", path, err);
			exit(2);
		}
		return NULL;
	}
	const char *id = tl_syms_build_id(s);
	if (t->hdr.build_id[0] && id && strncmp(id, t->hdr.build_id, sizeof(t->hdr.build_id)) != 0) {
		fprintf(stderr,
			"trace2perfetto: warning: %s (build %s) is not the kernel that wrote this "
			"trace (build %.*s): call sites stay as addresses\n",
			path, id, (int)sizeof(t->hdr.build_id), t->hdr.build_id);
		tl_syms_close(s);
		return NULL;
	}
	tl_syms_close(s);
	return kaddr2line_open(path);
}

int main(int argc, char **argv)
{
	const char *elf = NULL, *json = NULL, *in = NULL, *out = NULL;
	bool absolute = false, stats = false, lean = false, roles = false, verify = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--elf") == 0 && i + 1 < argc)
			elf = argv[++i];
		else if (strcmp(argv[i], "--chrome-json") == 0 && i + 1 < argc)
			json = argv[++i];
		else if (strcmp(argv[i], "--absolute-ts") == 0)
			absolute = true;
		else if (strcmp(argv[i], "--stats") == 0)
			stats = true;
		else if (strcmp(argv[i], "--lean") == 0)
			lean = true;
		else if (strcmp(argv[i], "--verify-encoder") == 0)
			verify = true;
		else if (strcmp(argv[i], "--roles") == 0)
			roles = true;
		else if (argv[i][0] == '-' && argv[i][1])
			usage();
		else if (!in)
			in = argv[i];
		else if (!out)
			out = argv[i];
		else
			usage();
	}
	if (!event_map_init("trace2perfetto"))
		return 2;
	if (roles) {
		/* The mapping as the tools resolved it from event_map.def. */
		for (unsigned id = 0; id < TRACE_NUM_EVENTS; id++)
			printf("%-22s %-9s %s\n", trace_event_descs[id].name,
			       trace_category_descs[trace_event_descs[id].category].name,
			       ev_role_name(ev_info[id].role));
		return 0;
	}
	if (!in || !out)
		usage();

	double t_start = now_s();
	struct tl_trace t;
	enum tl_status rs = tl_read_file(in, &t);
	if (rs == TL_FATAL) {
		fprintf(stderr, "trace2perfetto: %s\n", t.error[0] ? t.error : "unreadable input");
		tl_free(&t);
		return 2;
	}
	if (rs == TL_DAMAGED)
		fprintf(stderr, "trace2perfetto: warning: %s; converting the %zu events before it\n",
			t.error, t.nev);
	if (!t.hdr.tsc_hz)
		fprintf(stderr, "trace2perfetto: warning: %s: no TSC frequency in the header; "
			"timestamps are in TSC ticks\n", in);
	double t_read = now_s();

	struct kaddr2line *k = NULL;
	if (elf) {
		k = open_elf(elf, true, &t);
	} else if (t.hdr.build_id[0]) {
		/* Only when the trace names its build, so that the match is checked. */
		FILE *probe = fopen("build/kernel.elf", "rb");
		if (probe) {
			fclose(probe);
			k = open_elf("build/kernel.elf", false, &t);
		}
	}

	struct pf_writer *w = pf_writer_new(1, !absolute);
	pf_writer_set_verify(w, verify);
	struct convert_stats cs;
	convert_trace(&t, w, k, lean, &cs);
	double t_conv = now_s();

	FILE *f = fopen(out, "wb");
	if (!f) {
		fprintf(stderr, "trace2perfetto: %s: %s\n", out, strerror(errno));
		return 2;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	if (pf_writer_finish(w, f, 0) != 0 || fclose(f) != 0) {
		fprintf(stderr, "trace2perfetto: %s: write error: %s\n", out, strerror(errno));
		return 2;
	}
	double t_write = now_s();
	struct pf_writer_stats ws = pf_writer_stats(w);

	if (json) {
		FILE *jf = fopen(json, "w");
		if (!jf) {
			fprintf(stderr, "trace2perfetto: %s: %s\n", json, strerror(errno));
			return 2;
		}
		setvbuf(jf, NULL, _IOFBF, 1 << 20);
		if (chrome_json_write(w, jf) != 0 || fclose(jf) != 0) {
			fprintf(stderr, "trace2perfetto: %s: write error\n", json);
			return 2;
		}
	}
	double t_json = now_s();

	if (stats) {
		double conv = t_write - t_start;
		printf("trace2perfetto_records: %llu records\n", (unsigned long long)cs.records);
		printf("trace2perfetto_track_events: %llu events\n", (unsigned long long)ws.events);
		printf("trace2perfetto_read_time: %.3f s\n", t_read - t_start);
		printf("trace2perfetto_convert_time: %.3f s\n", t_conv - t_read);
		printf("trace2perfetto_write_time: %.3f s\n", t_write - t_conv);
		printf("trace2perfetto_speed: %.0f records/s\n", conv > 0 ? cs.records / conv : 0.0);
		/* without the raw decoding (tools/tracelib.c), i.e. this tool's own work */
		printf("trace2perfetto_convert_speed: %.0f records/s\n",
		       t_write > t_read ? cs.records / (t_write - t_read) : 0.0);
		printf("trace2perfetto_size: %llu bytes\n", (unsigned long long)ws.bytes);
		printf("trace2perfetto_bytes_per_record: %.2f bytes/record\n",
		       cs.records ? (double)ws.bytes / cs.records : 0.0);
		if (json)
			printf("chrome_json_write_time: %.3f s\n", t_json - t_write);
		printf("trace2perfetto_flows: %llu flows\n", (unsigned long long)cs.flows);
		printf("trace2perfetto_closed_at_end: %llu slices\n", (unsigned long long)cs.closed_at_end);
	}
	if (cs.crashed)
		fprintf(stderr, "trace2perfetto: the kernel crashed in this trace; open slices are "
			"closed at its end and marked\n");

	pf_writer_free(w);
	kaddr2line_close(k);
	tl_free(&t);
	return 0;
}
