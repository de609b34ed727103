/*
 * ring.c: the parts of the per-CPU rings that are not on the hot path,
 * shared by the kernel (through trace/kernel/ring_kernel.c) and the host
 * unit tests, which build the same code against a small trace_area:
 * setting the area up, the stop-mode slow path, and the final accounting
 * that trace_flush does. The hot path itself is trace_emit() in trace.h.
 *
 * Freestanding: no libc, so the kernel and the host share it unchanged.
 */
#include "trace/ring.h"

#include <stddef.h>
#include "trace/schema.h"

static void copy_str(char *dst, const char *src, size_t n)
{
	size_t i = 0;
	for (; src && i + 1 < n && src[i]; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
}

struct trace_cpu_ring trace_cpu_rings[TRACE_MAX_CPUS];

void trace_area_init(const struct trace_area_config *cfg)
{
	struct trace_area_header *h = &trace_area.hdr;
	uint8_t *p = (uint8_t *)h;

	/* A reboot without a RAM reset must not leave a stale magic behind. */
	for (size_t i = 0; i < sizeof(*h); i++)
		p[i] = 0;
	h->version = TRACE_VERSION;
	h->header_bytes = sizeof(*h);
	h->area_bytes = sizeof(trace_area);
	h->area_vaddr = (uint64_t)(uintptr_t)&trace_area;
	h->max_cpus = TRACE_MAX_CPUS;
	h->record_bytes = TRACE_RECORD_BYTES;
	h->mode = cfg->mode;
	h->nevents = TRACE_NUM_EVENTS;
	h->tsc_hz = cfg->tsc_hz;
	h->schema_hash = trace_schema_hash();
	copy_str(h->build_id, cfg->build_id, sizeof(h->build_id));
	copy_str(h->cmdline, cfg->cmdline, sizeof(h->cmdline));
	copy_str(h->bugs, cfg->bugs, sizeof(h->bugs));

	for (unsigned c = 0; c < TRACE_MAX_CPUS; c++) {
		struct trace_ring_desc *r = &h->ring[c];
		r->data_off = (uint64_t)((uint8_t *)trace_area.slot[c] - (uint8_t *)&trace_area);
		r->ring_records = TRACE_RING_RECORDS;
		r->cpu = c;
		/* Stop mode keeps the last slot for the ring_full marker. */
		r->limit = cfg->mode == TRACE_MODE_STOP ? TRACE_RING_RECORDS - 1 : UINT64_MAX;
		trace_cpu_rings[c].desc = r;
		trace_cpu_rings[c].slots = trace_area.slot[c];
		/* The slots stay as they are (zero in .bss): a zeroed slot reads
		 * as id 0 with no fields, which matches no event's field count,
		 * so a reader never takes it for a committed record. */
	}
	h->header_crc = trace_crc32(0, (const uint8_t *)h + TRACE_HEADER_CRC_START, TRACE_HEADER_CRC_BYTES);
	/* The magic last: a reader that finds it finds a complete header. */
	asm volatile("" : : : "memory");
	h->magic = TRACE_MAGIC;
}

void trace_area_set_tsc_hz(uint64_t hz)
{
	struct trace_area_header *h = &trace_area.hdr;
	h->tsc_hz = hz;
	h->header_crc = trace_crc32(0, (const uint8_t *)h + TRACE_HEADER_CRC_START, TRACE_HEADER_CRC_BYTES);
}

void trace_area_set_string(char *field, size_t n, const char *s)
{
	copy_str(field, s, n);
}

void trace_ring_full(unsigned cpu, uint64_t seq)
{
	struct trace_ring_desc *r = &trace_area.hdr.ring[cpu];

	/* Only the first writer past the limit leaves the marker; next_seq
	 * counts every later one, so nothing else needs writing. */
	if (seq != r->limit)
		return;
	struct trace_record *rec = &trace_area.slot[cpu][seq & (TRACE_RING_RECORDS - 1)];
	trace_store_tsc(&rec->tsc);
	rec->field[0] = 1; /* this writer's own record; trace_ring_account makes it exact */
	rec->field[1] = TRACE_lost_reason_ring_full;
	asm volatile("" : : : "memory");
	rec->info = trace_record_info(seq, TRACE_EV_trace_lost, TRACE_NW_trace_lost);
}

void trace_ring_account(unsigned cpu)
{
	struct trace_ring_desc *r = &trace_area.hdr.ring[cpu];
	uint64_t reserved = r->next_seq;

	if (reserved > r->limit) {
		/* Stop mode: limit records kept, plus the marker. */
		r->written = r->limit;
		r->dropped = reserved - r->limit;
		r->overwritten = 0;
		struct trace_record *rec = &trace_area.slot[cpu][r->limit & (TRACE_RING_RECORDS - 1)];
		if (rec->seq_lo == (uint32_t)r->limit && rec->id == TRACE_EV_trace_lost)
			rec->field[0] = r->dropped;
	} else {
		r->written = reserved;
		r->dropped = 0;
		r->overwritten = reserved > TRACE_RING_RECORDS ? reserved - TRACE_RING_RECORDS : 0;
	}
	r->flags |= TRACE_RING_FLUSHED | (reserved ? TRACE_RING_ONLINE : 0);
}
