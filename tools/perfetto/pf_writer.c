/*
 * pf_writer: see pf_writer.h. Tracks and events are kept in memory until
 * pf_writer_finish(), which sorts the events and packs one TracePacket at a
 * time: with protobuf-c, or with pf_encode for the event packets that intern
 * nothing. Events on the busiest track leave their track_uuid to the
 * sequence's TrackEventDefaults. Interning tables: pf_strtab.c.
 */
#include "tools/perfetto/pf_writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_trace.pb-c.h"
#include "tools/perfetto/pf_encode.h"
#include "tools/perfetto/pf_strtab.h"

/* Sequence-scoped user clock for delta timestamps (ids 64..127 are scoped to
 * the sequence that emitted the ClockSnapshot). */
#define PF_DELTA_CLOCK_ID 64
#define PF_BOOTTIME_CLOCK_ID 6

#define SEQ_CLEARED 1u
#define SEQ_NEEDS 2u

/* ---- the writer ---- */

struct pf_writer {
	uint32_t seq_id;
	bool delta_ts;
	struct strtab tab[PF_NUM_TABLES];

	struct pf_track *tracks;
	size_t ntracks, cap_tracks;

	struct pf_event *ev;
	size_t nev, cap_ev;
	struct pf_ann *ann;
	size_t nann, cap_ann;

	/* output */
	FILE *out;
	uint8_t *buf;           /* protobuf-c packs here */
	size_t cap_buf;
	uint8_t *obuf;          /* what is written, in PF_OBUF_BYTES blocks */
	size_t olen;
	bool verify;            /* pack event packets both ways and compare */
	uint64_t last_ts;
	uint64_t default_track; /* TrackEventDefaults.track_uuid: the busiest track */
	struct pf_writer_stats stats;
};

struct pf_writer *pf_writer_new(uint32_t seq_id, bool delta_ts)
{
	struct pf_writer *w = calloc(1, sizeof(*w));
	if (!w || seq_id == 0) {
		free(w);
		return NULL;
	}
	w->seq_id = seq_id;
	w->delta_ts = delta_ts;
	return w;
}

void pf_writer_free(struct pf_writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < PF_NUM_TABLES; i++)
		strtab_free(&w->tab[i]);
	for (size_t i = 0; i < w->ntracks; i++) {
		free((char *)w->tracks[i].name);
		free((char *)w->tracks[i].description);
		free((char *)w->tracks[i].unit_name);
		free((char *)w->tracks[i].process_name);
	}
	free(w->tracks);
	free(w->ev);
	free(w->ann);
	free(w->buf);
	free(w->obuf);
	free(w);
}

uint32_t pf_intern(struct pf_writer *w, enum pf_table t, const char *s)
{
	return strtab_intern(&w->tab[t], s);
}

const char *pf_interned(const struct pf_writer *w, enum pf_table t, uint32_t iid)
{
	if (iid == 0 || iid > w->tab[t].count)
		return NULL;
	return w->tab[t].str[iid - 1];
}

bool pf_track_exists(const struct pf_writer *w, uint64_t uuid)
{
	for (size_t i = 0; i < w->ntracks; i++)
		if (w->tracks[i].uuid == uuid)
			return true;
	return false;
}

bool pf_track_add(struct pf_writer *w, const struct pf_track *t)
{
	if (t->uuid == 0 || pf_track_exists(w, t->uuid))
		return false;
	if (w->ntracks == w->cap_tracks) {
		w->cap_tracks = w->cap_tracks ? w->cap_tracks * 2 : 32;
		w->tracks = pf_xrealloc(w->tracks, w->cap_tracks * sizeof(*w->tracks));
	}
	struct pf_track *c = &w->tracks[w->ntracks++];
	*c = *t;
	c->name = pf_xstrdup(t->name ? t->name : "");
	c->description = t->description ? pf_xstrdup(t->description) : NULL;
	c->unit_name = t->unit_name ? pf_xstrdup(t->unit_name) : NULL;
	c->process_name = t->process_name ? pf_xstrdup(t->process_name) : NULL;
	return true;
}

