/*
 * main.c: kmain, the kernel's C entry point (from boot.S on the boot CPU).
 *
 * The order of the init calls is the dependency order of the layers; each
 * layer adds its call with a one-line comment saying what it needs.
 */
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/exit.h"
#include "kernel/arch/x86_64/serial.h"
#include <stdint.h>

void kmain(uint32_t magic, uint64_t mbi_phys);

void kmain(uint32_t magic, uint64_t mbi_phys)
{
	/* Console first: everything after may need to report. */
	serial_init();
	/* The command line next: later layers choose behaviour from it. */
	cmdline_init(magic, mbi_phys);

	printk("tkern: booting (loader '%s')\n", cmdline_loader());
	printk("tkern: cmdline '%s'\n", cmdline_raw());
	cmdline_report_unknown();

	machine_exit(EXIT_SUCCESS);
}
