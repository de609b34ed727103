/*
 * pf_encode: a TracePacket carrying one TrackEvent and no interned data
 * (the packet almost every record becomes), written straight to bytes.
 *
 * protobuf-c packs by walking the message descriptors field by field,
 * about 3000 instructions for such a packet; this writes the same bytes
 * (same fields, same order, same encodings) in a tenth of that. pf_writer
 * uses it for exactly the packets it would otherwise hand to protobuf-c
 * without interned data, and its verify mode (trace2perfetto
 * --verify-encoder, run by the tests) packs each one both ways and
 * compares. Everything else (descriptors, the clock snapshot, packets that
 * intern strings) is still packed by protobuf-c.
 */
#ifndef TOOLS_PERFETTO_PF_ENCODE_H
#define TOOLS_PERFETTO_PF_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "tools/perfetto/pf_writer.h"

/* An upper bound of a packet's size: PF_MAX_ANN annotations of at most
 * 2 + 3 + 11 bytes each, and at most 100 bytes of everything else. */
#define PF_ENCODE_MAX (PF_MAX_ANN * 16 + 128)

/*
 * Writes the TracePacket (timestamp ts, sequence seq_id, sequence_flags
 * flags, the track event e with annotations ann[0..e->n_ann), its
 * track_uuid left out when it is default_track, the sequence's
 * TrackEventDefaults.track_uuid; 0: none) to buf,
 * which has room for PF_ENCODE_MAX bytes. Returns its length, without the
 * Trace.packet tag and length around it.
 */
size_t pf_encode_event_packet(uint8_t *buf, uint64_t ts, uint32_t seq_id, uint32_t flags,
			      uint64_t default_track, const struct pf_event *e,
			      const struct pf_ann *ann);

/*
 * The check behind --verify-encoder: packet is the same packet as a
 * protobuf-c Perfetto__Protos__TracePacket (from which timestamp, sequence
 * id and flags are taken). 0 if pf_encode_event_packet writes exactly
 * protobuf-c's bytes; else -1, after saying where they differ on stderr.
 */
int pf_encode_verify(const void *packet, const struct pf_event *e, const struct pf_ann *ann);

#endif