bool pf_track_rename(struct pf_writer *w, uint64_t uuid, const char *name,
		     const char *process_name)
{
	for (size_t i = 0; i < w->ntracks; i++) {
		struct pf_track *t = &w->tracks[i];
		if (t->uuid != uuid)
			continue;
		free((char *)t->name);
		free((char *)t->process_name);
		t->name = pf_xstrdup(name ? name : "");
		t->process_name = process_name ? pf_xstrdup(process_name) : NULL;
		return true;
	}
	return false;
}

void pf_emit(struct pf_writer *w, const struct pf_event *ev,
	     const struct pf_ann *ann)
{
	if (w->nev == w->cap_ev) {
		w->cap_ev = w->cap_ev ? w->cap_ev * 2 : 4096;
		w->ev = pf_xrealloc(w->ev, w->cap_ev * sizeof(*w->ev));
	}
	unsigned n = ev->n_ann > PF_MAX_ANN ? PF_MAX_ANN : ev->n_ann;
	if (w->nann + n > w->cap_ann) {
		w->cap_ann = w->cap_ann ? w->cap_ann * 2 : 4096;
		while (w->cap_ann < w->nann + n)
			w->cap_ann *= 2;
		w->ann = pf_xrealloc(w->ann, w->cap_ann * sizeof(*w->ann));
	}
	struct pf_event *e = &w->ev[w->nev];
	*e = *ev;
	e->n_ann = (uint8_t)n;
	e->ann_off = (uint32_t)w->nann;
	e->order = w->nev++;
	memcpy(&w->ann[w->nann], ann, n * sizeof(*ann));
	w->nann += n;
}

struct pf_writer_stats pf_writer_stats(const struct pf_writer *w)
{
	return w->stats;
}

/* ---- packing ---- */

#define PF_OBUF_BYTES (1u << 20)

/* Appends n bytes to the output, writing a block whenever it fills. */
static int out_write(struct pf_writer *w, const void *p, size_t n)
{
	if (!w->obuf)
		w->obuf = pf_xrealloc(NULL, PF_OBUF_BYTES);
	if (w->olen + n > PF_OBUF_BYTES) {
		if (w->olen && fwrite(w->obuf, 1, w->olen, w->out) != w->olen)
			return -1;
		w->olen = 0;
		if (n > PF_OBUF_BYTES)
			return fwrite(p, 1, n, w->out) == n ? 0 : -1;
	}
	memcpy(w->obuf + w->olen, p, n);
	w->olen += n;
	return 0;
}

void pf_writer_set_verify(struct pf_writer *w, bool on)
{
	w->verify = on;
}

/* The timestamp a packet carries: a delta on the incremental clock. */
static uint64_t packet_ts(struct pf_writer *w, uint64_t ts)
{
	if (!w->delta_ts)
		return ts;
	uint64_t d = ts - w->last_ts;
	w->last_ts = ts;
	return d;
}

/* Appends one Trace.packet: tag 0x0A, varint length, the packed message. */
static int put_packet(struct pf_writer *w, const Perfetto__Protos__TracePacket *p)
{
	size_t len = perfetto__protos__trace_packet__get_packed_size(p);
	if (len + 11 > w->cap_buf) {
		w->cap_buf = (len + 11) * 2;
		w->buf = pf_xrealloc(w->buf, w->cap_buf);
	}
	size_t n = 0;
	w->buf[n++] = 0x0A;
	for (size_t v = len; ; v >>= 7) {
		if (v < 0x80) {
			w->buf[n++] = (uint8_t)v;
			break;
		}
		w->buf[n++] = (uint8_t)(v | 0x80);
	}
	n += perfetto__protos__trace_packet__pack(p, w->buf + n);
	if (out_write(w, w->buf, n))
		return -1;
	w->stats.packets++;
	w->stats.bytes += n;
	return 0;
}

static void packet_init(struct pf_writer *w, Perfetto__Protos__TracePacket *p,
			uint64_t ts)
{
	perfetto__protos__trace_packet__init(p);
	p->optional_trusted_packet_sequence_id_case =
		PERFETTO__PROTOS__TRACE_PACKET__OPTIONAL_TRUSTED_PACKET_SEQUENCE_ID_TRUSTED_PACKET_SEQUENCE_ID;
	p->trusted_packet_sequence_id = w->seq_id;
	p->has_sequence_flags = 1;
	p->sequence_flags = SEQ_NEEDS;
	p->has_timestamp = 1;
	p->timestamp = packet_ts(w, ts);
}

