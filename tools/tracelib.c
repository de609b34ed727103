/*
 * tracelib.c: extract, decode and print traces on the host. See tracelib.h
 * for the API and trace/format.h for the formats.
 */
#include "tools/tracelib.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC32 -------------------------------------------------------------- */

/* Slicing-by-8: crc_table[k][b] is the CRC of byte b followed by k zero
 * bytes, so eight bytes take eight independent lookups, not a chain. */
static uint32_t crc_table[8][256];

static void crc_init(void)
{
	if (crc_table[0][1])
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
}

uint32_t tl_crc32(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	crc_init();
	crc = ~crc;
	for (; n >= 8; n -= 8, b += 8) {
		uint32_t lo, hi;
		memcpy(&lo, b, 4);      /* little-endian host */
		memcpy(&hi, b + 4, 4);
		lo ^= crc;
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
	}
	for (; n; n--, b++)
		crc = crc_table[0][(crc ^ *b) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- Finding the trace area in a RAM image ------------------------------- */

/* Why the header at h is not a usable trace area header, or NULL if it is. */
static const char *area_header_problem(const struct trace_area_header *h, size_t avail)
{
	if (h->magic != TRACE_MAGIC)
		return "no magic";
	if (h->version != TRACE_VERSION)
		return "unsupported version";
	if (h->header_bytes != sizeof(*h) || h->record_bytes != TRACE_RECORD_BYTES ||
	    h->max_cpus == 0 || h->max_cpus > TRACE_MAX_CPUS)
		return "header sizes do not match this tool's format";
	if (tl_crc32(0, (const uint8_t *)h + TRACE_HEADER_CRC_START, TRACE_HEADER_CRC_BYTES) != h->header_crc)
		return "header CRC mismatch";
	if (h->area_bytes > avail)
		return "the image ends inside the trace area";
	for (unsigned c = 0; c < h->max_cpus; c++) {
		const struct trace_ring_desc *r = &h->ring[c];
		if (r->ring_records == 0)
			continue;
		if (r->ring_records & (r->ring_records - 1))
			return "a ring size is not a power of two";
		if (r->data_off < TRACE_AREA_HEADER_BYTES ||
		    r->data_off + (uint64_t)r->ring_records * TRACE_RECORD_BYTES > h->area_bytes)
			return "a ring lies outside the area";
	}
	return NULL;
}

long tl_find_area(const uint8_t *ram, size_t len, char *err, size_t errlen)
{
	const char *last = NULL;
	long last_off = -1;

	for (size_t off = 0; off + sizeof(struct trace_area_header) <= len; off += 4096) {
		struct trace_area_header h;
		uint64_t magic;
		memcpy(&magic, ram + off, sizeof(magic));
		if (magic != TRACE_MAGIC)
			continue;
		memcpy(&h, ram + off, sizeof(h));
		const char *why = area_header_problem(&h, len - off);
		if (!why)
			return (long)off;
		last = why;
		last_off = (long)off;
	}
	if (last)
		msg(err, errlen, "trace area magic at offset 0x%lx but %s", last_off, last);
	else
		msg(err, errlen,
		    "no trace area in the %zu-byte image (the kernel did not reach trace_init?)", len);
	return -1;
}

/* ---- Extraction: trace area to raw chunks --------------------------------- */

struct writer {
	FILE *out;
	uint64_t chunks;
	int failed;
};

static void put_chunk(struct writer *w, uint16_t type, uint16_t cpu, uint64_t seq,
		      const void *payload, uint32_t len)
{
	struct trace_chunk_header ch = {
		.magic = TRACE_CHUNK_MAGIC, .type = type, .cpu = cpu, .seq = seq, .length = len,
	};
	uint32_t crc = tl_crc32(0, &ch, sizeof(ch));
	ch.crc = tl_crc32(crc, payload, len);
	if (fwrite(&ch, sizeof(ch), 1, w->out) != 1 || (len && fwrite(payload, len, 1, w->out) != 1))
		w->failed = 1;
	w->chunks++;
}

/* Records of one ring in sequence order, in chunks of consecutive committed ones. */
static uint64_t extract_ring(struct writer *w, const uint8_t *area, const struct trace_area_header *h,
			     unsigned cpu, uint8_t *buf)
{
	const struct trace_ring_desc *r = &h->ring[cpu];
	uint64_t n = r->ring_records, first, end, written = 0;
	uint64_t chunk_seq = 0;
	uint32_t chunk_len = 0, chunk_recs = 0;
	int lost_id = trace_event_by_name("trace_lost", 10);

	if (n == 0 || r->next_seq == 0)
		return 0;
	end = r->next_seq;
	if (r->limit < end - 1)
		end = r->limit + 1; /* stop mode: the slot at `limit` holds the ring_full marker */
	first = end > n ? end - n : 0;

	for (uint64_t seq = first; seq < end; seq++) {
		struct trace_record rec;
		memcpy(&rec, area + r->data_off + (seq & (n - 1)) * TRACE_RECORD_BYTES, sizeof(rec));
		/* The schema hash matched, so the tool's table describes the ids. */
		int ok = rec.seq_lo == (uint32_t)seq && rec.id < TRACE_NUM_EVENTS &&
			 rec.nfields == trace_event_descs[rec.id].nwords;
		if (ok && rec.id == lost_id && seq == r->limit) {
			/* The marker's count is final only after a flush; next_seq always is. */
			rec.field[0] = r->next_seq - r->limit;
		}
		if (chunk_recs && (!ok || chunk_recs == TRACE_CHUNK_MAX_RECORDS)) {
			put_chunk(w, TRACE_CHUNK_RECORDS, (uint16_t)cpu, chunk_seq, buf, chunk_len);
			chunk_recs = chunk_len = 0;
		}
		if (!ok)
			continue; /* reserved, never committed: the reader sees the gap */
		if (!chunk_recs)
			chunk_seq = seq;
		uint32_t sz = TRACE_RECORD_HEADER_BYTES + 8u * rec.nfields;
		memcpy(buf + chunk_len, &rec, sz);
		chunk_len += sz;
		chunk_recs++;
		written++;
	}
	if (chunk_recs)
		put_chunk(w, TRACE_CHUNK_RECORDS, (uint16_t)cpu, chunk_seq, buf, chunk_len);
	return written;
}

enum tl_status tl_extract(const uint8_t *ram, size_t len, FILE *out, uint64_t *nrecords,
			  char *err, size_t errlen)
{
	struct writer w = { .out = out };
	struct trace_raw_file_header fh = {
		.magic = TRACE_RAW_MAGIC, .version = TRACE_RAW_VERSION, .header_bytes = sizeof(fh),
	};
	struct trace_area_header h;
	uint8_t buf[TRACE_CHUNK_MAX_RECORDS * TRACE_RECORD_BYTES];
	uint64_t total = 0;

	*nrecords = 0;
	long off = tl_find_area(ram, len, err, errlen);
	if (off < 0)
		return TL_FATAL;
	memcpy(&h, ram + off, sizeof(h));
	if (h.schema_hash != trace_schema_hash() || h.nevents != TRACE_NUM_EVENTS) {
		msg(err, errlen,
		    "the kernel's event table (hash %016" PRIx64 ", %u events) differs from this "
		    "tool's (hash %016" PRIx64 ", %u events): rebuild the tools from the kernel's tree",
		    h.schema_hash, h.nevents, trace_schema_hash(), (unsigned)TRACE_NUM_EVENTS);
		return TL_FATAL;
	}
	if (fwrite(&fh, sizeof(fh), 1, out) != 1)
		w.failed = 1;
	put_chunk(&w, TRACE_CHUNK_AREA, 0, 0, &h, sizeof(h));
	for (unsigned cpu = 0; cpu < h.max_cpus; cpu++)
		total += extract_ring(&w, ram + off, &h, cpu, buf);
	put_chunk(&w, TRACE_CHUNK_END, 0, w.chunks, NULL, 0);
	*nrecords = total;
	if (w.failed || fflush(out) != 0) {
		msg(err, errlen, "writing the raw trace failed: %s", strerror(errno));
		return TL_FATAL;
	}
	return TL_OK;
}

/* ---- Decoding a raw trace ------------------------------------------------- */

static int push(struct tl_trace *t, size_t *cap, const struct tl_event *e)
{
	if (t->nev == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		struct tl_event *ne = realloc(t->ev, nc * sizeof(*ne));
		if (!ne)
			return -1;
		t->ev = ne;
		*cap = nc;
	}
	t->ev[t->nev++] = *e;
	return 0;
}

static void damage(struct tl_trace *t, const char *fmt, ...)
{
	va_list ap;
	if (t->damaged)
		return;
	t->damaged = 1;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
}

static const char *chunk_type_name(unsigned type)
{
	switch (type) {
	case TRACE_CHUNK_AREA: return "AREA";
	case TRACE_CHUNK_RECORDS: return "RECORDS";
	case TRACE_CHUNK_END: return "END";
	default: return "unknown";
	}
}

/* Decode one RECORDS chunk's payload; -1 and a message if it is malformed. */
static int decode_records(struct tl_trace *t, size_t *cap, const struct trace_chunk_header *ch,
			  const uint8_t *p, size_t off)
{
	size_t pos = 0;
	uint64_t seq = ch->seq;

	while (pos < ch->length) {
		struct trace_record rec = { 0 };
		struct tl_event e = { 0 };
		if (ch->length - pos < TRACE_RECORD_HEADER_BYTES) {
			damage(t, "offset %zu: record at byte %zu of a RECORDS chunk (cpu %u) is cut short",
			       off, pos, ch->cpu);
			return -1;
		}
		memcpy(&rec, p + pos, TRACE_RECORD_HEADER_BYTES);
		if (rec.id >= TRACE_NUM_EVENTS || rec.nfields != trace_event_descs[rec.id].nwords ||
		    rec.seq_lo != (uint32_t)seq ||
		    ch->length - pos < TRACE_RECORD_HEADER_BYTES + 8u * rec.nfields) {
			damage(t, "offset %zu: malformed record (cpu %u seq %" PRIu64 ", id %u, %u words)",
			       off + sizeof(*ch) + pos, ch->cpu, seq, rec.id, rec.nfields);
			return -1;
		}
		memcpy(rec.field, p + pos + TRACE_RECORD_HEADER_BYTES, 8u * rec.nfields);
		e.ts = rec.tsc;
		e.seq = seq;
		e.cpu = ch->cpu;
		e.id = rec.id;
		e.nfields = trace_event_descs[rec.id].nfields;
		memcpy(e.field, rec.field, sizeof(e.field));
		if (push(t, cap, &e))
			return -1;
		pos += TRACE_RECORD_HEADER_BYTES + 8u * rec.nfields;
		seq++;
	}
	return 0;
}

static int event_order(const void *a, const void *b)
{
	const struct tl_event *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (int)y->synthetic - (int)x->synthetic; /* a loss before the record after it */
}

static int seq_order(const void *a, const void *b)
{
	const struct tl_event *x = a, *y = b;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static int add_loss(struct tl_trace *t, size_t *cap, unsigned cpu, uint64_t ts, uint64_t seq,
		    uint64_t count, unsigned reason)
{
	struct tl_event e = {
		.ts = ts, .seq = seq, .cpu = (uint16_t)cpu, .id = TRACE_EV_trace_lost,
		.nfields = TRACE_NF_trace_lost, .synthetic = 1,
	};
	e.field[0] = count;
	e.field[1] = reason;
	return push(t, cap, &e);
}

/*
 * Sorts ev by cmp, stably, in O(n log r) for r ascending runs. Each CPU's
 * records arrive in order, so a trace is a few long runs (and the losses
 * appended after them): a natural merge sort takes a pass or two where
 * qsort would compare its way through log n of them.
 */
static void run_sort(struct tl_event *ev, size_t n, int (*cmp)(const void *, const void *))
{
	struct tl_event *tmp = n > 1 ? malloc(n * sizeof(*ev)) : NULL;
	if (!tmp) {
		if (n > 1)
			qsort(ev, n, sizeof(*ev), cmp);
		return;
	}
	struct tl_event *src = ev, *dst = tmp, *swap;
	for (size_t runs = 0; runs != 1; swap = src, src = dst, dst = swap) {
		runs = 0;
		for (size_t i = 0; i < n; runs++) {     /* merge two runs into dst */
			size_t m = i + 1, e;
			while (m < n && cmp(&src[m - 1], &src[m]) <= 0)
				m++;
			for (e = m < n ? m + 1 : n; e < n && cmp(&src[e - 1], &src[e]) <= 0;)
				e++;
			size_t x = i, y = m, k = i;
			while (x < m && y < e)
				dst[k++] = cmp(&src[y], &src[x]) < 0 ? src[y++] : src[x++];
			memcpy(&dst[k], &src[x], (m - x) * sizeof(*ev));
			k += m - x;
			memcpy(&dst[k], &src[y], (e - y) * sizeof(*ev));
			i = e;
		}
	}
	if (src != ev)
		memcpy(ev, src, n * sizeof(*ev));
	free(tmp);
}

/*
 * Make every loss explicit: records overwritten before the first one kept,
 * gaps between chunks, and records the header says exist but that never
 * arrived (uncommitted, or lost to damage).
 */
static int account_losses(struct tl_trace *t, size_t *cap, int have_hdr)
{
	size_t n = t->nev;
	run_sort(t->ev, n, seq_order);
	for (size_t i = 0; i < n; i++) {
		struct tl_event *e = &t->ev[i];
		struct tl_cpu_stats *st = &t->cpu[e->cpu];
		int first = i == 0 || t->ev[i - 1].cpu != e->cpu;
		uint64_t ts = e->ts, seq = e->seq, cpu = e->cpu;

		if (e->cpu + 1u > t->ncpus_seen)
			t->ncpus_seen = e->cpu + 1u;
		if (!first && seq <= t->ev[i - 1].seq)
			continue; /* a repeated record adds nothing */
		if (first && seq > 0) {
			if (add_loss(t, cap, cpu, ts, 0, seq, TRACE_lost_reason_overwritten))
				return -1;
		} else if (!first && seq != t->ev[i - 1].seq + 1) {
			uint64_t from = t->ev[i - 1].seq + 1;
			if (add_loss(t, cap, cpu, ts, from, seq - from, TRACE_lost_reason_uncommitted))
				return -1;
		}
		if (!st->records)
			st->first_seq = seq;
		st->last_seq = seq;
		st->records++;
		int last = i + 1 == n || t->ev[i + 1].cpu != cpu;
		if (last && have_hdr && cpu < t->hdr.max_cpus) {
			const struct trace_ring_desc *r = &t->hdr.ring[cpu];
			uint64_t end = r->next_seq;
			if (r->limit < end - 1)
				end = r->limit + 1;
			if (end > seq + 1 &&
			    add_loss(t, cap, cpu, ts, seq + 1, end - (seq + 1),
				     t->damaged ? TRACE_lost_reason_damaged : TRACE_lost_reason_uncommitted))
				return -1;
		}
	}
	/* Rings that reserved records of which none arrived: all lost to the
	 * damage, or (a CPU stopped inside its only writes) never committed. */
	uint64_t last_ts = 0;
	for (size_t i = 0; i < n; i++)
		if (t->ev[i].ts > last_ts)
			last_ts = t->ev[i].ts;
	for (unsigned c = 0; have_hdr && c < t->hdr.max_cpus; c++) {
		const struct trace_ring_desc *r = &t->hdr.ring[c];
		uint64_t end = r->next_seq;
		if (t->cpu[c].records || end == 0)
			continue;
		if (r->limit < end - 1)
			end = r->limit + 1;
		if (add_loss(t, cap, c, last_ts, 0, end,
			     t->damaged ? TRACE_lost_reason_damaged : TRACE_lost_reason_uncommitted))
			return -1;
	}
	for (size_t i = 0; i < t->nev; i++) {
		const struct tl_event *e = &t->ev[i];
		if (e->id == TRACE_EV_trace_lost)
			t->cpu[e->cpu].lost += e->field[0];
	}
	run_sort(t->ev, t->nev, event_order);
	return 0;
}

enum tl_status tl_parse(const uint8_t *buf, size_t len, struct tl_trace *t)
{
	struct trace_raw_file_header fh;
	size_t cap = 0, off, chunks = 0;
	int have_hdr = 0, ended = 0;

	memset(t, 0, sizeof(*t));
	if (len < sizeof(fh)) {
		snprintf(t->error, sizeof(t->error), "offset 0: %zu bytes is too short for a raw trace", len);
		return TL_FATAL;
	}
	memcpy(&fh, buf, sizeof(fh));
	if (fh.magic != TRACE_RAW_MAGIC || fh.header_bytes != sizeof(fh)) {
		snprintf(t->error, sizeof(t->error), "offset 0: not a tkern raw trace (bad magic)");
		return TL_FATAL;
	}
	if (fh.version != TRACE_RAW_VERSION) {
		snprintf(t->error, sizeof(t->error), "offset 8: raw trace version %u, this tool reads %u",
			 fh.version, TRACE_RAW_VERSION);
		return TL_FATAL;
	}

	for (off = sizeof(fh); off < len && !ended; chunks++) {
		struct trace_chunk_header ch, zero;
		if (len - off < sizeof(ch)) {
			damage(t, "offset %zu: truncated inside the header of chunk %zu", off, chunks);
			break;
		}
		memcpy(&ch, buf + off, sizeof(ch));
		if (ch.magic != TRACE_CHUNK_MAGIC) {
			damage(t, "offset %zu: chunk %zu has a bad magic", off, chunks);
			break;
		}
		if (ch.length > len - off - sizeof(ch)) {
			damage(t, "offset %zu: chunk %zu (%s cpu %u seq %" PRIu64 ") claims %u bytes, "
			       "only %zu remain (truncated)", off, chunks, chunk_type_name(ch.type), ch.cpu,
			       ch.seq, ch.length, len - off - sizeof(ch));
			break;
		}
		zero = ch;
		zero.crc = 0;
		uint32_t crc = tl_crc32(tl_crc32(0, &zero, sizeof(zero)), buf + off + sizeof(ch), ch.length);
		if (crc != ch.crc) {
			damage(t, "offset %zu: chunk %zu (%s cpu %u seq %" PRIu64 ") CRC mismatch "
			       "(stored %08x, computed %08x)", off, chunks, chunk_type_name(ch.type),
			       ch.cpu, ch.seq, ch.crc, crc);
			break;
		}
		const uint8_t *p = buf + off + sizeof(ch);
		if (ch.type == TRACE_CHUNK_AREA) {
			if (have_hdr || ch.length != sizeof(t->hdr)) {
				damage(t, "offset %zu: unexpected AREA chunk", off);
				break;
			}
			memcpy(&t->hdr, p, sizeof(t->hdr));
			if (t->hdr.schema_hash != trace_schema_hash()) {
				snprintf(t->error, sizeof(t->error),
					 "the trace was written with another event table (hash %016" PRIx64
					 ", this tool has %016" PRIx64 "): rebuild the tools from the kernel's tree",
					 t->hdr.schema_hash, trace_schema_hash());
				return TL_FATAL;
			}
			have_hdr = 1;
		} else if (ch.type == TRACE_CHUNK_RECORDS) {
			if (!have_hdr || ch.cpu >= TRACE_MAX_CPUS) {
				damage(t, "offset %zu: RECORDS chunk %s", off,
				       have_hdr ? "for a CPU out of range" : "before the AREA chunk");
				break;
			}
			if (decode_records(t, &cap, &ch, p, off))
				break;
		} else if (ch.type == TRACE_CHUNK_END) {
			ended = 1;
		} else {
			damage(t, "offset %zu: chunk %zu has unknown type %u", off, chunks, ch.type);
			break;
		}
		off += sizeof(ch) + ch.length;
	}
	if (!t->damaged && !ended)
		damage(t, "offset %zu: truncated: the file ends without its END chunk", off);
	if (!t->damaged && off != len)
		damage(t, "offset %zu: %zu bytes of garbage after the END chunk", off, len - off);
	if (t->damaged) {
		size_t used = strlen(t->error);
		snprintf(t->error + used, sizeof(t->error) - used, "; %zu chunk%s before it decoded",
			 chunks, chunks == 1 ? "" : "s");
	}
	if (!have_hdr) {
		if (!t->damaged)
			snprintf(t->error, sizeof(t->error), "offset %zu: no AREA chunk", off);
		return TL_FATAL;
	}
	if (account_losses(t, &cap, have_hdr)) {
		snprintf(t->error, sizeof(t->error), "out of memory");
		return TL_FATAL;
	}
	return t->damaged ? TL_DAMAGED : TL_OK;
}

enum tl_status tl_read_file(const char *path, struct tl_trace *t)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	memset(t, 0, sizeof(*t));
	if (!f) {
		snprintf(t->error, sizeof(t->error), "%s: %s", path, strerror(errno));
		return TL_FATAL;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(t->error, sizeof(t->error), "%s: out of memory", path);
				return TL_FATAL;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		free(buf);
		snprintf(t->error, sizeof(t->error), "%s: read error", path);
		return TL_FATAL;
	}
	enum tl_status st = tl_parse(buf, len, t);
	free(buf);
	if (t->error[0]) {
		char tmp[sizeof(t->error)];
		memcpy(tmp, t->error, sizeof(tmp));
		int w = snprintf(t->error, sizeof(t->error), "%s: ", path);
		if (w > 0 && (size_t)w < sizeof(t->error))
			snprintf(t->error + w, sizeof(t->error) - (size_t)w, "%s", tmp);
	}
	return st;
}

void tl_free(struct tl_trace *t)
{
	free(t->ev);
	t->ev = NULL;
	t->nev = 0;
}

uint64_t tl_ts_to_ns(const struct tl_trace *t, uint64_t ts)
{
	if (!t->hdr.tsc_hz || !t->nev)
		return 0;
	uint64_t d = ts - t->ev[0].ts;
	return (uint64_t)((unsigned __int128)d * 1000000000u / t->hdr.tsc_hz);
}

/* ---- Text ----------------------------------------------------------------- */

void tl_format_field(char *buf, size_t n, const struct tl_event *e, unsigned f,
		     const struct tl_syms *s)
{
	const struct trace_field_desc *fd = &trace_event_descs[e->id].field[f];
	uint64_t v = e->field[f];
	const char *name;

	switch (fd->type) {
	case TRACE_FT_HEX:
	case TRACE_FT_PTR:
		snprintf(buf, n, "0x%" PRIx64, v);
		break;
	case TRACE_FT_KSYM:
		if (!s || !tl_syms_lookup(s, v, buf, n))
			snprintf(buf, n, "0x%" PRIx64, v);
		break;
	case TRACE_FT_ENUM:
		name = trace_enum_value_name(fd->enum_id, v);
		if (name)
			snprintf(buf, n, "%s", name);
		else
			snprintf(buf, n, "%" PRIu64, v);
		break;
	case TRACE_FT_NAME16: {
		char text[TRACE_NAME16_BYTES + 1];
		trace_name16_text(&e->field[f], text); /* a NAME16 is the last field: words f, f+1 */
		snprintf(buf, n, "%s", text[0] ? text : "?");
		break;
	}
	default:
		snprintf(buf, n, "%" PRIu64, v);
		break;
	}
}

void tl_format_event(char *buf, size_t n, const struct tl_event *e, const struct tl_syms *s)
{
	const struct trace_event_desc *d = &trace_event_descs[e->id];
	size_t used = (size_t)snprintf(buf, n, "%" PRIu64 " %u %s", e->ts, e->cpu, d->name);

	for (unsigned f = 0; f < e->nfields && used < n; f++) {
		char v[160];
		tl_format_field(v, sizeof(v), e, f, s);
		used += (size_t)snprintf(buf + used, n - used, " %s=%s", d->field[f].name, v);
	}
}
