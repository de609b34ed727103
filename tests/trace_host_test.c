/*
 * trace_host_test: unit tests of the trace rings, the raw format and the
 * extractor, on the host. The emit path is trace/trace.h itself and the
 * ring code trace/ring.c itself, built with TRACE_HOST and 16-slot rings
 * (mk/trace.mk), so wrap-around, stop-when-full and nesting take a few
 * dozen records.
 *
 *   trace_host_test NAME    run one test; prints "PASS NAME" or "FAIL NAME: why"
 *   trace_host_test --list  the test names (tests/test_trace_host.py runs each)
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/ring.h"
#include "trace/trace.h"
#include "tools/tracelib.h"

struct trace_area trace_area __attribute__((aligned(4096)));
uint8_t trace_event_on[TRACE_NUM_EVENTS];
unsigned trace_host_cpu;

/* The clock: 10 ticks a call. nest_depth > 0 makes it emit a record from
 * inside the emit in progress, as an interrupt (or NMI) arriving between
 * the reservation and the commit would. */
static uint64_t clock_now = 1000;
static int nest_depth;
static uint64_t nest_marks;

uint64_t trace_host_clock(void)
{
	clock_now += 10;
	if (nest_depth > 0) {
		nest_depth--;
		trace_ipi_recv(100 + nest_marks++);
	}
	return clock_now;
}

static int failed;
static char fail_msg[1024];

