/*
 * main.c: kmain, the kernel's C entry point (from boot.S on the boot CPU).
 *
 * The order of the init calls is the dependency order of the layers; each
 * layer adds its call with a one-line comment saying what it needs.
 */
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/exit.h"
#include "kernel/fault_test.h"
#include "kernel/arch/x86_64/serial.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
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

	/* Our GDT and TSS, then the IDT (its gates use the TSS's IST stacks):
	 * from here on a fault gives a report instead of a triple fault. */
	gdt_init();
	idt_init();

	/* Deliberate faults for the tests run last, after every layer is up. */
	fault_test_run();

	machine_exit(EXIT_SUCCESS);
}