/* The first packet: clears incremental state, sets the packet defaults and
 * anchors the delta clock to BOOTTIME at t0. */
static int put_first_packet(struct pf_writer *w, uint64_t t0)
{
	Perfetto__Protos__TracePacket p;
	Perfetto__Protos__TracePacketDefaults defs = PERFETTO__PROTOS__TRACE_PACKET_DEFAULTS__INIT;
	Perfetto__Protos__TrackEventDefaults tdefs = PERFETTO__PROTOS__TRACK_EVENT_DEFAULTS__INIT;
	Perfetto__Protos__ClockSnapshot snap = PERFETTO__PROTOS__CLOCK_SNAPSHOT__INIT;
	Perfetto__Protos__ClockSnapshot__Clock boot = PERFETTO__PROTOS__CLOCK_SNAPSHOT__CLOCK__INIT;
	Perfetto__Protos__ClockSnapshot__Clock delta = PERFETTO__PROTOS__CLOCK_SNAPSHOT__CLOCK__INIT;
	Perfetto__Protos__ClockSnapshot__Clock *clocks[2] = { &boot, &delta };

	perfetto__protos__trace_packet__init(&p);
	p.optional_trusted_packet_sequence_id_case =
		PERFETTO__PROTOS__TRACE_PACKET__OPTIONAL_TRUSTED_PACKET_SEQUENCE_ID_TRUSTED_PACKET_SEQUENCE_ID;
	p.trusted_packet_sequence_id = w->seq_id;
	p.has_sequence_flags = 1;
	p.sequence_flags = SEQ_CLEARED | SEQ_NEEDS;
	p.has_first_packet_on_sequence = 1;
	p.first_packet_on_sequence = 1;
	/* This packet's own timestamp is absolute BOOTTIME, whatever the
	 * defaults it installs say. */
	p.has_timestamp = 1;
	p.timestamp = t0;
	p.has_timestamp_clock_id = 1;
	p.timestamp_clock_id = PF_BOOTTIME_CLOCK_ID;

	defs.has_timestamp_clock_id = 1;
	defs.timestamp_clock_id = w->delta_ts ? PF_DELTA_CLOCK_ID : PF_BOOTTIME_CLOCK_ID;
	if (w->default_track) {     /* events on it leave their track_uuid out */
		tdefs.has_track_uuid = 1;
		tdefs.track_uuid = w->default_track;
		defs.track_event_defaults = &tdefs;
	}
	p.trace_packet_defaults = &defs;

	boot.has_clock_id = 1;
	boot.clock_id = PF_BOOTTIME_CLOCK_ID;
	boot.has_timestamp = 1;
	boot.timestamp = t0;
	delta.has_clock_id = 1;
	delta.clock_id = PF_DELTA_CLOCK_ID;
	delta.has_timestamp = 1;
	delta.timestamp = t0;
	delta.has_is_incremental = 1;
	delta.is_incremental = 1;
	delta.has_unit_multiplier_ns = 1;
	delta.unit_multiplier_ns = 1;
	snap.clocks = clocks;
	snap.n_clocks = w->delta_ts ? 2 : 1;
	snap.has_primary_trace_clock = 1;
	snap.primary_trace_clock = PERFETTO__PROTOS__BUILTIN_CLOCK__BUILTIN_CLOCK_BOOTTIME;
	p.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_CLOCK_SNAPSHOT;
	p.clock_snapshot = &snap;

	w->last_ts = t0;
	return put_packet(w, &p);
}

