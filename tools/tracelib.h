/*
 * tracelib: the host side of trace/format.h, shared by traceextract,
 * tracecat, trace2perfetto and tracecheck.
 *
 *  - tl_extract(): find the trace area in a RAM image (QEMU memory-backend
 *    file, Bochs writemem, GDB dump memory) and frame its rings into a raw
 *    trace (trace.raw).
 *  - tl_parse() / tl_read_file(): decode a raw trace into one array of
 *    events merged across CPUs in timestamp order, with the losses made
 *    explicit as trace_lost events at the place they happened.
 *  - tl_syms_*(): kernel addresses to "symbol+0xoff" from the kernel ELF.
 *  - tl_format_*(): the text of an event as tracecat prints it.
 *
 * Errors never abort: functions return a status and leave a message that
 * says where the input is damaged; whatever decoded before it is kept.
 */
#ifndef TOOLS_TRACELIB_H
#define TOOLS_TRACELIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "trace/format.h"
#include "trace/schema.h"

/* One decoded event. Synthesised trace_lost events have synthetic = 1. */
struct tl_event {
	uint64_t ts;      /* TSC */
	uint64_t seq;     /* per-CPU sequence number (for a synthesised loss: the first missing one) */
	uint16_t cpu;
	uint16_t id;      /* enum trace_event_id */
	uint8_t nfields;  /* fields of the event (trace_event_descs[id].nfields) */
	uint8_t synthetic;
	uint64_t field[TRACE_MAX_FIELDS]; /* the record's words: field f is word f, and a
					     NAME16 (always last) words f and f+1 */
};

struct tl_cpu_stats {
	uint64_t records;  /* decoded records (not counting synthesised losses) */
	uint64_t lost;     /* sum of the counts of every trace_lost event on this CPU */
	uint64_t first_seq, last_seq; /* of decoded records, when records > 0 */
};

struct tl_trace {
	struct trace_area_header hdr; /* as extracted from guest memory */
	struct tl_event *ev;          /* merged by (ts, cpu, seq) */
	size_t nev;
	struct tl_cpu_stats cpu[TRACE_MAX_CPUS];
	unsigned ncpus_seen;          /* highest CPU with records, plus one */
	int damaged;                  /* the input was truncated or corrupt: see error */
	char error[512];              /* the first problem found, "" if none */
};

/* Status of tl_parse / tl_read_file / tl_extract. */
enum tl_status {
	TL_OK = 0,
	TL_DAMAGED = 1, /* decoded up to the damage: t->error says where */
	TL_FATAL = 2,   /* nothing usable (not a trace, unreadable, other table) */
};

/* Decode a raw trace held in memory. Always fills t (free with tl_free). */
enum tl_status tl_parse(const uint8_t *buf, size_t len, struct tl_trace *t);
enum tl_status tl_read_file(const char *path, struct tl_trace *t);
void tl_free(struct tl_trace *t);

/*
 * Find the trace area in a RAM image and write the raw trace to `out`
 * (its stream position advances; nothing else is written). On return,
 * *nrecords holds the records written. err gets a message on failure.
 */
enum tl_status tl_extract(const uint8_t *ram, size_t len, FILE *out, uint64_t *nrecords,
			  char *err, size_t errlen);

/* The offset of a valid trace area header in a RAM image, or -1 (why in err). */
long tl_find_area(const uint8_t *ram, size_t len, char *err, size_t errlen);

/* Table-driven CRC32, the same function as trace_crc32() but fast. */
uint32_t tl_crc32(uint32_t crc, const void *p, size_t n);

/* Kernel symbols, from an ELF file's .symtab (libelf). */
struct tl_syms;
struct tl_syms *tl_syms_open(const char *elf_path, char *err, size_t errlen);
void tl_syms_close(struct tl_syms *s);
/* "name+0xoff" ("name" at offset 0) into buf; 0 if no symbol covers addr. */
int tl_syms_lookup(const struct tl_syms *s, uint64_t addr, char *buf, size_t n);
/* The ELF's build id as the kernel computes it (FNV-1a of its text), hex. */
const char *tl_syms_build_id(const struct tl_syms *s);

/* Field value as tracecat prints it ("kmsg", "0x10", "proc_decref+0x1c"). s may be NULL. */
void tl_format_field(char *buf, size_t n, const struct tl_event *e, unsigned f,
		     const struct tl_syms *s);
/* A whole line without the newline: "ts cpu event f=v ...". */
void tl_format_event(char *buf, size_t n, const struct tl_event *e, const struct tl_syms *s);

/* Nanoseconds since the trace's first event, from the header's tsc_hz (0 if unknown). */
uint64_t tl_ts_to_ns(const struct tl_trace *t, uint64_t ts);

#endif
