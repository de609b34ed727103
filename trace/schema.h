/*
 * schema.h: the event table as data, for code that must look events up by
 * name or decode them: the kernel (parsing trace_events= and trace_off=),
 * the extractor, tracecat, trace2perfetto, tracecheck and the generated
 * course-notes/events.md. Built from trace/events.def by trace/schema.c.
 */
#ifndef TRACE_SCHEMA_H
#define TRACE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include "trace/events.h"

enum trace_field_type {
	TRACE_FT_U64,
	TRACE_FT_U32,
	TRACE_FT_HEX,
	TRACE_FT_PTR,
	TRACE_FT_PID,
	TRACE_FT_CPU,
	TRACE_FT_KSYM,
	TRACE_FT_ENUM,
	TRACE_FT_NAME16, /* up to 16 bytes of text, NUL-padded, in two words; last field only */
	TRACE_NUM_FIELD_TYPES
};

struct trace_field_desc {
	const char *name;
	uint8_t type;    /* enum trace_field_type */
	uint8_t enum_id; /* enum trace_enum_id, TRACE_ENUM_none unless type is ENUM */
};

struct trace_event_desc {
	const char *name;
	const char *doc;
	uint8_t category; /* enum trace_category_id */
	uint8_t nfields;  /* fields */
	uint8_t nwords;   /* 64-bit words in a record: nfields, plus one for a NAME16 */
	struct trace_field_desc field[TRACE_MAX_FIELDS];
};

struct trace_category_desc {
	const char *name;
	const char *doc;
};

struct trace_enum_desc {
	const char *name;
	const char *doc;
};

struct trace_enum_val_desc {
	uint8_t enum_id;
	const char *name;
	uint64_t value;
};

extern const struct trace_event_desc trace_event_descs[TRACE_NUM_EVENTS];
extern const struct trace_category_desc trace_category_descs[TRACE_NUM_CATEGORIES];
extern const struct trace_enum_desc trace_enum_descs[TRACE_NUM_ENUMS];
extern const struct trace_enum_val_desc trace_enum_val_descs[];
extern const size_t trace_num_enum_vals;

/*
 * The text of a NAME16 field (two words from a record) into out: the bytes
 * up to the first NUL, at most 16, with anything but printable ASCII other
 * than space (a name is one word in tracecat's "key=value" text) as '?'.
 * Returns the length.
 */
size_t trace_name16_text(const uint64_t w[2], char out[TRACE_NAME16_BYTES + 1]);

/* "u64", "enum", ...: the type's name in the docs. */
const char *trace_field_type_name(unsigned type);

/* Lookups by name (exact match over n bytes): the id, or -1. */
int trace_event_by_name(const char *name, size_t n);
int trace_category_by_name(const char *name, size_t n);

/* The name of value v of enum e, or NULL when the table has none. */
const char *trace_enum_value_name(unsigned enum_id, uint64_t v);

/*
 * A 64-bit FNV-1a hash over every event's name, category and field names
 * and types, and every enum value: equal hashes mean a trace and a tool
 * agree on what each event id means.
 */
uint64_t trace_schema_hash(void);

/* FNV-1a, 64 bits, continuing from h (start with TRACE_FNV_INIT). */
#define TRACE_FNV_INIT 0xcbf29ce484222325ull
uint64_t trace_fnv1a(uint64_t h, const void *p, size_t n);

/* CRC32 (IEEE 802.3, as zlib's crc32()), continuing from crc (start at 0). */
uint32_t trace_crc32(uint32_t crc, const void *p, size_t n);

#endif
