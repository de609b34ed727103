/*
 * smp.c: start the APs (INIT-SIPI-SIPI), send IPIs, stop the other cores
 * on a panic.
 *
 * The APs are started one at a time, in the MADT's order, and the boot CPU
 * waits for each to print "CPU n online" before it starts the next: core
 * ids, per-CPU blocks and console lines then come out in the same order on
 * every run.
 */
#include "kernel/smp.h"
#include "kernel/proc.h"
#include "kernel/acpi.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/trap.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/syscall_arch.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/vectors.h"
#include "trace/trace.h"

_Static_assert(MAX_CPUS <= GDT_MAX_CPUS, "gdt.c needs a TSS per CPU");

/* An AP's first stack; the process model gives it kthread stacks later. */
#define AP_STACK_PAGES 4
/* Generous: Bochs runs the emulated CPUs in turn and is slow. */
#define AP_START_TIMEOUT_US 5000000ull
#define STOP_TIMEOUT_US 100000ull

/* The data block at the end of the trampoline (smp_boot.S). */
struct trampoline_data {
	uint64_t cr3;
	uint64_t efer;
	uint64_t stack;
	uint64_t entry;
	uint64_t arg;
};

extern const char ap_trampoline[], ap_trampoline_end[], ap_trampoline_data[];

static volatile bool stopping;

void ap_main(uint64_t core);

void send_ipi(uint32_t cpu, uint8_t vector)
{
	if (cpu >= num_cores())
		panic("send_ipi: no core %u (%u online)", cpu, num_cores());
	trace_ipi_send(cpu, vector);
	lapic_send_ipi(per_cpu(cpu)->apic_id, vector);
}

/* ---- Stopping the other cores (panic). ---- */

static __attribute__((noreturn)) void stop_this_core(void)
{
	cli();
	this_cpu()->stopped = true;
	halt_forever();
}

static void stop_ipi(struct trapframe *tf)
{
	(void)tf;
	stop_this_core();
}

static void nmi(struct trapframe *tf)
{
	/* The only NMIs we send are the last resort of smp_stop_others. */
	if (stopping)
		stop_this_core();
	trap_fatal(tf);
}

/* Wait until every online core but me has stopped; true if they all did. */
static bool wait_stopped(uint32_t me)
{
	for (uint64_t waited = 0; waited < STOP_TIMEOUT_US; waited += 100) {
		bool all = true;
		for (uint32_t i = 0; i < num_cores(); i++)
			if (i != me && per_cpu(i)->online && !per_cpu(i)->stopped)
				all = false;
		if (all)
			return true;
		/* Before calibration udelay returns at once; the loop is
		 * then bounded by its count alone, which is still finite. */
		udelay(100);
	}
	return false;
}

void smp_stop_others(void)
{
	/* Before any AP runs there is nobody to stop (and maybe no GS base
	 * yet, so core_id() must not be read). */
	if (num_cores() <= 1)
		return;
	uint32_t me = core_id();

	stopping = true;
	for (uint32_t i = 0; i < num_cores(); i++)
		if (i != me && per_cpu(i)->online)
			lapic_send_ipi(per_cpu(i)->apic_id, IPI_STOP_VECTOR);
	uint32_t by_nmi = 0;
	if (!wait_stopped(me)) {
		/* A core spinning with interrupts off never takes the IPI. */
		for (uint32_t i = 0; i < num_cores(); i++) {
			if (i != me && per_cpu(i)->online && !per_cpu(i)->stopped) {
				lapic_send_nmi(per_cpu(i)->apic_id);
				by_nmi++;
			}
		}
		wait_stopped(me);
	}
	uint32_t stopped = 0;
	for (uint32_t i = 0; i < num_cores(); i++) {
		if (i == me || !per_cpu(i)->online)
			continue;
		if (per_cpu(i)->stopped)
			stopped++;
		else
			printk("smp: core %u did not stop\n", i);
	}
	/* Which path stopped them is a fact of the scenario, not of timing:
	 * a core with interrupts off can only be stopped by the NMI. */
	printk("smp: stopped %u other cores (%u by NMI)\n", stopped, by_nmi);
}

/* ---- Starting the APs. ---- */

