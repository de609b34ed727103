/*
 * exit.h: leave the emulator with a status the runner can read
 * (exit protocol in HACKING.md).
 */
#ifndef KERNEL_EXIT_H
#define KERNEL_EXIT_H

enum exit_status {
	EXIT_SUCCESS,
	EXIT_PANIC,
	EXIT_FAIL,
};

/* Print the marker line `TKERN-EXIT: success|panic|fail`, then leave:
 * QEMU's isa-debug-exit (exit code 33/35/37), then Bochs's magic breakpoint
 * and shutdown port. On a machine with neither, halt. Never returns. */
__attribute__((noreturn)) void machine_exit(enum exit_status status);

#endif
