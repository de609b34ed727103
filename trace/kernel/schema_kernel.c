/*
 * schema_kernel.c: the shared event table (trace/schema.c) compiled into
 * the kernel. The kernel build collects only the files under trace/kernel/, and the
 * table must be one definition for both sides, so it is included here
 * rather than copied. The kernel uses it to parse trace_events= and
 * trace_off= by name and to stamp the schema hash into the trace header.
 */
#include "trace/schema.c"
