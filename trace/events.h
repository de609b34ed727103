/*
 * events.h: the C names generated from trace/events.def, shared by the
 * kernel and the host tools:
 *
 *   TRACE_EV_<event>        event ids (enum trace_event_id), TRACE_NUM_EVENTS
 *   TRACE_CAT_<category>    category ids, TRACE_NUM_CATEGORIES
 *   TRACE_ENUM_<enum>       enum ids, TRACE_NUM_ENUMS
 *   TRACE_<enum>_<value>    enum values, e.g. TRACE_boot_stage_smp
 *   TRACE_NF_<event>        fields per event
 *   TRACE_NW_<event>        64-bit words per record (a NAME16 field is two)
 *
 * and the field-list macros the generators use. A field in events.def is
 * written F_<TYPE>(name) and expands to a tuple (TYPE, name, enum), so that
 * each generator can map one macro over the list and pick what it needs.
 */
#ifndef TRACE_EVENTS_H
#define TRACE_EVENTS_H

#include "trace/format.h"

/* Field tuples: (type, name, enum or `none`). */
#define F_U64(n) (U64, n, none)
#define F_U32(n) (U32, n, none)
#define F_HEX(n) (HEX, n, none)
#define F_PTR(n) (PTR, n, none)
#define F_PID(n) (PID, n, none)
#define F_CPU(n) (CPU, n, none)
#define F_KSYM(n) (KSYM, n, none)
#define F_ENUM(e, n) (ENUM, n, e)
#define F_NAME16(n) (NAME16, n, none)

/*
 * Record words per field type: every type is one 64-bit word but NAME16,
 * a short name (e.g. a process's) of up to 16 bytes, NUL-padded, in two.
 * TRACE_NWORDS(fields...) is the words an event's record carries.
 */
#define TRACE_NW_U64 1
#define TRACE_NW_U32 1
#define TRACE_NW_HEX 1
#define TRACE_NW_PTR 1
#define TRACE_NW_PID 1
#define TRACE_NW_CPU 1
#define TRACE_NW_KSYM 1
#define TRACE_NW_ENUM 1
#define TRACE_NW_NAME16 2
#define TRACE_NAME16_BYTES 16
#define TRACE_NW_FIELD(t, n, e) + TRACE_NW_##t

/* Number of arguments, 0..6 (GNU ", ##" swallows the comma when empty). */
#define TRACE_NARGS(...) TRACE_NARGS_(_, ##__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define TRACE_NARGS_(_, a, b, c, d, e, f, n, ...) n

#define TRACE_CAT2(a, b) TRACE_CAT2_(a, b)
#define TRACE_CAT2_(a, b) a##b

/* TRACE_MAP(m, fields...): m(type, name, enum) for each field, comma-separated. */
#define TRACE_MAP(m, ...) TRACE_CAT2(TRACE_MAP_, TRACE_NARGS(__VA_ARGS__))(m, ##__VA_ARGS__)
#define TRACE_MAP_0(m)
#define TRACE_MAP_1(m, a) m a
#define TRACE_MAP_2(m, a, b) m a, m b
#define TRACE_MAP_3(m, a, b, c) m a, m b, m c
#define TRACE_MAP_4(m, a, b, c, d) m a, m b, m c, m d
#define TRACE_MAP_5(m, a, b, c, d, e) m a, m b, m c, m d, m e
#define TRACE_MAP_6(m, a, b, c, d, e, f) m a, m b, m c, m d, m e, m f

/* TRACE_SUM(m, fields...): m(type, name, enum) for each field, juxtaposed
 * (m expands to "+ x"), so that (0 TRACE_SUM(...)) is a sum. */
#define TRACE_SUM(m, ...) TRACE_CAT2(TRACE_SUM_, TRACE_NARGS(__VA_ARGS__))(m, ##__VA_ARGS__)
#define TRACE_SUM_0(m)
#define TRACE_SUM_1(m, a) m a
#define TRACE_SUM_2(m, a, b) m a m b
#define TRACE_SUM_3(m, a, b, c) m a m b m c
#define TRACE_SUM_4(m, a, b, c, d) m a m b m c m d
#define TRACE_SUM_5(m, a, b, c, d, e) m a m b m c m d m e
#define TRACE_SUM_6(m, a, b, c, d, e, f) m a m b m c m d m e m f
#define TRACE_NWORDS(...) (0 TRACE_SUM(TRACE_NW_FIELD, ##__VA_ARGS__))

