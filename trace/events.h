/*
 * events.h: the C names generated from trace/events.def, shared by the
 * kernel and the host tools:
 *
 *   TRACE_EV_<event>        event ids (enum trace_event_id), TRACE_NUM_EVENTS
 *   TRACE_CAT_<category>    category ids, TRACE_NUM_CATEGORIES
 *   TRACE_ENUM_<enum>       enum ids, TRACE_NUM_ENUMS
 *   TRACE_<enum>_<value>    enum values, e.g. TRACE_boot_stage_smp
 *   TRACE_NF_<event>        fields per event
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

/* Table limits, checked where the table is expanded. */
#define TRACE_EVENT(name, cat, doc, ...) \
	_Static_assert(TRACE_NARGS(__VA_ARGS__) <= TRACE_MAX_FIELDS, #name ": too many fields"); \
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
