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
#include "kernel/ktest.h"
#include "kernel/mm.h"
#include "kernel/multiboot.h"
#include "kernel/percpu.h"
#include "kernel/smp.h"
#include "vmx/vmx.h"
#include "kernel/bugs.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/serial.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "trace/trace.h"
#include <stdint.h>

void kmain(uint32_t magic, uint64_t mbi_phys);

void kmain(uint32_t magic, uint64_t mbi_phys)
{
	/* Console first: everything after may need to report. */
	serial_init();
	/* This CPU's per-CPU block (GS base): spinlocks record their owner. */
	percpu_init_bsp();
	/* The command line next: later layers choose behaviour from it. */
	cmdline_init(magic, mbi_phys);

	printk("tkern: booting (loader '%s')\n", cmdline_loader());
	printk("tkern: cmdline '%s'\n", cmdline_raw());
	cmdline_report_unknown();
	/* Bug-injection flags (bugs=...): in the banner, so every log says
	 * which kernel ran. An unknown flag panics here. */
	bugs_init();
	bugs_print_banner();

	/* Our GDT and TSS, then the IDT (its gates use the TSS's IST stacks):
	 * from here on a fault gives a report instead of a triple fault. */
	gdt_init();
	idt_init();
	/* Tracing (trace=, trace_off=, trace_events=): needs GS, the command
	 * line and the bug flags; as early as that, so the boot is traced. */
	trace_init();

	/* Physical memory from the boot loader's map (copied out first: the
	 * allocator may hand out the pages it lives in). */
	multiboot_init(magic, mbi_phys);
	mm_init();
	trace_boot_milestone(TRACE_boot_stage_mm);
	/* The process model: KMSG queues and IPI handler, scheduler (timer
	 * hook), syscall gate, this core's kthread. Needs kmalloc and the IDT;
	 * before the APs, which go to smp_idle() as they come up. */
	proc_init();
	syscall_init();
	proc_core_init();
	/* LAPIC (needs the IDT for its handlers), then the APs (need mm for
	 * their stacks and the LAPIC for INIT-SIPI-SIPI). */
	lapic_init();
	trace_set_tsc_hz(tsc_khz() * 1000);
	trace_boot_milestone(TRACE_boot_stage_lapic);
	smp_boot_aps();
	trace_boot_milestone(TRACE_boot_stage_smp);
	/* VMX: the backend (CPUID, vmx=), then VMXON on every core, the APs
	 * through immediate KMSGs; before ktest, which runs guests. */
	vmx_init();
	trace_boot_milestone(TRACE_boot_stage_vmx);

	/* Self-tests (ktest=...) after every layer is up; exits if asked. */
	ktest_run_if_requested();

	/* Deliberate faults for the tests run last, after every layer is up. */
	fault_test_run();
	smp_panic_test_run();

	/* The first user process (init=, default "init"); the run ends when
	 * every process is gone (proc_shutdown_check). */
	proc_start_init();
	smp_idle();
}