static void fail(const char *fmt, ...)
{
	va_list ap;
	if (failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
}

#define CHECK(cond, ...)                   \
	do {                               \
		if (!(cond)) {             \
			fail(__VA_ARGS__); \
			return;            \
		}                          \
	} while (0)

static void reset(enum trace_mode mode)
{
	struct trace_area_config cfg = {
		.mode = mode, .tsc_hz = 1000000000, .cmdline = "test cmdline", .build_id = "0123",
		.bugs = "",
	};
	memset(&trace_area, 0, sizeof(trace_area));
	trace_area_init(&cfg);
	clock_now = 1000;
	memset(trace_event_on, 1, sizeof(trace_event_on));
	trace_host_cpu = 0;
	nest_depth = 0;
}

/* Extract the current area into a malloc'd raw trace. */
static uint8_t *extract(size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	char err[256];
	uint64_t recs;
	FILE *f = open_memstream(&buf, &n);
	enum tl_status st = tl_extract((const uint8_t *)&trace_area, sizeof(trace_area), f, &recs, err,
				       sizeof(err));
	fclose(f);
	if (st != TL_OK) {
		fail("extract: %s", err);
		free(buf);
		return NULL;
	}
	*len = n;
	return (uint8_t *)buf;
}

static int parse_area(struct tl_trace *t)
{
	size_t len;
	uint8_t *raw = extract(&len);
	if (!raw)
		return -1;
	enum tl_status st = tl_parse(raw, len, t);
	free(raw);
	if (st != TL_OK) {
		fail("parse: %s", t->error);
		return -1;
	}
	return 0;
}

/* ---- Rings ---------------------------------------------------------------- */

static void test_wrap(void)
{
	struct tl_trace t;
	reset(TRACE_MODE_OVERWRITE);
	for (uint64_t i = 0; i < 40; i++)
		trace_ipi_send(i % 4, i);
	trace_ring_account(0);
	CHECK(trace_area.hdr.ring[0].overwritten == 24, "overwritten %" PRIu64,
	      trace_area.hdr.ring[0].overwritten);
	if (parse_area(&t))
		return;
	/* lost(24, overwritten) first, then seq 24..39 with their own fields. */
	CHECK(t.nev == 17, "%zu events, want 17", t.nev);
	CHECK(t.ev[0].id == TRACE_EV_trace_lost && t.ev[0].field[0] == 24 &&
	      t.ev[0].field[1] == TRACE_lost_reason_overwritten, "first event is not the loss");
	for (size_t i = 1; i < t.nev; i++) {
		uint64_t seq = 23 + i;
		CHECK(t.ev[i].id == TRACE_EV_ipi_send && t.ev[i].seq == seq &&
		      t.ev[i].field[0] == seq % 4 && t.ev[i].field[1] == seq,
		      "event %zu: seq %" PRIu64 " fields %" PRIu64 ",%" PRIu64, i, t.ev[i].seq,
		      t.ev[i].field[0], t.ev[i].field[1]);
	}
	CHECK(t.cpu[0].lost == 24 && t.cpu[0].records == 16, "stats: lost %" PRIu64 " records %" PRIu64,
	      t.cpu[0].lost, t.cpu[0].records);
	tl_free(&t);
}

static void test_stop(void)
{
	struct tl_trace t;
	reset(TRACE_MODE_STOP);
	for (uint64_t i = 0; i < 40; i++)
		trace_ipi_send(1, i);
	/* Before the flush the extractor already knows the exact loss. */
	if (parse_area(&t))
		return;
	CHECK(t.nev == 16, "%zu events, want 15 records and the marker", t.nev);
	for (size_t i = 0; i < 15; i++)
		CHECK(t.ev[i].id == TRACE_EV_ipi_send && t.ev[i].field[1] == i, "record %zu", i);
	CHECK(t.ev[15].id == TRACE_EV_trace_lost && !t.ev[15].synthetic && t.ev[15].field[0] == 25 &&
	      t.ev[15].field[1] == TRACE_lost_reason_ring_full,
	      "last event: id %u count %" PRIu64, t.ev[15].id, t.ev[15].field[0]);
	CHECK(t.cpu[0].lost == 25, "lost %" PRIu64, t.cpu[0].lost);
	tl_free(&t);
	trace_ring_account(0);
	const struct trace_ring_desc *r = &trace_area.hdr.ring[0];
	CHECK(r->written == 15 && r->dropped == 25 && r->overwritten == 0,
	      "counts: written %" PRIu64 " dropped %" PRIu64, r->written, r->dropped);
	CHECK(trace_area.slot[0][15].field[0] == 25, "the flush did not fix the marker's count");
}

static void test_nesting(void)
{
	struct tl_trace t;
	reset(TRACE_MODE_OVERWRITE);
	nest_marks = 0;
	trace_ipi_send(7, 1);
	nest_depth = 3; /* an interrupt inside the next emit, an NMI inside that, and one more */
	trace_irq_enter(0x20, (void *)0xffffffff80101234ull);
	trace_ipi_send(7, 2);
	if (parse_area(&t))
		return;
	CHECK(t.nev == 6, "%zu events, want 6", t.nev);
	CHECK(t.cpu[0].lost == 0, "nesting lost %" PRIu64 " records", t.cpu[0].lost);
	/* Every record is whole: seq 1 is the interrupted irq_enter. */
	int seen_irq = 0, seen_nested = 0;
	for (size_t i = 0; i < t.nev; i++) {
		const struct tl_event *e = &t.ev[i];
		if (e->id == TRACE_EV_irq_enter) {
			seen_irq = 1;
			CHECK(e->seq == 1 && e->field[0] == 0x20 && e->field[1] == 0xffffffff80101234ull,
			      "the interrupted record is damaged");
		}
		if (e->id == TRACE_EV_ipi_recv)
			seen_nested++;
	}
	CHECK(seen_irq && seen_nested == 3, "irq %d nested %d", seen_irq, seen_nested);
	tl_free(&t);
}

static void test_uncommitted(void)
{
	struct tl_trace t;
	reset(TRACE_MODE_OVERWRITE);
	trace_ipi_send(1, 1);
	trace_area.hdr.ring[0].next_seq++; /* a writer stopped between reserve and commit */
	trace_ipi_send(1, 3);
	trace_host_cpu = 2;
	trace_ipi_send(0, 4);
	if (parse_area(&t))
		return;
	CHECK(t.nev == 4, "%zu events, want 4", t.nev);
	int found = 0;
	for (size_t i = 0; i < t.nev; i++)
		if (t.ev[i].id == TRACE_EV_trace_lost) {
			found = 1;
			CHECK(t.ev[i].synthetic && t.ev[i].seq == 1 && t.ev[i].field[0] == 1 &&
			      t.ev[i].field[1] == TRACE_lost_reason_uncommitted && t.ev[i].cpu == 0 &&
			      i + 1 < t.nev && t.ev[i + 1].seq == 2, "the loss is not where it happened");
		}
	CHECK(found, "no loss reported");
	CHECK(t.cpu[2].records == 1 && t.ncpus_seen == 3, "cpu 2 missing");
	tl_free(&t);

	/* A CPU stopped inside its one and only record still shows its loss. */
	trace_host_cpu = 5;
	trace_area.hdr.ring[5].next_seq++;
	if (parse_area(&t))
		return;
	CHECK(t.cpu[5].records == 0 && t.cpu[5].lost == 1, "cpu 5: %" PRIu64 " records, lost %" PRIu64,
	      t.cpu[5].records, t.cpu[5].lost);
	tl_free(&t);
}

static void test_disabled(void)
{
	reset(TRACE_MODE_OVERWRITE);
	trace_event_on[TRACE_EV_ipi_send] = 0;
	trace_ipi_send(1, 1);
	trace_ipi_recv(2);
	CHECK(trace_area.hdr.ring[0].next_seq == 1, "a disabled event reserved a slot");
}

/* ---- Every event of the table: encode, extract, decode, print ----------- */

static const char *cur_event;

/* A value for each (event, field), independent of argument evaluation order. */
static uint64_t test_value(const char *field)
{
	uint64_t h = trace_fnv1a(TRACE_FNV_INIT, cur_event, strlen(cur_event));
	return trace_fnv1a(h, field, strlen(field));
}

/*
 * A NAME16 argument is a 16-byte buffer: the two words test_value(name) and
 * test_value(name "+8"), so a record's words f and f+1 say which bytes
 * arrived where. Each event has at most one (the last field).
 */
static uint64_t name_buf[2];

static const char *test_name16(const char *field)
{
	char hi[64];
	snprintf(hi, sizeof(hi), "%s+8", field);
	name_buf[0] = test_value(field);
	name_buf[1] = test_value(hi);
	return (const char *)name_buf;
}

#define TEST_ARG(t, n, e) TEST_ARG_##t(n)
#define TEST_ARG_U64(n) test_value(#n)
#define TEST_ARG_U32(n) test_value(#n)
#define TEST_ARG_HEX(n) test_value(#n)
#define TEST_ARG_PID(n) test_value(#n)
#define TEST_ARG_CPU(n) test_value(#n)
#define TEST_ARG_ENUM(n) test_value(#n)
#define TEST_ARG_PTR(n) (const void *)(uintptr_t)test_value(#n)
#define TEST_ARG_KSYM(n) (const void *)(uintptr_t)test_value(#n)
#define TEST_ARG_NAME16(n) test_name16(#n)

static void emit_one(int id)
{
	switch (id) {
#define TRACE_EVENT(name, cat, doc, ...)                           \
	case TRACE_EV_##name:                                      \
		cur_event = #name;                                 \
		trace_##name(TRACE_MAP(TEST_ARG, ##__VA_ARGS__));  \
		break;
#include "trace/events.def"
	}
}

static void test_roundtrip(void)
{
	for (int id = 0; id < TRACE_NUM_EVENTS; id++) {
		const struct trace_event_desc *d = &trace_event_descs[id];
		struct tl_trace t;
		char line[2048];
		reset(TRACE_MODE_OVERWRITE);
		trace_host_cpu = (unsigned)id % TRACE_MAX_CPUS;
		emit_one(id);
		if (parse_area(&t))
			return;
		CHECK(t.nev == 1 && t.ev[0].id == id && t.ev[0].nfields == d->nfields &&
		      t.ev[0].cpu == trace_host_cpu, "%s: decoded %zu events", d->name, t.nev);
		cur_event = d->name;
		for (unsigned f = 0; f < d->nfields; f++) {
			CHECK(t.ev[0].field[f] == test_value(d->field[f].name), "%s.%s: got %" PRIx64,
			      d->name, d->field[f].name, t.ev[0].field[f]);
			if (d->field[f].type != TRACE_FT_NAME16)
				continue;
			char hi[64];
			snprintf(hi, sizeof(hi), "%s+8", d->field[f].name);
			CHECK(f + 1 == d->nfields && f + 2 == d->nwords, "%s.%s: a NAME16 is not last",
			      d->name, d->field[f].name);
			CHECK(t.ev[0].field[f + 1] == test_value(hi), "%s.%s: second word %" PRIx64,
			      d->name, d->field[f].name, t.ev[0].field[f + 1]);
		}
		tl_format_event(line, sizeof(line), &t.ev[0], NULL);
		char want[128];
		snprintf(want, sizeof(want), " %u %s", trace_host_cpu, d->name);
		CHECK(strstr(line, want), "%s: line '%s'", d->name, line);
		for (unsigned f = 0; f < d->nfields; f++) {
			snprintf(want, sizeof(want), " %s=", d->field[f].name);
			CHECK(strstr(line, want), "%s: no %s in '%s'", d->name, want, line);
		}
		tl_free(&t);
	}
}

/* NAME16: the text of up to 16 bytes survives ring, extraction and
 * decoding; a shorter one stops at its NUL; what tracecat cannot print as
 * one word ('=' is fine, a space or a control byte is not) becomes '?'. */
static void test_name16_field(void)
{
	static const struct {
		const char buf[TRACE_NAME16_BYTES];
		const char *want;
	} cases[] = {
		{ "vmm", "vmm" },
		{ "abcdefghijklmnop", "abcdefghijklmnop" }, /* all 16 bytes, no NUL */
		{ "a b\tc\x7f\x80=", "a?b?c?" "?=" },
		{ "", "?" },                                  /* tracecat shows an empty name as ? */
		{ "sh\0stale-name", "sh" },                  /* after the NUL: ignored */
	};
	const unsigned n = sizeof(cases) / sizeof(cases[0]);
	struct tl_trace t;
	char line[512], want[64];

	reset(TRACE_MODE_OVERWRITE);
	for (unsigned i = 0; i < n; i++)
		trace_proc_create(10 + i, 1, (const void *)(uintptr_t)(0x1000 * i), cases[i].buf);
	trace_proc_exec(42, cases[0].buf);
	if (parse_area(&t))
		return;
	CHECK(t.nev == n + 1, "decoded %zu events", t.nev);
	for (unsigned i = 0; i < n; i++) {
		const struct tl_event *e = &t.ev[i];
		uint64_t w[2];
		memcpy(w, cases[i].buf, sizeof(w));
		CHECK(e->id == TRACE_EV_proc_create && e->nfields == TRACE_NF_proc_create &&
		      e->field[0] == 10 + i && e->field[2] == 0x1000 * i, "event %u: id %u", i, e->id);
		CHECK(e->field[3] == w[0] && e->field[4] == w[1], "event %u: words %" PRIx64 " %" PRIx64,
		      i, e->field[3], e->field[4]);
		tl_format_event(line, sizeof(line), e, NULL);
		snprintf(want, sizeof(want), " name=%s", cases[i].want);
		CHECK(strstr(line, want) && !strchr(strstr(line, want) + 1, ' '),
		      "event %u: '%s' lacks '%s' at its end", i, line, want);
	}
	tl_format_event(line, sizeof(line), &t.ev[n], NULL);
	CHECK(strstr(line, " proc_exec pid=42 name=vmm"), "exec: '%s'", line);
	tl_free(&t);
}

static void test_enum_names(void)
{
	struct tl_trace t;
	char line[512];
	reset(TRACE_MODE_OVERWRITE);
	trace_ipi_send(3, TRACE_vector_kmsg);
	trace_ipi_send(3, 0x42);
	if (parse_area(&t))
		return;
	tl_format_event(line, sizeof(line), &t.ev[0], NULL);
	CHECK(!strcmp(line, "1010 0 ipi_send dst=3 vector=kmsg"), "line '%s'", line);
	tl_format_event(line, sizeof(line), &t.ev[1], NULL);
	CHECK(!strcmp(line, "1020 0 ipi_send dst=3 vector=66"), "line '%s'", line);
	tl_free(&t);
}

/* ---- Extractor and reader against damage -------------------------------- */

/* A small trace with several chunks: 3 CPUs, a gap splitting CPU 0's chunk. */
static uint8_t *small_trace(size_t *len)
{
	reset(TRACE_MODE_OVERWRITE);
	for (unsigned c = 0; c < 3; c++) {
		trace_host_cpu = c;
		for (uint64_t i = 0; i < 5; i++) {
			trace_ipi_send(c, i);
			if (c == 0 && i == 2)
				trace_area.hdr.ring[0].next_seq++;
		}
	}
	return extract(len);
}

/* Records in the chunks that lie wholly within [0, end). */
static size_t records_before(const uint8_t *raw, size_t len, size_t end)
{
	size_t off = sizeof(struct trace_raw_file_header), n = 0;
	while (off + sizeof(struct trace_chunk_header) <= len) {
		struct trace_chunk_header ch;
		memcpy(&ch, raw + off, sizeof(ch));
		size_t next = off + sizeof(ch) + ch.length;
		if (next > end)
			break;
		if (ch.type == TRACE_CHUNK_RECORDS)
			n += ch.length / (TRACE_RECORD_HEADER_BYTES + 8 * TRACE_NW_ipi_send);
		off = next;
	}
	return n;
}

static size_t decoded_records(const struct tl_trace *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nev; i++)
		n += !t->ev[i].synthetic;
	return n;
}