void ap_main(uint64_t core)
{
	/* GS first: everything after (spinlocks, printk's callers) may ask
	 * which core this is. */
	percpu_init_ap((uint32_t)core);
	gdt_load_cpu((unsigned)core);
	idt_load();
	syscall_arch_init_cpu();
	/* lapic_init_ap records the ID the LAPIC reports; it must be the one
	 * the boot CPU sent the STARTUP to, or IPIs would go astray. */
	uint32_t expected = this_cpu()->apic_id;
	lapic_init_ap();
	if (this_cpu()->apic_id != expected)
		panic("smp: core %u has APIC ID %u, started as %u",
		      (unsigned)core, this_cpu()->apic_id, expected);

	/* The process model's per-core state before `online`: the boot CPU
	 * waits for `online` before it goes on, so nothing reaches this core
	 * half set up, and every core's allocations happen in a fixed order. */
	proc_core_init();

	printk("CPU %u online\n", (unsigned)core);
	this_cpu()->online = true;
	trace_cpu_online(core, this_cpu()->apic_id);

	/* Idle until there is work: processes, KMSGs (kernel/proc.c). */
	smp_idle();
}

/* Start the AP with this APIC ID as core `core`; true once it is online. */
static bool start_ap(uint32_t core, uint32_t apic_id, struct trampoline_data *td)
{
	struct per_cpu_info *pc = per_cpu(core);
	char *stack = page_alloc_n(AP_STACK_PAGES);

	if (!stack)
		panic("smp: no memory for core %u's stack", core);
	pc->apic_id = apic_id;
	pc->boot_stack_top = (uintptr_t)stack + AP_STACK_PAGES * PAGE_SIZE;

	td->stack = pc->boot_stack_top;
	td->arg = core;
	/* The AP reads td with paging off, straight from memory. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	/* INIT, 10 ms, STARTUP, 200 us, STARTUP (Intel SDM Vol. 3, 8.4.4.1).
	 * A second STARTUP reaching an AP that already runs is ignored. */
	lapic_send_init(apic_id);
	udelay(10000);
	lapic_send_startup(apic_id, TRAMPOLINE_PHYS);
	udelay(200);
	lapic_send_startup(apic_id, TRAMPOLINE_PHYS);

	uint64_t deadline = rdtsc() + AP_START_TIMEOUT_US * tsc_khz() / 1000;
	while (!pc->online) {
		if (rdtsc() > deadline)
			return false;
		cpu_pause();
	}
	return true;
}

void smp_boot_aps(void)
{
	uint32_t ids[MAX_CPUS];
	uint32_t bsp = this_cpu()->apic_id;
	int listed = acpi_madt_cpus(ids, MAX_CPUS);

	trap_register(IPI_STOP_VECTOR, stop_ipi);
	trap_register(T_NMI, nmi);
	this_cpu()->online = true;

	if (listed == 0) {
		printk("smp: no ACPI MADT; running on the boot CPU only\n");
		listed = 1;
		ids[0] = bsp;
	} else if (listed > MAX_CPUS) {
		printk("smp: the MADT lists %d CPUs; starting the first %d\n",
		       listed, MAX_CPUS);
		listed = MAX_CPUS;
	}

	size_t len = (size_t)(ap_trampoline_end - ap_trampoline);
	if (len > PAGE_SIZE)
		panic("smp: the AP trampoline is %zu bytes, more than a page", len);
	memcpy(P2V(TRAMPOLINE_PHYS), ap_trampoline, len);
	struct trampoline_data *td =
		P2V(TRAMPOLINE_PHYS + (uint64_t)(ap_trampoline_data - ap_trampoline));
	td->cr3 = read_cr3();
	td->efer = rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE);
	td->entry = (uint64_t)(uintptr_t)ap_main;

	printk("CPU 0 online\n");
	trace_cpu_online(0, bsp);
	uint32_t core = 1;
	for (int i = 0; i < listed; i++) {
		if (ids[i] == bsp)
			continue;
		if (core == MAX_CPUS)
			break;
		if (!start_ap(core, ids[i], td))
			panic("smp: the CPU with APIC ID %u did not come online", ids[i]);
		percpu_set_online_count(core + 1);
		core++;
	}
	printk("CPUs online: %u\n", num_cores());
}