static int put_track(struct pf_writer *w, const struct pf_track *t, uint64_t ts)
{
	Perfetto__Protos__TracePacket p;
	Perfetto__Protos__TrackDescriptor d = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
	Perfetto__Protos__CounterDescriptor c = PERFETTO__PROTOS__COUNTER_DESCRIPTOR__INIT;
	Perfetto__Protos__ProcessDescriptor pd = PERFETTO__PROTOS__PROCESS_DESCRIPTOR__INIT;

	packet_init(w, &p, ts);
	d.has_uuid = 1;
	d.uuid = t->uuid;
	if (t->parent) {
		d.has_parent_uuid = 1;
		d.parent_uuid = t->parent;
	}
	d.static_or_dynamic_name_case =
		PERFETTO__PROTOS__TRACK_DESCRIPTOR__STATIC_OR_DYNAMIC_NAME_NAME;
	d.name = (char *)t->name;
	d.description = (char *)t->description;
	/* Lanes of different CPUs share words ("cur_proc"); never merge. */
	d.has_sibling_merge_behavior = 1;
	d.sibling_merge_behavior =
		PERFETTO__PROTOS__TRACK_DESCRIPTOR__SIBLING_MERGE_BEHAVIOR__SIBLING_MERGE_BEHAVIOR_NONE;
	d.has_sibling_order_rank = 1;
	d.sibling_order_rank = t->rank;
	if (t->explicit_children) {
		d.has_child_ordering = 1;
		d.child_ordering = PERFETTO__PROTOS__TRACK_DESCRIPTOR__CHILD_TRACKS_ORDERING__EXPLICIT;
	}
	if (t->kind == PF_TRACK_COUNTER) {
		c.unit_name = (char *)t->unit_name;
		c.has_unit = 1;
		c.unit = PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_COUNT;
		d.counter = &c;
	} else if (t->kind == PF_TRACK_PROCESS) {
		pd.has_pid = 1;
		pd.pid = t->pid;
		pd.process_name = (char *)t->process_name;
		d.process = &pd;
	}
	p.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR;
	p.track_descriptor = &d;
	return put_packet(w, &p);
}

/* Interned entries a packet must carry because it is the first to use them. */
struct pending {
	Perfetto__Protos__EventName names[1];
	Perfetto__Protos__EventName *pnames[1];
	Perfetto__Protos__EventCategory cats[1];
	Perfetto__Protos__EventCategory *pcats[1];
	Perfetto__Protos__DebugAnnotationName anames[PF_MAX_ANN];
	Perfetto__Protos__DebugAnnotationName *panames[PF_MAX_ANN];
	Perfetto__Protos__InternedString astrs[PF_MAX_ANN];
	Perfetto__Protos__InternedString *pastrs[PF_MAX_ANN];
	Perfetto__Protos__InternedData data;
};

static bool first_use(struct pf_writer *w, enum pf_table t, uint32_t iid)
{
	struct strtab *tab = &w->tab[t];
	if (iid == 0 || iid > tab->count || tab->emitted[iid - 1])
		return false;
	tab->emitted[iid - 1] = true;
	return true;
}

static void add_name(struct pending *pd, uint64_t iid, const char *s)
{
	Perfetto__Protos__EventName *n = &pd->names[pd->data.n_event_names];
	perfetto__protos__event_name__init(n);
	n->has_iid = 1;
	n->iid = iid;
	n->name = (char *)s;
	pd->pnames[pd->data.n_event_names++] = n;
}

static void add_cat(struct pending *pd, uint64_t iid, const char *s)
{
	Perfetto__Protos__EventCategory *n = &pd->cats[pd->data.n_event_categories];
	perfetto__protos__event_category__init(n);
	n->has_iid = 1;
	n->iid = iid;
	n->name = (char *)s;
	pd->pcats[pd->data.n_event_categories++] = n;
}

static void add_aname(struct pending *pd, uint64_t iid, const char *s)
{
	Perfetto__Protos__DebugAnnotationName *n =
		&pd->anames[pd->data.n_debug_annotation_names];
	perfetto__protos__debug_annotation_name__init(n);
	n->has_iid = 1;
	n->iid = iid;
	n->name = (char *)s;
	pd->panames[pd->data.n_debug_annotation_names++] = n;
}

static void add_astr(struct pending *pd, uint64_t iid, const char *s)
{
	Perfetto__Protos__InternedString *n =
		&pd->astrs[pd->data.n_debug_annotation_string_values];
	perfetto__protos__interned_string__init(n);
	n->has_iid = 1;
	n->iid = iid;
	n->has_str = 1;
	n->str.data = (uint8_t *)s;
	n->str.len = strlen(s);
	pd->pastrs[pd->data.n_debug_annotation_string_values++] = n;
}

static bool unemitted(const struct strtab *t, uint64_t iid)
{
	return iid && iid <= t->count && !t->emitted[iid - 1];
}

/* Would the packet of e have to carry interned data (a string it is the
 * first to use)? Looks only: first_use() marks them. */
