/*
 * trace-schema-json: the event table of trace/events.def as JSON on stdout,
 * for the Python tools (tools/rawtrace.py: the plots' reader and the
 * synthetic-trace writer of the tests). They read the table from here
 * instead of parsing events.def a second time, so that no event is
 * described twice and the schema hash is the one the C tools compute.
 *
 * {"schema_hash": "0x...", "raw_version": 1, "area_version": 1,
 *  "categories": [name...], "enums": {name: {value_name: value}},
 *  "events": [{"id", "name", "category", "doc", "fields": [{"name", "type", "enum"}]}]}
 */
#include <inttypes.h>
#include <stdio.h>

#include "trace/format.h"
#include "trace/schema.h"

static void put_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

int main(void)
{
	printf("{\"schema_hash\": \"0x%016" PRIx64 "\",\n", trace_schema_hash());
	printf(" \"raw_version\": %d, \"area_version\": %d, \"max_cpus\": %d, \"max_fields\": %d,\n",
	       TRACE_RAW_VERSION, TRACE_VERSION, TRACE_MAX_CPUS, TRACE_MAX_FIELDS);
	printf(" \"categories\": [");
	for (int i = 0; i < TRACE_NUM_CATEGORIES; i++) {
		printf(i ? ", " : "");
		put_str(trace_category_descs[i].name);
	}
	printf("],\n \"enums\": {");
	for (int e = 0; e < TRACE_NUM_ENUMS; e++) {
		printf(e ? ",\n   " : "\n   ");
		put_str(trace_enum_descs[e].name);
		printf(": {");
		int first = 1;
		for (size_t v = 0; v < trace_num_enum_vals; v++) {
			if (trace_enum_val_descs[v].enum_id != e)
				continue;
			printf(first ? "" : ", ");
			first = 0;
			put_str(trace_enum_val_descs[v].name);
			printf(": %" PRIu64, trace_enum_val_descs[v].value);
		}
		printf("}");
	}
	printf("},\n \"events\": [");
	for (int i = 0; i < TRACE_NUM_EVENTS; i++) {
		const struct trace_event_desc *d = &trace_event_descs[i];
		printf(i ? ",\n   " : "\n   ");
		printf("{\"id\": %d, \"name\": ", i);
		put_str(d->name);
		printf(", \"category\": ");
		put_str(trace_category_descs[d->category].name);
		printf(", \"doc\": ");
		put_str(d->doc);
		printf(", \"nwords\": %d, \"fields\": [", d->nwords);
		for (int f = 0; f < d->nfields; f++) {
			printf(f ? ", " : "");
			printf("{\"name\": ");
			put_str(d->field[f].name);
			printf(", \"type\": ");
			put_str(trace_field_type_name(d->field[f].type));
			printf(", \"enum\": ");
			if (d->field[f].enum_id != TRACE_ENUM_none)
				put_str(trace_enum_descs[d->field[f].enum_id].name);
			else
				printf("null");
			printf("}");
		}
		printf("]}");
	}
	printf("\n ]\n}\n");
	return ferror(stdout) ? 1 : 0;
}
