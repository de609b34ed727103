/*
 * traceextract: pull the trace out of a dump of guest memory.
 *
 *   traceextract RAM_IMAGE OUT.raw
 *
 * RAM_IMAGE is whatever holds the trace area: QEMU's memory-backend file
 * (all of guest RAM), Bochs's `writemem` of the trace_area symbol, or
 * GDB's `dump memory`. The area is found by its magic (trace/format.h), so
 * the image may start anywhere. Prints one summary line; exits 0 on
 * success, 1 if no usable trace area was found, 2 on usage or I/O errors.
 */
#include "tools/tracelib.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char err[512] = "";
	struct stat st;
	uint64_t nrec = 0;
	int quiet = 0, a = 1;

	if (argc > 1 && !strcmp(argv[1], "-q")) {
		quiet = 1;
		a++;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: traceextract [-q] RAM_IMAGE OUT.raw\n");
		return 2;
	}
	const char *in = argv[a], *outp = argv[a + 1];
	int fd = open(in, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "traceextract: %s: %s\n", in, strerror(errno));
		return 2;
	}
	if (st.st_size == 0) {
		fprintf(stderr, "traceextract: %s: empty image\n", in);
		return 1;
	}
	const uint8_t *ram = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (ram == MAP_FAILED) {
		fprintf(stderr, "traceextract: %s: mmap: %s\n", in, strerror(errno));
		return 2;
	}
	/* Write beside the target and rename, so a failure never leaves half a file. */
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", outp) >= sizeof(tmp)) {
		fprintf(stderr, "traceextract: %s: path too long\n", outp);
		return 2;
	}
	FILE *out = fopen(tmp, "wb");
	if (!out) {
		fprintf(stderr, "traceextract: %s: %s\n", tmp, strerror(errno));
		return 2;
	}
	double t0 = now();
	enum tl_status s = tl_extract(ram, (size_t)st.st_size, out, &nrec, err, sizeof(err));
	double t1 = now();
	long bytes = ftell(out);
	if (fclose(out) != 0 && s == TL_OK) {
		snprintf(err, sizeof(err), "writing %s: %s", outp, strerror(errno));
		s = TL_FATAL;
	}
	if (s != TL_OK) {
		unlink(tmp);
		fprintf(stderr, "traceextract: %s: %s\n", in, err);
		return 1;
	}
	if (rename(tmp, outp) != 0) {
		fprintf(stderr, "traceextract: %s: %s\n", outp, strerror(errno));
		unlink(tmp);
		return 2;
	}
	if (!quiet)
		printf("traceextract: %" PRIu64 " records, %ld bytes to %s (%.1f ms)\n", nrec, bytes,
		       outp, (t1 - t0) * 1e3);
	return 0;
}