static bool needs_interning(const struct pf_writer *w, const struct pf_event *e)
{
	if (unemitted(&w->tab[PF_EVENT_NAME], e->name_iid) ||
	    unemitted(&w->tab[PF_CATEGORY], e->cat_iid))
		return true;
	for (const struct pf_ann *a = &w->ann[e->ann_off]; a < &w->ann[e->ann_off + e->n_ann]; a++)
		if (unemitted(&w->tab[PF_ANN_NAME], a->name_iid) ||
		    (a->kind == PF_ANN_STR && unemitted(&w->tab[PF_ANN_STRING], a->value)))
			return true;
	return false;
}

/* The common packet: no interned data, written by pf_encode, not protobuf-c. */
static int put_encoded_event(struct pf_writer *w, const struct pf_event *e, uint64_t ts)
{
	uint8_t pkt[PF_ENCODE_MAX + 3];
	size_t len = pf_encode_event_packet(pkt + 3, ts, w->seq_id, SEQ_NEEDS, w->default_track, e,
					    &w->ann[e->ann_off]);
	size_t h;               /* Trace.packet's tag and length, right before it */
	_Static_assert(PF_ENCODE_MAX < 0x4000, "a packet's length fits two bytes");
	if (len < 0x80) {
		h = 1;
		pkt[2] = (uint8_t)len;
	} else {
		h = 0;
		pkt[1] = (uint8_t)(len | 0x80);
		pkt[2] = (uint8_t)(len >> 7);
	}
	pkt[h] = 0x0A;
	w->stats.events++;
	w->stats.packets++;
	w->stats.bytes += len + 3 - h;
	return out_write(w, pkt + h, len + 3 - h);
}

static int put_event(struct pf_writer *w, const struct pf_event *e)
{
	if (!w->verify && !needs_interning(w, e))
		return put_encoded_event(w, e, packet_ts(w, e->ts_ns));

	Perfetto__Protos__TracePacket p;
	Perfetto__Protos__TrackEvent te = PERFETTO__PROTOS__TRACK_EVENT__INIT;
	Perfetto__Protos__DebugAnnotation da[PF_MAX_ANN];
	Perfetto__Protos__DebugAnnotation *pda[PF_MAX_ANN];
	struct pending pd;
	uint64_t cat, flow, flow_end, xtrack;
	int64_t xval;

	packet_init(w, &p, e->ts_ns);
	pd.data = (Perfetto__Protos__InternedData)PERFETTO__PROTOS__INTERNED_DATA__INIT;
	pd.data.event_names = pd.pnames;
	pd.data.event_categories = pd.pcats;
	pd.data.debug_annotation_names = pd.panames;
	pd.data.debug_annotation_string_values = pd.pastrs;

	te.has_type = 1;
	te.type = (Perfetto__Protos__TrackEvent__Type)e->type;
	te.has_track_uuid = e->track != w->default_track;
	te.track_uuid = e->track;
	if (e->name_iid) {
		te.name_field_case = PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID;
		te.name_iid = e->name_iid;
		if (first_use(w, PF_EVENT_NAME, e->name_iid))
			add_name(&pd, e->name_iid, pf_interned(w, PF_EVENT_NAME, e->name_iid));
	}
	if (e->cat_iid) {
		cat = e->cat_iid;
		te.n_category_iids = 1;
		te.category_iids = &cat;
		if (first_use(w, PF_CATEGORY, e->cat_iid))
			add_cat(&pd, e->cat_iid, pf_interned(w, PF_CATEGORY, e->cat_iid));
	}
	if (e->type == PF_COUNTER) {
		te.counter_value_field_case =
			PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_COUNTER_VALUE;
		te.counter_value = e->counter;
	}
	if (e->extra_counter_track) {
		xtrack = e->extra_counter_track;
		xval = e->extra_counter;
		te.n_extra_counter_track_uuids = 1;
		te.extra_counter_track_uuids = &xtrack;
		te.n_extra_counter_values = 1;
		te.extra_counter_values = &xval;
	}
	if (e->flow) {
		flow = e->flow;
		te.n_flow_ids = 1;
		te.flow_ids = &flow;
	}
	if (e->flow_end) {
		flow_end = e->flow_end;
		te.n_terminating_flow_ids = 1;
		te.terminating_flow_ids = &flow_end;
	}
	for (unsigned i = 0; i < e->n_ann; i++) {
		const struct pf_ann *a = &w->ann[e->ann_off + i];
		Perfetto__Protos__DebugAnnotation *d = &da[i];
		perfetto__protos__debug_annotation__init(d);
		d->name_field_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME_IID;
		d->name_iid = a->name_iid;
		if (first_use(w, PF_ANN_NAME, a->name_iid))
			add_aname(&pd, a->name_iid, pf_interned(w, PF_ANN_NAME, a->name_iid));
		switch (a->kind) {
		case PF_ANN_INT:
			d->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_INT_VALUE;
			d->int_value = (int64_t)a->value;
			break;
		case PF_ANN_PTR:
			d->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_POINTER_VALUE;
			d->pointer_value = a->value;
			break;
		case PF_ANN_BOOL:
			d->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_BOOL_VALUE;
			d->bool_value = a->value != 0;
			break;
		case PF_ANN_STR:
			d->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_STRING_VALUE_IID;
			d->string_value_iid = a->value;
			if (first_use(w, PF_ANN_STRING, (uint32_t)a->value))
				add_astr(&pd, a->value,
					 pf_interned(w, PF_ANN_STRING, (uint32_t)a->value));
			break;
		default:
			d->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_UINT_VALUE;
			d->uint_value = a->value;
			break;
		}
		pda[i] = d;
	}
	te.n_debug_annotations = e->n_ann;
	te.debug_annotations = pda;

	if (pd.data.n_event_names || pd.data.n_event_categories ||
	    pd.data.n_debug_annotation_names || pd.data.n_debug_annotation_string_values)
		p.interned_data = &pd.data;
	p.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT;
	p.track_event = &te;
	if (p.interned_data) {
		w->stats.events++;
		return put_packet(w, &p);
	}
	if (pf_encode_verify(&p, e, &w->ann[e->ann_off]))
		exit(3);
	return put_encoded_event(w, e, p.timestamp);
}

