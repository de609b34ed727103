/*
 * pf_writer_test: the Perfetto writer on its own, for tests/test_perfetto.py.
 * Events are queued out of time order on purpose, with strings first used
 * by a later event than the one that interned them, so that the decoded
 * file shows the writer sorting, interning at first use in file order, and
 * declaring every track before it is used.
 *
 *   pf_writer_test OUT.perfetto-trace [--absolute-ts]
 */
#include <stdio.h>
#include <string.h>

#include "tools/perfetto/pf_writer.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	bool delta = !(argc > 2 && strcmp(argv[2], "--absolute-ts") == 0);
	struct pf_writer *w = pf_writer_new(7, delta);
	struct pf_track lane = { .uuid = 10, .name = "lane", .kind = PF_TRACK_SLICE };
	struct pf_track cnt = { .uuid = 11, .name = "count", .kind = PF_TRACK_COUNTER,
				.unit_name = "refs" };
	struct pf_track proc = { .uuid = 12, .name = "pid 9", .kind = PF_TRACK_PROCESS, .pid = 9 };
	if (!pf_track_add(w, &lane) || !pf_track_add(w, &cnt) || !pf_track_add(w, &proc) ||
	    pf_track_add(w, &lane))   /* a second declaration of a uuid is refused */
		return 1;

	uint32_t late = pf_intern(w, PF_EVENT_NAME, "interned first, used last");
	uint32_t outer = pf_intern(w, PF_EVENT_NAME, "outer");
	uint32_t inner = pf_intern(w, PF_EVENT_NAME, "inner");
	uint32_t cat = pf_intern(w, PF_CATEGORY, "test");
	struct pf_ann a[2] = {
		{ pf_intern(w, PF_ANN_NAME, "n"), PF_ANN_UINT, 42 },
		{ pf_intern(w, PF_ANN_NAME, "s"), PF_ANN_STR, pf_intern(w, PF_ANN_STRING, "hello") },
	};
	if (pf_intern(w, PF_EVENT_NAME, "outer") != outer)   /* interning is stable */
		return 1;

	/* Queued backwards: the writer must sort them (ties keep queue order). */
	struct pf_event evs[] = {
		{ .ts_ns = 5000, .track = 10, .type = PF_INSTANT, .name_iid = late, .flow_end = 77 },
		{ .ts_ns = 4000, .track = 10, .type = PF_SLICE_END },
		{ .ts_ns = 3000, .track = 10, .type = PF_SLICE_END },
		{ .ts_ns = 2500, .track = 11, .type = PF_COUNTER, .counter = 3 },
		{ .ts_ns = 2000, .track = 10, .type = PF_SLICE_BEGIN, .name_iid = inner, .cat_iid = cat,
		  .n_ann = 2 },
		{ .ts_ns = 1000, .track = 10, .type = PF_SLICE_BEGIN, .name_iid = outer, .cat_iid = cat,
		  .flow = 77, .extra_counter_track = 11, .extra_counter = 1 },
	};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		pf_emit(w, &evs[i], evs[i].n_ann ? a : NULL);

	FILE *f = fopen(argv[1], "wb");
	if (!f || pf_writer_finish(w, f, 500) != 0 || fclose(f) != 0)
		return 1;
	struct pf_writer_stats st = pf_writer_stats(w);
	printf("packets=%llu events=%llu bytes=%llu\n", (unsigned long long)st.packets,
	       (unsigned long long)st.events, (unsigned long long)st.bytes);
	pf_writer_free(w);
	return 0;
}