/* Start of the chunk holding byte off (or the file header: 0). */
static size_t chunk_start(const uint8_t *raw, size_t len, size_t off)
{
	size_t pos = sizeof(struct trace_raw_file_header);
	if (off < pos)
		return 0;
	while (pos < len) {
		struct trace_chunk_header ch;
		memcpy(&ch, raw + pos, sizeof(ch));
		if (off < pos + sizeof(ch) + ch.length)
			return pos;
		pos += sizeof(ch) + ch.length;
	}
	return len;
}

static void test_truncation(void)
{
	size_t len;
	uint8_t *raw = small_trace(&len);
	if (!raw)
		return;
	for (size_t cut = 0; cut < len; cut++) {
		struct tl_trace t;
		enum tl_status st = tl_parse(raw, cut, &t);
		CHECK(st != TL_OK, "cut at %zu parsed as whole", cut);
		CHECK(strstr(t.error, "offset "), "cut at %zu: message without a place: %s", cut, t.error);
		size_t want = records_before(raw, len, cut);
		CHECK(decoded_records(&t) == want, "cut at %zu: %zu records decoded, %zu complete before it",
		      cut, decoded_records(&t), want);
		if (st == TL_DAMAGED && want < 15) {
			int reported = 0;
			for (size_t i = 0; i < t.nev; i++)
				reported |= t.ev[i].id == TRACE_EV_trace_lost &&
					    t.ev[i].field[1] == TRACE_lost_reason_damaged;
			CHECK(reported, "cut at %zu: the damage is not reported as a loss", cut);
		}
		tl_free(&t);
	}
	free(raw);
}

