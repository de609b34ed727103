/*
 * pf_writer: a Perfetto trace writer on top of protobuf-c.
 *
 * The converter hands it tracks and events in any order; the writer keeps
 * them, sorts the events by timestamp (so the importer never has to drop a
 * late packet), and writes one trusted packet sequence:
 *
 *   1. a ClockSnapshot packet that clears incremental state, sets the packet
 *      defaults and (by default) starts a delta-encoded clock, so each later
 *      timestamp costs one to three bytes instead of five to eight;
 *   2. every track descriptor, in the order they were added (the converter
 *      adds them CPU by CPU), before any event that uses them;
 *   3. the events, each packet carrying the interned strings it is the first
 *      to use (names, categories, annotation names and string values).
 *
 * Packets are packed by protobuf-c from the trimmed perfetto_trace.proto,
 * except the track events that carry no interned data (nearly all), which
 * pf_encode.c writes byte for byte as protobuf-c would, ten times faster;
 * each is appended as `0A <len> <packet>` (Trace.packet, field 1) to an
 * output buffer written in 1 MiB blocks.
 */
#ifndef TOOLS_PERFETTO_PF_WRITER_H
#define TOOLS_PERFETTO_PF_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Interning tables: each is its own iid space in Perfetto's InternedData. */
enum pf_table {
	PF_EVENT_NAME,
	PF_CATEGORY,
	PF_ANN_NAME,
	PF_ANN_STRING,
	PF_NUM_TABLES
};

enum pf_event_type {        /* TrackEvent.Type values */
	PF_SLICE_BEGIN = 1,
	PF_SLICE_END = 2,
	PF_INSTANT = 3,
	PF_COUNTER = 4,
};

enum pf_ann_kind {
	PF_ANN_UINT,
	PF_ANN_INT,
	PF_ANN_PTR,         /* shown as hex by the UI */
	PF_ANN_STR,         /* value is an iid in PF_ANN_STRING */
	PF_ANN_BOOL,
};

/* One debug annotation (an "arg" in the UI). */
struct pf_ann {
	uint32_t name_iid;  /* iid in PF_ANN_NAME */
	uint32_t kind;      /* enum pf_ann_kind */
	uint64_t value;
};

#define PF_MAX_ANN 12

/* One TrackEvent, waiting to be sorted and written. */
struct pf_event {
	uint64_t ts_ns;
	uint64_t track;         /* uuid of a declared track */
	uint64_t flow;          /* flow id carried (0: none) */
	uint64_t flow_end;      /* flow id terminated here (0: none) */
	int64_t counter;        /* PF_COUNTER only */
	uint64_t extra_counter_track; /* 0: none; else a counter track updated too */
	int64_t extra_counter;
	uint32_t name_iid;      /* 0 for END and COUNTER */
	uint32_t cat_iid;       /* 0: none */
	uint8_t type;           /* enum pf_event_type */
	uint8_t n_ann;
	uint32_t ann_off;       /* filled in by the writer */
	uint64_t order;         /* filled in by the writer: insertion order */
};

enum pf_track_kind {
	PF_TRACK_SLICE,     /* plain named track for slices and instants */
	PF_TRACK_COUNTER,
	PF_TRACK_PROCESS,   /* carries a ProcessDescriptor */
};

struct pf_track {
	uint64_t uuid;          /* non-zero, unique */
	uint64_t parent;        /* 0: root */
	enum pf_track_kind kind;
	const char *name;       /* copied */
	const char *description;/* may be NULL; copied */
	const char *unit_name;  /* counters; may be NULL; copied */
	int32_t pid;            /* PF_TRACK_PROCESS */
	const char *process_name; /* PF_TRACK_PROCESS: ProcessDescriptor.process_name;
				     NULL: none; copied */
	int32_t rank;           /* sibling_order_rank */
	bool explicit_children; /* child_ordering = EXPLICIT */
};

struct pf_writer;

struct pf_writer_stats {
	uint64_t packets;
	uint64_t events;
	uint64_t bytes;
};

/* seq_id must be non-zero. delta_ts: use the incremental clock (default). */
struct pf_writer *pf_writer_new(uint32_t seq_id, bool delta_ts);
void pf_writer_free(struct pf_writer *w);

/* Returns the iid of s in table t (non-zero), adding it if new. */
uint32_t pf_intern(struct pf_writer *w, enum pf_table t, const char *s);
/* The string behind an iid (for tests and messages); NULL if unknown. */
const char *pf_interned(const struct pf_writer *w, enum pf_table t, uint32_t iid);

/* Declares a track. Returns false if the uuid is 0 or already declared. */
bool pf_track_add(struct pf_writer *w, const struct pf_track *t);
bool pf_track_exists(const struct pf_writer *w, uint64_t uuid);
/* Renames a declared track (descriptors are written at finish, so the last
 * name is the one the trace carries); process_name as in pf_track_add.
 * Returns false if the uuid is not declared. */
bool pf_track_rename(struct pf_writer *w, uint64_t uuid, const char *name,
		     const char *process_name);

/* Queues one event; ann[0..ev->n_ann) are copied. */
void pf_emit(struct pf_writer *w, const struct pf_event *ev,
	     const struct pf_ann *ann);

/* Sorts and writes everything. t0_ns: the timestamp of the clock snapshot,
 * at or before the first event. Returns 0, or -1 with errno on a write error. */
int pf_writer_finish(struct pf_writer *w, FILE *out, uint64_t t0_ns);

struct pf_writer_stats pf_writer_stats(const struct pf_writer *w);

/* Pack every event packet without interned data both ways, protobuf-c and
 * pf_encode (pf_encode.h), and exit(3) with a message if they differ. */
void pf_writer_set_verify(struct pf_writer *w, bool on);

/* Read access for other sinks of the same content (chrome_json.c). */
void pf_writer_sort(struct pf_writer *w);   /* pf_writer_finish does it too */
const struct pf_event *pf_writer_events(const struct pf_writer *w, size_t *n);
const struct pf_ann *pf_writer_anns(const struct pf_writer *w, const struct pf_event *e);
const struct pf_track *pf_writer_tracks(const struct pf_writer *w, size_t *n);

#endif
