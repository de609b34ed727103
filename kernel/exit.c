/*
 * exit.c: the guest's half of the exit protocol (HACKING.md).
 *
 * The guest always leaves the emulator on its own, so no run waits for a
 * human or a timeout. Every emulator is tried in turn; the ones that are not
 * there ignore the port writes:
 *   1. QEMU isa-debug-exit at port 0xf4: QEMU exits with (value << 1) | 1.
 *      Success is deliberately not 0: a triple fault under -no-reboot also
 *      exits 0, and must not look like success.
 *   2. Bochs magic breakpoint (xchg %bx,%bx): with magic_break enabled the
 *      debugger stops here, and its script can dump the trace area first.
 *   3. Bochs shutdown port 0x8900: writing "Shutdown" ends the simulation.
 *      Bochs cannot pass an exit code, so the marker line is the status.
 */
#include "kernel/exit.h"
#include "kernel/printk.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/serial.h"
#include "trace/trace.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900

/* Values for isa-debug-exit; QEMU's exit status is (code << 1) | 1. */
static const uint8_t qemu_exit_code[] = {
	[EXIT_SUCCESS] = 0x10, /* exit 33 */
	[EXIT_PANIC] = 0x11,   /* exit 35 */
	[EXIT_FAIL] = 0x12,    /* exit 37 */
};

static const char *const exit_word[] = {
	[EXIT_SUCCESS] = "success",
	[EXIT_PANIC] = "panic",
	[EXIT_FAIL] = "fail",
};

/* The CPU (initial APIC ID) that called machine_exit first. A fault inside
 * its exit path (say in the trace flush) comes back here through the panic
 * path: that second call goes straight to the emulator ports instead of
 * looping. Any other CPU arriving later halts and lets the first finish. */
static volatile int exiting_cpu = -1;

static __attribute__((noreturn)) void leave_emulator(enum exit_status status)
{
	outl(QEMU_DEBUG_EXIT_PORT, qemu_exit_code[status]);

	asm volatile("xchg %%bx, %%bx" ::: "memory");
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);

	halt_forever();
}

void machine_exit(enum exit_status status)
{
	cli();
	if ((unsigned)status > EXIT_FAIL)
		status = EXIT_FAIL;
	int me = (int)cpu_initial_apic_id(), none = -1;
	if (!__atomic_compare_exchange_n(&exiting_cpu, &none, me, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (exiting_cpu != me)
			halt_forever();
		serial_flush();
		leave_emulator(status);
	}

	/* The marker is the last console line: the runner reads it on every
	 * emulator, and on Bochs it is the only status there is. */
	printk("TKERN-EXIT: %s\n", exit_word[status]);

	/* Every ring made final and readable (counts, ring_full markers,
	 * header flags) before the emulator goes away; after a panic the
	 * panic record stays the panicking CPU's last. */
	if (status != EXIT_PANIC)
		trace_boot_milestone(TRACE_boot_stage_shutdown);
	trace_flush(status == EXIT_PANIC);

	/* Bochs paces serial output by the emulated baud rate: without this
	 * the end of the marker line can be lost when the simulation stops. */
	serial_flush();
	leave_emulator(status);
}