static void test_corruption(void)
{
	size_t len;
	uint8_t *raw = small_trace(&len);
	if (!raw)
		return;
	for (size_t off = 0; off < len; off++) {
		struct tl_trace t;
		raw[off] ^= 0x5a;
		enum tl_status st = tl_parse(raw, len, &t);
		raw[off] ^= 0x5a;
		CHECK(st != TL_OK, "byte %zu flipped went unnoticed", off);
		CHECK(strstr(t.error, "offset "), "byte %zu: message without a place: %s", off, t.error);
		size_t want = records_before(raw, len, chunk_start(raw, len, off));
		CHECK(decoded_records(&t) == want, "byte %zu: %zu records decoded, %zu before the damage",
		      off, decoded_records(&t), want);
		tl_free(&t);
	}
	free(raw);
}

static void test_find_area(void)
{
	char err[256];
	size_t n = 3 * 4096 + sizeof(trace_area);
	uint8_t *img = calloc(1, n);
	reset(TRACE_MODE_OVERWRITE);
	trace_ipi_send(1, 1);
	/* A decoy: the magic at an aligned offset with a broken header. */
	uint64_t magic = TRACE_MAGIC;
	memcpy(img + 4096, &magic, sizeof(magic));
	memcpy(img + 3 * 4096, &trace_area, sizeof(trace_area));
	long off = tl_find_area(img, n, err, sizeof(err));
	CHECK(off == 3 * 4096, "found at %ld: %s", off, err);
	/* A corrupt header is refused with a reason. */
	img[3 * 4096 + 20] ^= 1;
	off = tl_find_area(img, n, err, sizeof(err));
	CHECK(off < 0 && strstr(err, "CRC"), "corrupt header: %ld %s", off, err);
	img[3 * 4096 + 20] ^= 1;
	/* An image that ends inside the area. */
	off = tl_find_area(img, n - 100, err, sizeof(err));
	CHECK(off < 0 && strstr(err, "ends inside"), "short image: %ld %s", off, err);
	/* No area at all. */
	off = tl_find_area(img, 4096, err, sizeof(err));
	CHECK(off < 0 && strstr(err, "no trace area"), "empty image: %ld %s", off, err);
	free(img);
}

