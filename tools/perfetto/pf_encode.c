/*
 * pf_encode: see pf_encode.h. The wire format, for the one message shape
 * that makes up almost the whole file:
 *
 *   TracePacket            8 timestamp, 10 trusted_packet_sequence_id,
 *                          11 track_event, 13 sequence_flags
 *   TrackEvent             3 category_iids, 4 debug_annotations, 9 type,
 *                          10 name_iid, 11 track_uuid, 12 extra_counter_values,
 *                          30 counter_value, 31 extra_counter_track_uuids,
 *                          47 flow_ids, 48 terminating_flow_ids (fixed64)
 *   DebugAnnotation        1 name_iid, then one of 2 bool_value, 3 uint_value,
 *                          4 int_value, 7 pointer_value, 17 string_value_iid
 *
 * Fields go out in field-number order, as protobuf-c writes them, so that
 * the bytes are protobuf-c's own (pf_writer's verify mode compares them).
 * Repeated scalars are unpacked (proto2; Perfetto's importer ignores packed
 * runs of these fields).
 */
#include "tools/perfetto/pf_encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_trace.pb-c.h"

/* Tags: (field << 3) | wire type, as varints. */
#define WT_VARINT 0
#define WT_I64 1
#define WT_LEN 2
#define TAG(f, wt) (((uint32_t)(f) << 3) | (wt))

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint8_t *put_tag(uint8_t *p, uint32_t field, uint32_t wt)
{
	return put_varint(p, TAG(field, wt));
}

static inline uint8_t *put_uint(uint8_t *p, uint32_t field, uint64_t v)
{
	return put_varint(put_tag(p, field, WT_VARINT), v);
}

static inline uint8_t *put_fixed64(uint8_t *p, uint32_t field, uint64_t v)
{
	p = put_tag(p, field, WT_I64);
	memcpy(p, &v, 8); /* little-endian host, as the wire */
	return p + 8;
}

/* A length-delimited field whose body [body, end) was written at body. */
static inline uint8_t *put_len(uint8_t *p, uint32_t field, const uint8_t *body, size_t n)
{
	p = put_tag(p, field, WT_LEN);
	p = put_varint(p, n);
	memmove(p, body, n);
	return p + n;
}

static uint8_t *put_annotation(uint8_t *p, const struct pf_ann *a)
{
	uint8_t body[32];
	uint8_t *q = put_uint(body, 1, a->name_iid);
	switch (a->kind) {
	case PF_ANN_BOOL:
		q = put_uint(q, 2, a->value != 0);
		break;
	case PF_ANN_INT:
		q = put_uint(q, 4, a->value); /* int64: two's complement, 10 bytes if negative */
		break;
	case PF_ANN_PTR:
		q = put_uint(q, 7, a->value);
		break;
	case PF_ANN_STR:
		q = put_uint(q, 17, a->value);
		break;
	default:
		q = put_uint(q, 3, a->value);
		break;
	}
	return put_len(p, 4, body, (size_t)(q - body));
}

size_t pf_encode_event_packet(uint8_t *buf, uint64_t ts, uint32_t seq_id, uint32_t flags,
			      uint64_t default_track, const struct pf_event *e,
			      const struct pf_ann *ann)
{
	uint8_t te[PF_ENCODE_MAX];
	uint8_t *q = te;

	if (e->cat_iid)
		q = put_uint(q, 3, e->cat_iid);
	for (unsigned i = 0; i < e->n_ann; i++)
		q = put_annotation(q, &ann[i]);
	q = put_uint(q, 9, e->type);
	if (e->name_iid)
		q = put_uint(q, 10, e->name_iid);
	if (e->track != default_track)
		q = put_uint(q, 11, e->track);
	if (e->extra_counter_track)
		q = put_uint(q, 12, (uint64_t)e->extra_counter);
	if (e->type == PF_COUNTER)
		q = put_uint(q, 30, (uint64_t)e->counter);
	if (e->extra_counter_track)
		q = put_uint(q, 31, e->extra_counter_track);
	if (e->flow)
		q = put_fixed64(q, 47, e->flow);
	if (e->flow_end)
		q = put_fixed64(q, 48, e->flow_end);

	uint8_t *p = buf;
	p = put_uint(p, 8, ts);
	p = put_uint(p, 10, seq_id);
	p = put_len(p, 11, te, (size_t)(q - te));
	p = put_uint(p, 13, flags);
	return (size_t)(p - buf);
}

int pf_encode_verify(const void *packet, const struct pf_event *e, const struct pf_ann *ann)
{
	const Perfetto__Protos__TracePacket *p = packet;
	uint8_t mine[PF_ENCODE_MAX];
	size_t want = perfetto__protos__trace_packet__get_packed_size(p);
	uint8_t *ref = malloc(want ? want : 1);
	if (!ref) {
		fprintf(stderr, "trace2perfetto: out of memory\n");
		exit(2);
	}
	uint64_t dflt = p->track_event->has_track_uuid ? 0 : e->track;
	size_t n = pf_encode_event_packet(mine, p->timestamp, p->trusted_packet_sequence_id,
					  p->sequence_flags, dflt, e, ann);
	perfetto__protos__trace_packet__pack(p, ref);
	size_t i = 0;
	while (i < n && i < want && mine[i] == ref[i])
		i++;
	free(ref);
	if (n == want && i == n)
		return 0;
	fprintf(stderr, "trace2perfetto: pf_encode differs from protobuf-c for the event at %llu ns "
		"(type %u, %u args): %zu bytes against %zu, first difference at byte %zu\n",
		(unsigned long long)e->ts_ns, e->type, e->n_ann, n, want, i);
	return -1;
}
