/*
 * ring.h: setting up and closing the trace area, shared by the kernel's
 * trace_init/trace_flush and the host unit tests (trace/ring.c).
 */
#ifndef TRACE_RING_H
#define TRACE_RING_H

#include <stddef.h>
#include <stdint.h>
#include "trace/trace.h"

struct trace_area_config {
	enum trace_mode mode;
	uint64_t tsc_hz;      /* 0 if not known yet: trace_area_set_tsc_hz later */
	const char *cmdline;
	const char *build_id;
	const char *bugs;
};

/* Write the header and every ring descriptor; the magic goes last. */
void trace_area_init(const struct trace_area_config *cfg);
/* The TSC frequency once it is calibrated (re-seals the header CRC). */
void trace_area_set_tsc_hz(uint64_t hz);
/* Fill one of the header's string fields (backend, bugs), NUL-padded. */
void trace_area_set_string(char *field, size_t n, const char *s);
/* Final counts of one ring, and the exact count in its ring_full marker. */
void trace_ring_account(unsigned cpu);

#endif
