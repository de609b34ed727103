/*
 * schema.c: the event table of trace/events.def as data, plus the two
 * checksums both sides need. Freestanding: compiled into the host tools
 * directly and into the kernel through trace/kernel/schema_kernel.c.
 */
#include "trace/schema.h"

#define TRACE_FIELD_DESC(t, n, e) { #n, TRACE_FT_##t, TRACE_ENUM_##e }

const struct trace_event_desc trace_event_descs[TRACE_NUM_EVENTS] = {
#define TRACE_EVENT(name, cat, doc, ...) \
	[TRACE_EV_##name] = { #name, doc, TRACE_CAT_##cat, TRACE_NARGS(__VA_ARGS__), \
			      TRACE_NWORDS(__VA_ARGS__), { TRACE_MAP(TRACE_FIELD_DESC, ##__VA_ARGS__) } },
#include "trace/events.def"
};

const struct trace_category_desc trace_category_descs[TRACE_NUM_CATEGORIES] = {
#define TRACE_CATEGORY(name, doc) [TRACE_CAT_##name] = { #name, doc },
#include "trace/events.def"
};

const struct trace_enum_desc trace_enum_descs[TRACE_NUM_ENUMS] = {
#define TRACE_ENUM(name, doc) [TRACE_ENUM_##name] = { #name, doc },
#include "trace/events.def"
};

const struct trace_enum_val_desc trace_enum_val_descs[] = {
#define TRACE_ENUM_VAL(e, v, x) { TRACE_ENUM_##e, #v, (x) },
#include "trace/events.def"
};

const size_t trace_num_enum_vals = sizeof(trace_enum_val_descs) / sizeof(trace_enum_val_descs[0]);

static const char *const field_type_names[TRACE_NUM_FIELD_TYPES] = {
	[TRACE_FT_U64] = "u64", [TRACE_FT_U32] = "u32", [TRACE_FT_HEX] = "hex",
	[TRACE_FT_PTR] = "ptr", [TRACE_FT_PID] = "pid", [TRACE_FT_CPU] = "cpu",
	[TRACE_FT_KSYM] = "ksym", [TRACE_FT_ENUM] = "enum", [TRACE_FT_NAME16] = "name16",
};

size_t trace_name16_text(const uint64_t w[2], char out[TRACE_NAME16_BYTES + 1])
{
	size_t n;
	for (n = 0; n < TRACE_NAME16_BYTES; n++) {
		unsigned char c = (unsigned char)(w[n / 8] >> (8 * (n % 8)));
		if (c == 0)
			break;
		out[n] = c > ' ' && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
	return n;
}

const char *trace_field_type_name(unsigned type)
{
	return type < TRACE_NUM_FIELD_TYPES ? field_type_names[type] : "?";
}

static int name_eq(const char *s, const char *name, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (s[i] != name[i] || s[i] == '\0')
			return 0;
	return s[n] == '\0';
}

int trace_event_by_name(const char *name, size_t n)
{
	for (int i = 0; i < TRACE_NUM_EVENTS; i++)
		if (name_eq(trace_event_descs[i].name, name, n))
			return i;
	return -1;
}

int trace_category_by_name(const char *name, size_t n)
{
	for (int i = 0; i < TRACE_NUM_CATEGORIES; i++)
		if (name_eq(trace_category_descs[i].name, name, n))
			return i;
	return -1;
}

const char *trace_enum_value_name(unsigned enum_id, uint64_t v)
{
	for (size_t i = 0; i < trace_num_enum_vals; i++)
		if (trace_enum_val_descs[i].enum_id == enum_id && trace_enum_val_descs[i].value == v)
			return trace_enum_val_descs[i].name;
	return NULL;
}

uint64_t trace_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return trace_fnv1a(h, s, n + 1); /* the NUL separates names */
}

uint64_t trace_schema_hash(void)
{
	uint64_t h = TRACE_FNV_INIT;
	for (int i = 0; i < TRACE_NUM_EVENTS; i++) {
		const struct trace_event_desc *e = &trace_event_descs[i];
		h = hash_str(h, e->name);
		h = hash_str(h, trace_category_descs[e->category].name);
		for (int f = 0; f < e->nfields; f++) {
			h = hash_str(h, e->field[f].name);
			h = hash_str(h, trace_field_type_name(e->field[f].type));
			if (e->field[f].enum_id != TRACE_ENUM_none)
				h = hash_str(h, trace_enum_descs[e->field[f].enum_id].name);
		}
	}
	for (size_t i = 0; i < trace_num_enum_vals; i++) {
		h = hash_str(h, trace_enum_val_descs[i].name);
		h = trace_fnv1a(h, &trace_enum_val_descs[i].value, sizeof(uint64_t));
	}
	return h;
}

/*
 * Bitwise CRC32, reflected polynomial 0xedb88320. Slow (8 steps a byte)
 * but table-free, so the kernel needs no init; the host tools use their
 * own table-driven version for throughput and test it against this one.
 */
uint32_t trace_crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}
