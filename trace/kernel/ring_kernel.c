/*
 * ring_kernel.c: trace/ring.c (area set-up, the stop-mode slow path, the
 * final accounting) compiled into the kernel. Shared with the host unit
 * tests, so it is included rather than copied.
 */
#include "trace/ring.c"
