/*
 * smp_ktest.c: self-tests of per-CPU state, IPIs, spinlocks and the LAPIC
 * timer on every online core.
 *
 * Code runs on the other cores through KTEST_IPI_VECTOR: the boot CPU sets
 * the function, raises the IPI on each other core and waits (bounded) for
 * all of them to report back.
 */
#include <stddef.h>
#include "kernel/ktest.h"
#include "kernel/acpi.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/percpu.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/trap.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/vectors.h"

#define REMOTE_TIMEOUT_US 2000000ull

static void (*volatile remote_fn)(void);
static volatile uint32_t remote_done;

static void ktest_ipi(struct trapframe *tf)
{
	(void)tf;
	remote_fn();
	__atomic_add_fetch(&remote_done, 1, __ATOMIC_RELEASE);
	lapic_eoi();
}

/* Start fn on every other core; the caller then runs its own part and
 * calls wait_others(). */
static void start_on_others(void (*fn)(void))
{
	trap_register(KTEST_IPI_VECTOR, ktest_ipi);
	remote_fn = fn;
	remote_done = 0;
	for (uint32_t i = 0; i < num_cores(); i++)
		if (i != core_id())
			send_ipi(i, KTEST_IPI_VECTOR);
}

static bool wait_others(void)
{
	for (uint64_t t = 0; t < REMOTE_TIMEOUT_US; t += 100) {
		if (__atomic_load_n(&remote_done, __ATOMIC_ACQUIRE) == num_cores() - 1)
			return true;
		udelay(100);
	}
	return false;
}

/* ---- Per-CPU identity. ---- */

struct identity {
	struct per_cpu_info *self;
	uint32_t core;
	uint32_t lapic;
	uint32_t seen;
};
static struct identity ident[MAX_CPUS];

static void record_identity(void)
{
	struct per_cpu_info *me = this_cpu();
	uint32_t c = me->core_id;

	if (c < MAX_CPUS) {
		ident[c].self = me;
		ident[c].core = core_id();
		ident[c].lapic = lapic_id();
		ident[c].seen++;
	}
}

KTEST(percpu_identity_on_every_core)
{
	for (uint32_t i = 0; i < MAX_CPUS; i++)
		ident[i] = (struct identity){ 0 };
	start_on_others(record_identity);
	record_identity();
	KT_ASSERT(wait_others());
	for (uint32_t i = 0; i < num_cores(); i++) {
		/* Each core ran exactly once, found its own block through GS,
		 * and its LAPIC is the one IPIs to core i are sent to. */
		KT_EQ(ident[i].seen, 1);
		KT_EQ(ident[i].self, per_cpu(i));
		KT_EQ(ident[i].core, i);
		KT_EQ(ident[i].lapic, per_cpu(i)->apic_id);
		KT_ASSERT(per_cpu(i)->online);
	}
}

KTEST(acpi_madt_lists_every_online_core)
{
	uint32_t ids[MAX_CPUS];
	int n = acpi_madt_cpus(ids, MAX_CPUS);

	/* smp.c started exactly the CPUs the MADT lists (up to MAX_CPUS), and
	 * each core's APIC ID is one of them, once. */
	KT_EQ(n < MAX_CPUS ? n : MAX_CPUS, num_cores());
	for (uint32_t c = 0; c < num_cores(); c++) {
		int found = 0;
		for (int i = 0; i < n && i < MAX_CPUS; i++)
			found += ids[i] == per_cpu(c)->apic_id;
		KT_EQ(found, 1);
	}
}

/* ---- Spinlocks. ---- */

KTEST(spinlock_owner_and_irq_state)
{
	struct spinlock l;
	spinlock_init(&l, "ktest");

	uint64_t outer = irq_save();
	sti();
	uint64_t flags = spin_lock_irqsave(&l);
	KT_ASSERT(spin_holding(&l));
	KT_ASSERT(!irqs_enabled());
	KT_EQ(l.owner, core_id());
	KT_EQ(this_cpu()->locks_held, 1);
	spin_unlock_irqrestore(&l, flags);
	KT_ASSERT(!spin_holding(&l));
	KT_ASSERT(irqs_enabled());
	KT_EQ(this_cpu()->locks_held, 0);

	/* Nested: the inner unlock leaves interrupts off, the outer one
	 * turns them back on. */
	struct spinlock m;
	spinlock_init(&m, "ktest-inner");
	uint64_t f1 = spin_lock_irqsave(&l);
	uint64_t f2 = spin_lock_irqsave(&m);
	spin_unlock_irqrestore(&m, f2);
	KT_ASSERT(!irqs_enabled());
	spin_unlock_irqrestore(&l, f1);
	KT_ASSERT(irqs_enabled());
	irq_restore(outer);
	if (!(outer & RFLAGS_IF))
		cli();
}

