/*
 * chrome_json: the same tracks and events as the Perfetto output, written as
 * Chrome's JSON trace-event format ({"traceEvents": [...]}), the format most
 * people reach for first. It exists for `make bench`, to put the size and
 * speed of the protobuf output beside it, and as a fallback for old viewers
 * (chrome://tracing).
 *
 * Each track becomes a thread (tid = track uuid) of one process per track
 * group; counters become "C" events; flows become "s"/"f" pairs.
 */
#include "tools/perfetto/chrome_json.h"

#include <inttypes.h>
#include <string.h>

static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void put_ts(FILE *f, uint64_t ns)
{
	/* microseconds with ns precision, without floating point */
	fprintf(f, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

/* The process a track belongs to: its root ancestor. */
static uint64_t root_of(const struct pf_track *tr, size_t n, uint64_t uuid)
{
	for (int hops = 0; hops < 8; hops++) {
		const struct pf_track *t = NULL;
		for (size_t i = 0; i < n; i++)
			if (tr[i].uuid == uuid)
				t = &tr[i];
		if (!t || !t->parent)
			return uuid;
		uuid = t->parent;
	}
	return uuid;
}

static void put_args(FILE *f, const struct pf_writer *w, const struct pf_event *e)
{
	const struct pf_ann *a = pf_writer_anns(w, e);
	fputs(",\"args\":{", f);
	for (unsigned i = 0; i < e->n_ann; i++) {
		if (i)
			fputc(',', f);
		put_str(f, pf_interned(w, PF_ANN_NAME, a[i].name_iid));
		fputc(':', f);
		switch (a[i].kind) {
		case PF_ANN_STR:
			put_str(f, pf_interned(w, PF_ANN_STRING, (uint32_t)a[i].value));
			break;
		case PF_ANN_PTR:
			fprintf(f, "\"0x%" PRIx64 "\"", a[i].value);
			break;
		case PF_ANN_INT:
			fprintf(f, "%" PRId64, (int64_t)a[i].value);
			break;
		case PF_ANN_BOOL:
			fputs(a[i].value ? "true" : "false", f);
			break;
		default:
			fprintf(f, "%" PRIu64, a[i].value);
		}
	}
	fputc('}', f);
}

/* The flow ids already started: a small open-addressing set. */
struct flow_set {
	uint64_t *id;
	size_t size, count;
};

static bool flow_seen(struct flow_set *fs, uint64_t id)
{
	if ((fs->count + 1) * 2 > fs->size) {
		size_t n = fs->size ? fs->size * 2 : 1024;
		uint64_t *t = calloc(n, sizeof(*t));
		if (!t)
			return false;
		for (size_t i = 0; i < fs->size; i++) {
			if (!fs->id[i])
				continue;
			size_t j = fs->id[i] & (n - 1);
			while (t[j])
				j = (j + 1) & (n - 1);
			t[j] = fs->id[i];
		}
		free(fs->id);
		fs->id = t;
		fs->size = n;
	}
	size_t j = id & (fs->size - 1);
	for (; fs->id[j]; j = (j + 1) & (fs->size - 1))
		if (fs->id[j] == id)
			return true;
	fs->id[j] = id;
	fs->count++;
	return false;
}

int chrome_json_write(struct pf_writer *w, FILE *f)
{
	struct flow_set seen = { 0 };
	size_t ntr, nev;
	pf_writer_sort(w);
	const struct pf_track *tr = pf_writer_tracks(w, &ntr);
	const struct pf_event *ev = pf_writer_events(w, &nev);
	uint64_t *pid_of = calloc(ntr ? ntr : 1, sizeof(*pid_of));
	if (!pid_of)
		return -1;

	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f);
	bool first = true;
	for (size_t i = 0; i < ntr; i++) {
		pid_of[i] = root_of(tr, ntr, tr[i].uuid);
		fprintf(f, "%s{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64
			",\"args\":{\"name\":", first ? "" : ",\n",
			tr[i].parent ? "thread_name" : "process_name", pid_of[i], tr[i].uuid);
		put_str(f, tr[i].name);
		fputs("}}", f);
		first = false;
	}
	/* Tracks are few; events find theirs by a linear index over uuids. */
	for (size_t i = 0; i < nev; i++) {
		const struct pf_event *e = &ev[i];
		uint64_t pid = e->track;
		for (size_t j = 0; j < ntr; j++)
			if (tr[j].uuid == e->track) {
				pid = pid_of[j];
				break;
			}
		fputs(first ? "" : ",\n", f);
		first = false;
		fprintf(f, "{\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":", pid, e->track);
		put_ts(f, e->ts_ns);
		switch (e->type) {
		case PF_SLICE_BEGIN:
			fputs(",\"ph\":\"B\",\"name\":", f);
			put_str(f, pf_interned(w, PF_EVENT_NAME, e->name_iid));
			break;
		case PF_SLICE_END:
			fputs(",\"ph\":\"E\"", f);
			break;
		case PF_COUNTER:
			fprintf(f, ",\"ph\":\"C\",\"name\":\"count\",\"args\":{\"value\":%" PRId64 "}}",
				e->counter);
			continue;
		default:
			fputs(",\"ph\":\"i\",\"s\":\"t\",\"name\":", f);
			put_str(f, pf_interned(w, PF_EVENT_NAME, e->name_iid));
		}
		if (e->cat_iid) {
			fputs(",\"cat\":", f);
			put_str(f, pf_interned(w, PF_CATEGORY, e->cat_iid));
		}
		put_args(f, w, e);
		fputc('}', f);
		if (e->extra_counter_track) {
			fprintf(f, ",\n{\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":", pid,
				e->extra_counter_track);
			put_ts(f, e->ts_ns);
			fprintf(f, ",\"ph\":\"C\",\"name\":\"refcount\",\"args\":{\"value\":%" PRId64 "}}",
				e->extra_counter);
		}
		if (e->flow || e->flow_end) {
			/* s starts a flow, t is a later step of it, f ends it. */
			const char *ph = e->flow_end ? "f" : flow_seen(&seen, e->flow) ? "t" : "s";
			fprintf(f, ",\n{\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":", pid, e->track);
			put_ts(f, e->ts_ns);
			fprintf(f, ",\"ph\":\"%s\",\"bp\":\"e\",\"name\":\"flow\",\"id\":%" PRIu64 "}",
				ph, e->flow_end ? e->flow_end : e->flow);
		}
	}
	fputs("\n]}\n", f);
	free(pid_of);
	free(seen.id);
	return fflush(f) ? -1 : 0;
}