/* A trace from a kernel built with another event table is refused, not misread. */
static void test_schema_mismatch(void)
{
	char err[256];
	uint64_t recs;
	size_t len;
	struct tl_trace t;

	reset(TRACE_MODE_OVERWRITE);
	trace_ipi_send(1, 1);
	uint8_t *raw = extract(&len);
	if (!raw)
		return;
	/* The raw file: change the AREA chunk's schema hash and re-seal its CRC. */
	size_t off = sizeof(struct trace_raw_file_header);
	struct trace_chunk_header ch;
	struct trace_area_header *h = (struct trace_area_header *)(raw + off + sizeof(ch));
	h->schema_hash ^= 1;
	memcpy(&ch, raw + off, sizeof(ch));
	ch.crc = 0;
	ch.crc = tl_crc32(tl_crc32(0, &ch, sizeof(ch)), h, ch.length);
	memcpy(raw + off, &ch, sizeof(ch));
	enum tl_status st = tl_parse(raw, len, &t);
	free(raw);
	CHECK(st == TL_FATAL && strstr(t.error, "another event table"), "raw: %d %s", st, t.error);
	tl_free(&t);

	/* The RAM image: the extractor says so too. */
	trace_area.hdr.schema_hash ^= 1;
	trace_area.hdr.header_crc = trace_crc32(0, (uint8_t *)&trace_area.hdr + TRACE_HEADER_CRC_START,
						TRACE_HEADER_CRC_BYTES);
	FILE *f = fopen("/dev/null", "wb");
	st = tl_extract((const uint8_t *)&trace_area, sizeof(trace_area), f, &recs, err, sizeof(err));
	fclose(f);
	CHECK(st == TL_FATAL && strstr(err, "differs from this tool's"), "image: %d %s", st, err);
}