#define LOCK_ROUNDS 20000
static struct spinlock counter_lock = SPINLOCK_INIT("ktest-counter");
static volatile uint64_t counter;

static void count_under_lock(void)
{
	for (int i = 0; i < LOCK_ROUNDS; i++) {
		uint64_t f = spin_lock_irqsave(&counter_lock);
		/* A read-modify-write in two steps: without the lock, cores
		 * would lose each other's increments. */
		uint64_t v = counter;
		cpu_pause();
		counter = v + 1;
		spin_unlock_irqrestore(&counter_lock, f);
	}
}

KTEST(spinlock_excludes_across_cores)
{
	counter = 0;
	start_on_others(count_under_lock);
	count_under_lock();
	KT_ASSERT(wait_others());
	KT_EQ(counter, (uint64_t)LOCK_ROUNDS * num_cores());
	KT_ASSERT(!counter_lock.locked);
}

/* ---- The LAPIC timer. ---- */

KTEST(timer_ticks_on_every_core)
{
	uint64_t start[MAX_CPUS];

	KT_ASSERT(lapic_timer_hz() > 0);
	for (uint32_t i = 0; i < num_cores(); i++)
		start[i] = per_cpu(i)->timer_ticks;

	/* Enough time for a few ticks everywhere; the boot CPU takes its
	 * own with interrupts on. */
	uint64_t saved = irq_save();
	sti();
	bool all = false;
	for (uint64_t t = 0; t < REMOTE_TIMEOUT_US && !all; t += 1000) {
		udelay(1000);
		all = true;
		for (uint32_t i = 0; i < num_cores(); i++)
			if (per_cpu(i)->timer_ticks < start[i] + 3)
				all = false;
	}
	cli();
	irq_restore(saved);
	for (uint32_t i = 0; i < num_cores(); i++)
		KT_ASSERT(per_cpu(i)->timer_ticks >= start[i] + 3);
}

static volatile uint32_t hook_calls[MAX_CPUS];

static void count_hook(struct trapframe *tf)
{
	(void)tf;
	hook_calls[core_id()]++;
}

KTEST(timer_tick_hook_runs_on_every_core)
{
	/* The scheduler's hook steps aside for the test and comes back. */
	void (*old_hook)(struct trapframe *) = timer_tick_hook;

	for (uint32_t i = 0; i < MAX_CPUS; i++)
		hook_calls[i] = 0;
	timer_tick_hook = count_hook;
	uint64_t saved = irq_save();
	sti();
	bool all = false;
	for (uint64_t t = 0; t < REMOTE_TIMEOUT_US && !all; t += 1000) {
		udelay(1000);
		all = true;
		for (uint32_t i = 0; i < num_cores(); i++)
			if (hook_calls[i] < 2)
				all = false;
	}
	cli();
	timer_tick_hook = old_hook;
	irq_restore(saved);
	KT_ASSERT(all);
}

/* ---- Panics with other cores running (smp_panic_test=). ---- */

CMDLINE_OPTION("smp_panic_test", "panic with other cores running: ap (the last core "
	       "panics in an IPI handler) or irqs_off (the others spin with interrupts "
	       "off, then core 0 panics)");

static volatile uint32_t spinning;

static void spin_with_irqs_off(void)
{
	/* An IPI handler runs with interrupts off: only an NMI gets in. */
	__atomic_add_fetch(&spinning, 1, __ATOMIC_RELEASE);
	for (;;)
		cpu_pause();
}

static void panic_here(void)
{
	panic("smp_panic_test: core %u panics", core_id());
}

void smp_panic_test_run(void)
{
	char mode[16];

	if (!cmdline_get("smp_panic_test", mode, sizeof mode))
		return;
	if (num_cores() < 2)
		panic("smp_panic_test=%s needs at least 2 CPUs", mode);
	trap_register(KTEST_IPI_VECTOR, ktest_ipi);
	if (strcmp(mode, "ap") == 0) {
		remote_fn = panic_here;
		send_ipi(num_cores() - 1, KTEST_IPI_VECTOR);
		/* Wait with interrupts on, so the stop IPI reaches us. */
		for (;;) {
			sti();
			hlt();
		}
	}
	if (strcmp(mode, "irqs_off") == 0) {
		spinning = 0;
		start_on_others(spin_with_irqs_off);
		while (__atomic_load_n(&spinning, __ATOMIC_ACQUIRE) != num_cores() - 1)
			cpu_pause();
		panic("smp_panic_test: core 0 panics, %u cores spin with interrupts off",
		      num_cores() - 1);
	}
	panic("smp_panic_test=%s: unknown mode (ap, irqs_off)", mode);
}