/* Name fields before the last field: must be 0, so that every field but a
 * trailing NAME16 sits in the word of its own index (field[f] is word f). */
#define TRACE_IS_NAME_FIELD(t, n, e) + (TRACE_NW_##t - 1)
#define TRACE_HEAD_SUM(m, ...) TRACE_CAT2(TRACE_HEAD_SUM_, TRACE_NARGS(__VA_ARGS__))(m, ##__VA_ARGS__)
#define TRACE_HEAD_SUM_0(m)
#define TRACE_HEAD_SUM_1(m, a)
#define TRACE_HEAD_SUM_2(m, a, b) m a
#define TRACE_HEAD_SUM_3(m, a, b, c) m a m b
#define TRACE_HEAD_SUM_4(m, a, b, c, d) m a m b m c
#define TRACE_HEAD_SUM_5(m, a, b, c, d, e) m a m b m c m d
#define TRACE_HEAD_SUM_6(m, a, b, c, d, e, f) m a m b m c m d m e
#define TRACE_NAMES_BEFORE_LAST(...) (0 TRACE_HEAD_SUM(TRACE_IS_NAME_FIELD, ##__VA_ARGS__))

enum trace_event_id {
#define TRACE_EVENT(name, cat, doc, ...) TRACE_EV_##name,
#include "trace/events.def"
	TRACE_NUM_EVENTS
};

enum trace_category_id {
#define TRACE_CATEGORY(name, doc) TRACE_CAT_##name,
#include "trace/events.def"
	TRACE_NUM_CATEGORIES
};

enum trace_enum_id {
#define TRACE_ENUM(name, doc) TRACE_ENUM_##name,
#include "trace/events.def"
	TRACE_NUM_ENUMS,
	TRACE_ENUM_none = 0xff /* a field that is not an enum */
};

/* Enum values: TRACE_<enum>_<value>. */
enum trace_enum_values {
#define TRACE_ENUM_VAL(e, v, x) TRACE_##e##_##v = (x),
#include "trace/events.def"
	TRACE_ENUM_VALUES_END_
};

/* Fields per event: TRACE_NF_<event>. */
enum trace_event_nfields {
#define TRACE_EVENT(name, cat, doc, ...) TRACE_NF_##name = TRACE_NARGS(__VA_ARGS__),
#include "trace/events.def"
	TRACE_NF_END_
};

/* Record words per event (a NAME16 field takes two): TRACE_NW_<event>. */
enum trace_event_nwords {
#define TRACE_EVENT(name, cat, doc, ...) TRACE_NW_##name = TRACE_NWORDS(__VA_ARGS__),
#include "trace/events.def"
	TRACE_NW_END_
};

/* Table limits, checked where the table is expanded. */
#define TRACE_EVENT(name, cat, doc, ...) \
	_Static_assert(TRACE_NWORDS(__VA_ARGS__) <= TRACE_MAX_FIELDS, #name ": too many fields (a NAME16 counts 2)"); \
	_Static_assert(TRACE_NAMES_BEFORE_LAST(__VA_ARGS__) == 0, #name ": a NAME16 field must be the last"); \
	_Static_assert(TRACE_CAT_##cat < TRACE_NUM_CATEGORIES, #name ": unknown category");
#include "trace/events.def"
_Static_assert(TRACE_NUM_CATEGORIES <= 32, "categories fit a 32-bit mask");
_Static_assert(TRACE_NUM_EVENTS < 65536, "event ids fit 16 bits");
_Static_assert(TRACE_NUM_ENUMS < 0xff, "enum ids fit 8 bits");

/* The category of each event: TRACE_EVCAT_<event>. */
enum trace_event_category {
#define TRACE_EVENT(name, cat, doc, ...) TRACE_EVCAT_##name = TRACE_CAT_##cat,
#include "trace/events.def"
	TRACE_EVCAT_END_
};

#endif