static int cmp_event(const void *a, const void *b)
{
	const struct pf_event *x = a, *y = b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool sorted(const struct pf_event *ev, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (cmp_event(&ev[i - 1], &ev[i]) > 0)
			return false;
	return true;
}

void pf_writer_sort(struct pf_writer *w)
{
	/* The converter emits in time order almost always; sort only if not. */
	if (!sorted(w->ev, w->nev))
		qsort(w->ev, w->nev, sizeof(*w->ev), cmp_event);
}

const struct pf_event *pf_writer_events(const struct pf_writer *w, size_t *n)
{
	*n = w->nev;
	return w->ev;
}

const struct pf_ann *pf_writer_anns(const struct pf_writer *w, const struct pf_event *e)
{
	return &w->ann[e->ann_off];
}

const struct pf_track *pf_writer_tracks(const struct pf_writer *w, size_t *n)
{
	*n = w->ntracks;
	return w->tracks;
}

/* The track most events are on (uuids below 2^16 counted; 0: none). */
static uint64_t busiest_track(const struct pf_writer *w)
{
	uint32_t *count = calloc(1u << 16, sizeof(*count));
	uint64_t best = 0;
	if (!count)
		return 0;
	for (size_t i = 0; i < w->nev; i++)
		if (w->ev[i].track < (1u << 16) && ++count[w->ev[i].track] > count[best])
			best = w->ev[i].track;
	free(count);
	return best;
}

int pf_writer_finish(struct pf_writer *w, FILE *out, uint64_t t0_ns)
{
	pf_writer_sort(w);
	if (w->nev && w->ev[0].ts_ns < t0_ns)
		t0_ns = w->ev[0].ts_ns;

	w->out = out;
	w->default_track = busiest_track(w);
	if (put_first_packet(w, t0_ns))
		return -1;
	for (size_t i = 0; i < w->ntracks; i++)
		if (put_track(w, &w->tracks[i], t0_ns))
			return -1;
	for (size_t i = 0; i < w->nev; i++)
		if (put_event(w, &w->ev[i]))
			return -1;
	if (w->olen && fwrite(w->obuf, 1, w->olen, w->out) != w->olen)
		return -1;
	w->olen = 0;
	return fflush(out) ? -1 : 0;
}
