/*
 * trace_bench_emit: the kernel's emit path (trace/trace.h, built as the
 * kernel builds it: -O2, general registers only, rdtsc) on the host, for
 * `make bench` (tools/trace_bench.py):
 *
 *   trace_bench_emit enabled N    N calls of emit_enabled()  (count with callgrind)
 *   trace_bench_emit disabled N   N calls of emit_disabled()
 *   trace_bench_emit image FILE   a 64 MiB RAM image whose trace area (at the
 *                                 end) has every CPU's ring full of a mix of events
 *
 * The host reads the CPU number from a variable where the kernel does two
 * loads through %gs, so the kernel's path is one instruction longer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/ring.h"
#include "trace/trace.h"

struct trace_area trace_area __attribute__((aligned(4096)));
uint8_t trace_event_on[TRACE_NUM_EVENTS];
unsigned trace_host_cpu;

uint64_t trace_host_clock(void)
{
	return 0; /* unused: TRACE_HOST_RDTSC reads the real TSC */
}

/* One event with two fields, as ipi_send is emitted from send_ipi(). */
__attribute__((noinline)) void emit_enabled(uint64_t dst, uint64_t vector)
{
	trace_ipi_send(dst, vector);
}

__attribute__((noinline)) void emit_disabled(uint64_t vector)
{
	trace_ipi_recv(vector);
}

static void setup(void)
{
	struct trace_area_config cfg = {
		.mode = TRACE_MODE_OVERWRITE, .tsc_hz = 1000000000, .cmdline = "bench",
		.build_id = "bench", .bugs = "",
	};
	trace_area_init(&cfg);
	memset(trace_event_on, 1, sizeof(trace_event_on));
	trace_event_on[TRACE_EV_ipi_recv] = 0;
}

static int write_image(const char *path)
{
	const size_t image = 64u << 20;
	uint8_t *ram = calloc(1, image);
	if (!ram)
		return 1;
	for (unsigned c = 0; c < TRACE_MAX_CPUS; c++) {
		trace_host_cpu = c;
		for (unsigned i = 0; i < TRACE_RING_RECORDS + 100; i++) {
			switch (i % 4) {
			case 0: trace_ipi_send((c + 1) % TRACE_MAX_CPUS, TRACE_vector_kmsg); break;
			case 1: trace_irq_enter(TRACE_vector_timer, (void *)0xffffffff80101000ull); break;
			case 2: trace_irq_exit(TRACE_vector_timer); break;
			case 3: trace_trap(14, 2, (void *)0xffffffff80102000ull, 0x1000, 8); break;
			}
		}
	}
	for (unsigned c = 0; c < TRACE_MAX_CPUS; c++)
		trace_ring_account(c);
	/* The area page-aligned near the end of "guest RAM", as in a real image. */
	size_t off = (image - sizeof(trace_area) - 4096) & ~(size_t)4095;
	memcpy(ram + off, &trace_area, sizeof(trace_area));
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(ram, image, 1, f) != 1 || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	free(ram);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: trace_bench_emit enabled|disabled N | image FILE\n");
		return 2;
	}
	setup();
	if (!strcmp(argv[1], "image"))
		return write_image(argv[2]);
	long n = strtol(argv[2], NULL, 10);
	for (long i = 0; i < n; i++) {
		if (!strcmp(argv[1], "enabled"))
			emit_enabled((uint64_t)i & 7, 0xf0);
		else
			emit_disabled(0xf1);
	}
	return 0;
}