static void test_crc(void)
{
	const char *s = "123456789";
	CHECK(trace_crc32(0, s, 9) == 0xcbf43926u, "bitwise crc %08x", trace_crc32(0, s, 9));
	CHECK(tl_crc32(0, s, 9) == 0xcbf43926u, "table crc %08x", tl_crc32(0, s, 9));
	CHECK(tl_crc32(tl_crc32(0, s, 4), s + 4, 5) == 0xcbf43926u, "crc does not continue");
	/* The fast one (eight bytes a step) against the bitwise one: every length
	 * up to a few blocks, every alignment, continued at every split. */
	static uint8_t data[300];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + (i >> 3) * 7 + 1);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= sizeof(data); n += 1 + n / 16) {
			uint32_t want = trace_crc32(0, data + off, n);
			CHECK(tl_crc32(0, data + off, n) == want, "crc of %zu bytes at +%zu", n, off);
			for (size_t k = 0; k <= n; k += 3)
				CHECK(tl_crc32(tl_crc32(0, data + off, k), data + off + k, n - k) == want,
				      "crc of %zu bytes at +%zu continued at %zu", n, off, k);
		}
}

static void test_schema(void)
{
	CHECK(trace_event_by_name("trace_lost", 10) == TRACE_EV_trace_lost, "lookup");
	CHECK(trace_event_by_name("trace_los", 9) < 0, "prefix matched");
	CHECK(trace_category_by_name("irq,trap", 3) == TRACE_CAT_irq, "list item lookup");
	CHECK(!strcmp(trace_enum_value_name(TRACE_ENUM_vector, 0xf0), "kmsg"), "enum name");
	CHECK(trace_enum_value_name(TRACE_ENUM_vector, 0x42) == NULL, "unknown enum value named");
	for (int i = 0; i < TRACE_NUM_EVENTS; i++)
		for (int j = i + 1; j < TRACE_NUM_EVENTS; j++)
			CHECK(strcmp(trace_event_descs[i].name, trace_event_descs[j].name),
			      "event %s defined twice", trace_event_descs[i].name);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "wrap", test_wrap },
	{ "stop", test_stop },
	{ "nesting", test_nesting },
	{ "uncommitted", test_uncommitted },
	{ "disabled", test_disabled },
	{ "roundtrip", test_roundtrip },
	{ "name16", test_name16_field },
	{ "enum_names", test_enum_names },
	{ "truncation", test_truncation },
	{ "corruption", test_corruption },
	{ "find_area", test_find_area },
	{ "schema_mismatch", test_schema_mismatch },
	{ "crc", test_crc },
	{ "schema", test_schema },
};

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: trace_host_test NAME | --list\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (strcmp(argv[1], tests[i].name))
			continue;
		tests[i].fn();
		if (failed) {
			printf("FAIL %s: %s\n", tests[i].name, fail_msg);
			return 1;
		}
		printf("PASS %s\n", tests[i].name);
		return 0;
	}
	fprintf(stderr, "trace_host_test: no test '%s'\n", argv[1]);
	return 2;
}
